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
__attribute__((noinline)) static void msg_nonce(uint8_t nonce[13], uint8_t sender, const uint8_t *msg) {
  unsigned i;
  nonce[0] = 'E';
  nonce[1] = 'S';
  nonce[2] = sender;
  for (i = 3; i < 9; i++) nonce[i] = 0;
  esse_copy(nonce + 9, msg + 1, 4);
}

void esse_ssm_link_init(esse_ssm_link_t *link, const uint8_t psk_dn[16], uint32_t last_rx_counter,
                        uint32_t tx_counter) {
  esse_wipe(link, sizeof *link);
  esse_aes128_init(&link->psk_dn, psk_dn);
  link->last_rx_counter = last_rx_counter;
  link->rx_seen = 0xFFFFFFFFul; /* what was accepted below the stored mark before a reboot is unknown */
  link->tx_counter = tx_counter;
}

void esse_ssm_link_wipe(esse_ssm_link_t *link) { esse_wipe(link, sizeof *link); }

/* Check and open a message from the SSM: `want` bytes of `type`, whose last tag_len bytes are the tag,
 * the enc_len bytes before it encrypted and everything before those AAD. A counter accepted before is
 * ESSE_KM_DUPLICATE when dup_ok (the message is still authenticated and decrypted), else refused like
 * one below the window, before decryption. On success *ctr is the counter, accepted. */
static int open_msg(esse_ssm_link_t *link, uint8_t *msg, size_t len, size_t want, uint8_t type, uint8_t tag_len,
                    size_t enc_len, uint8_t dup_ok, uint32_t *ctr) {
  uint8_t nonce[13];
  size_t aad_len = want - tag_len - enc_len;
  int seen;
  if (len != want) return ESSE_KM_ERR_LENGTH;
  if (msg[0] != type) return ESSE_KM_ERR_TYPE;
  *ctr = esse_get32(msg + 1);
  seen = *ctr ? esse_window_check(WINDOW(link), (const uint8_t *)ctr, 4) : -1;
  if (seen < 0 || (seen && !dup_ok)) return ESSE_KM_ERR_REPLAY;
  msg_nonce(nonce, ESSE_SENDER_SSM, msg);
  if (esse_ccm_open(&link->psk_dn, nonce, 13, tag_len, msg, aad_len, msg + aad_len, enc_len, msg + want - tag_len) !=
      ESSE_CCM_OK)
    return ESSE_KM_ERR_TAG;
  if (seen) return ESSE_KM_DUPLICATE;
  esse_window_accept(WINDOW(link), (const uint8_t *)ctr, 4);
  return ESSE_KM_OK;
}

int esse_km_open(esse_ssm_link_t *link, uint8_t *msg, size_t len, esse_keystate_t *ks, uint32_t *counter) {
  int rc = open_msg(link, msg, len, ESSE_KM_LEN, ESSE_MSG_KEY_MATERIAL, ESSE_KM_TAG, ESSE_KEYSTATE_WIRE_LEN, 1,
                    counter);
  if (rc >= 0) {
    esse_keystate_decode(ks, msg + 5);
    esse_wipe(msg + 5, ESSE_KEYSTATE_WIRE_LEN);
  }
  return rc;
}

int esse_error_open(esse_ssm_link_t *link, const uint8_t *msg, size_t len, uint8_t *code,
                    uint8_t sid[ESSE_SESSION_ID_LEN]) {
  uint32_t ctr;
  /* MAC-only: nothing is encrypted, so nothing of msg is written */
  int rc = open_msg(link, (uint8_t *)(uintptr_t)msg, len, ESSE_ERROR_LEN, ESSE_MSG_ERROR, ESSE_SHORT_TAG, 0, 0, &ctr);
  if (rc == ESSE_KM_OK) {
    *code = msg[5];
    esse_copy(sid, msg + 6, ESSE_SESSION_ID_LEN);
  }
  return rc;
}

/* Start a message to the SSM of `need` bytes in out: type | next own counter. 0 or an ESSE_KM_ERR_*. */
static int start_msg(esse_ssm_link_t *link, uint8_t *out, size_t cap, size_t need, uint8_t type) {
  if (cap < need) return ESSE_KM_ERR_SPACE;
  if (link->tx_counter == 0xFFFFFFFFu) return ESSE_KM_ERR_COUNTER;
  out[0] = type;
  esse_put32(out + 1, ++link->tx_counter);
  return ESSE_KM_OK;
}

/* Seal a started message: the first aad_len bytes are AAD, the enc_len after them encrypted, then the
 * 8-byte tag. Returns the message length. */
static int seal_msg(esse_ssm_link_t *link, uint8_t *out, size_t aad_len, size_t enc_len) {
  uint8_t nonce[13];
  msg_nonce(nonce, ESSE_SENDER_CCS, out);
  esse_ccm_seal(&link->psk_dn, nonce, 13, ESSE_SHORT_TAG, out, aad_len, out + aad_len, enc_len,
                out + aad_len + enc_len);
  return (int)(aad_len + enc_len + ESSE_SHORT_TAG);
}

/* KEY_ACK and ERROR are MAC-only: type | counter | n bytes of fields | session id | tag, everything but
 * the tag is AAD, CCM encrypts an empty payload. */
static int mac_msg(esse_ssm_link_t *link, uint8_t *out, size_t cap, uint8_t type, const uint8_t *fields, uint8_t n,
                   const uint8_t sid[ESSE_SESSION_ID_LEN]) {
  size_t aad_len = 5u + n + ESSE_SESSION_ID_LEN;
  int rc = start_msg(link, out, cap, aad_len + ESSE_SHORT_TAG, type);
  if (rc) return rc;
  esse_copy(out + 5, fields, n);
  esse_copy(out + 5 + n, sid, ESSE_SESSION_ID_LEN);
  return seal_msg(link, out, aad_len, 0);
}

int esse_km_ack(esse_ssm_link_t *link, uint32_t acked_counter, const uint8_t sid[ESSE_SESSION_ID_LEN],
                uint8_t *out, size_t cap) {
  uint8_t acked[4];
  esse_put32(acked, acked_counter);
  return mac_msg(link, out, cap, ESSE_MSG_KEY_ACK, acked, 4, sid);
}

int esse_error_build(esse_ssm_link_t *link, uint8_t code, const uint8_t sid[ESSE_SESSION_ID_LEN],
                     uint8_t *out, size_t cap) {
  return mac_msg(link, out, cap, ESSE_MSG_ERROR, &code, 1, sid);
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
  return seal_msg(link, out, 5, body);
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
