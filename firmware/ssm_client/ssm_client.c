/* SSM <-> CCS message codec, CCS side. Wire formats: docs/protocol.md. */
#include "ssm_client.h"

#include "../dtls_record/ccm.h" /* by path: TinyDTLS has a ccm.h of its own */
#include "esse_util.h"
#include "replay.h"

#include <stddef.h>

/* The link's anti-replay window (replay.h): last_rx_counter, then the bitmap rx_seen. */
#define WINDOW(link) ((uint8_t *)(link) + offsetof(esse_ssm_link_t, last_rx_counter))
/* replay.h wants the bitmap right after max */
ESSE_STATIC_ASSERT(window_layout, offsetof(esse_ssm_link_t, rx_seen) == offsetof(esse_ssm_link_t, last_rx_counter) + 4);

/* 13-byte CCM nonce (L = 2): 'E' 'S' | sender | 6 zero bytes | counter(4), the counter taken from the
 * message (bytes 1..4). Unique per PSK_DN as long as each sender's counter never repeats, which the
 * receivers' anti-replay check also demands. */
static void msg_nonce(uint8_t nonce[13], uint8_t sender, const uint8_t *msg) {
  static const uint8_t head[9] = {'E', 'S'};
  esse_copy(nonce, head, 9);
  nonce[2] = sender;
  esse_copy(nonce + 9, msg + 1, 4);
}

void esse_ssm_link_init(esse_ssm_link_t *link, const uint8_t psk_dn[16], uint32_t last_rx_counter,
                        uint32_t tx_counter) {
  esse_aes128_init(&link->psk_dn, psk_dn); /* with the three fields below: every byte but padding */
  link->last_rx_counter = last_rx_counter;
  link->rx_seen = 0xFFFFFFFFul; /* what was accepted below the stored mark before a reboot is unknown */
  link->tx_counter = tx_counter;
}

void esse_ssm_link_wipe(esse_ssm_link_t *link) { esse_wipe(link, sizeof *link); }

/* The CCM of an SSM message in place (open: one from the SSM, checked and decrypted; else one of ours,
 * sealed). Its type says its layout: KEY_MATERIAL and DELEGATE encrypt what follows type | counter, the
 * others are MAC-only (everything before the tag is AAD); KEY_MATERIAL has the 16-byte tag. */
static int msg_ccm(esse_ssm_link_t *link, uint8_t *msg, size_t len, uint8_t open) {
  uint8_t nonce[13];
  uint8_t km = msg[0] == ESSE_MSG_KEY_MATERIAL;
  size_t tag_len = km ? ESSE_KM_TAG : ESSE_SHORT_TAG;
  size_t aad_len = km || msg[0] == ESSE_MSG_DELEGATE ? 5u : len - tag_len;
  msg_nonce(nonce, open ? ESSE_SENDER_SSM : ESSE_SENDER_CCS, msg);
  return esse_ccm(&link->psk_dn, nonce, 13, tag_len, msg, aad_len, msg + aad_len, len - tag_len - aad_len,
                  msg + len - tag_len, open);
}

/* Check and open a KEY_MATERIAL or ERROR message from the SSM. A counter accepted before is
 * ESSE_KM_DUPLICATE for KEY_MATERIAL (the message is still authenticated and decrypted), else refused
 * like one below the window, before decryption. */
static int open_msg(esse_ssm_link_t *link, uint8_t *msg, size_t len, uint8_t type) {
  uint32_t ctr;
  int seen;
  if (len != (type == ESSE_MSG_KEY_MATERIAL ? ESSE_KM_LEN : ESSE_ERROR_LEN)) return ESSE_KM_ERR_LENGTH;
  if (msg[0] != type) return ESSE_KM_ERR_TYPE;
  ctr = esse_get32(msg + 1);
  seen = ctr ? esse_window(WINDOW(link), (const uint8_t *)&ctr, 4, 0) : -1;
  if (seen < 0 || (seen && type != ESSE_MSG_KEY_MATERIAL)) return ESSE_KM_ERR_REPLAY;
  if (msg_ccm(link, msg, len, 1) != ESSE_CCM_OK) return ESSE_KM_ERR_TAG;
  if (seen) return ESSE_KM_DUPLICATE;
  esse_window(WINDOW(link), (const uint8_t *)&ctr, 4, 1);
  return ESSE_KM_OK;
}

int esse_km_open(esse_ssm_link_t *link, uint8_t *msg, size_t len, esse_keystate_t *ks, uint32_t *counter) {
  int rc = open_msg(link, msg, len, ESSE_MSG_KEY_MATERIAL);
  if (rc >= 0) {
    *counter = esse_get32(msg + 1);
    esse_keystate_decode(ks, msg + 5);
    esse_wipe(msg + 5, ESSE_KEYSTATE_WIRE_LEN);
  }
  return rc;
}

int esse_error_open(esse_ssm_link_t *link, const uint8_t *msg, size_t len, uint8_t *code,
                    uint8_t sid[ESSE_SESSION_ID_LEN]) {
  /* MAC-only: nothing is encrypted, so nothing of msg is written */
  int rc = open_msg(link, (uint8_t *)(uintptr_t)msg, len, ESSE_MSG_ERROR);
  if (rc == ESSE_KM_OK) {
    *code = msg[5];
    esse_copy(sid, msg + 6, ESSE_SESSION_ID_LEN);
  }
  return rc;
}

/* Start a message to the SSM of `need` bytes in out: type | next own counter. 0 or an ESSE_KM_ERR_*. */
__attribute__((noinline)) static int start_msg(esse_ssm_link_t *link, uint8_t *out, size_t cap, size_t need, uint8_t type) {
  if (cap < need) return ESSE_KM_ERR_SPACE;
  if (link->tx_counter == 0xFFFFFFFFu) return ESSE_KM_ERR_COUNTER;
  out[0] = type;
  esse_put32(out + 1, ++link->tx_counter);
  return ESSE_KM_OK;
}

/* Seal a started message of len bytes (tag included); returns len. */
static int seal_msg(esse_ssm_link_t *link, uint8_t *out, size_t len) {
  msg_ccm(link, out, len, 0);
  return (int)len;
}

int esse_km_ack(esse_ssm_link_t *link, uint32_t acked_counter, const uint8_t sid[ESSE_SESSION_ID_LEN],
                uint8_t *out, size_t cap) {
  int rc = start_msg(link, out, cap, ESSE_ACK_LEN, ESSE_MSG_KEY_ACK);
  if (rc) return rc;
  esse_put32(out + 5, acked_counter);
  esse_copy(out + 9, sid, ESSE_SESSION_ID_LEN);
  return seal_msg(link, out, ESSE_ACK_LEN);
}

int esse_error_build(esse_ssm_link_t *link, uint8_t code, const uint8_t sid[ESSE_SESSION_ID_LEN],
                     uint8_t *out, size_t cap) {
  int rc = start_msg(link, out, cap, ESSE_ERROR_LEN, ESSE_MSG_ERROR);
  if (rc) return rc;
  out[5] = code;
  esse_copy(out + 6, sid, ESSE_SESSION_ID_LEN);
  return seal_msg(link, out, ESSE_ERROR_LEN);
}

int esse_delegate_build(esse_ssm_link_t *link, const uint8_t *addr, uint8_t addr_len, uint16_t port,
                        const uint8_t *identity, uint8_t identity_len, uint8_t *out, size_t cap) {
  size_t body;
  int rc;
  uint8_t *p;
  if ((addr_len != 4 && addr_len != 16) || identity_len > ESSE_DELEGATE_MAX_IDENTITY)
    return ESSE_KM_ERR_LENGTH;
  body = 1u + addr_len + 2u + 1u + identity_len;
  rc = start_msg(link, out, cap, 5u + body + ESSE_SHORT_TAG, ESSE_MSG_DELEGATE);
  if (rc) return rc;
  p = out + 5;
  *p++ = addr_len;
  esse_copy(p, addr, addr_len);
  p += addr_len;
  esse_put16(p, port);
  p += 2;
  *p++ = identity_len;
  esse_copy(p, identity, identity_len);
  return seal_msg(link, out, 5u + body + ESSE_SHORT_TAG);
}

int esse_relay_build(uint8_t type, const uint8_t sid[ESSE_SESSION_ID_LEN], const uint8_t *records,
                     size_t len, uint8_t *out, size_t cap) {
  if (type != ESSE_MSG_RELAY && type != ESSE_MSG_HANDBACK) return ESSE_KM_ERR_TYPE;
  if (cap < ESSE_RELAY_HEADER + len) return ESSE_KM_ERR_SPACE;
  esse_copy(out + ESSE_RELAY_HEADER, records, len);
  out[0] = type;
  esse_copy(out + 1, sid, ESSE_SESSION_ID_LEN);
  return (int)(ESSE_RELAY_HEADER + len);
}
