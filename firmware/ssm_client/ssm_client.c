/* SSM <-> CCS message codec, CCS side. Wire formats: docs/protocol.md. */
#include "ssm_client.h"

#include "../dtls_record/ccm.h" /* by path: TinyDTLS has a ccm.h of its own */
#include "esse_util.h"

/* 13-byte CCM nonce (L = 2): 'E' 'S' | sender | 6 zero bytes | counter(4). Unique per PSK_DN as long as
 * each sender's counter never repeats, which the receivers' anti-replay check also demands. */
static void msg_nonce(uint8_t nonce[13], uint8_t sender, uint32_t counter) {
  unsigned i;
  nonce[0] = 'E';
  nonce[1] = 'S';
  nonce[2] = sender;
  for (i = 3; i < 9; i++) nonce[i] = 0;
  esse_put32(nonce + 9, counter);
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

/* 0: counter new (within the window or above it); 1: already accepted; -1: too old or zero. */
static int rx_check(const esse_ssm_link_t *link, uint32_t ctr) {
  uint32_t back;
  if (ctr == 0) return -1;
  if (ctr > link->last_rx_counter) return 0;
  back = link->last_rx_counter - ctr;
  if (back >= ESSE_RX_WINDOW) return -1;
  return (link->rx_seen >> back) & 1u ? 1 : 0;
}

/* Mark an authenticated counter accepted (rx_check said 0). */
static void rx_accept(esse_ssm_link_t *link, uint32_t ctr) {
  uint32_t ahead;
  if (ctr > link->last_rx_counter) {
    ahead = ctr - link->last_rx_counter;
    link->rx_seen = ahead >= ESSE_RX_WINDOW ? 1u : (link->rx_seen << ahead) | 1u;
    link->last_rx_counter = ctr;
  } else {
    link->rx_seen |= 1ul << (link->last_rx_counter - ctr);
  }
}

int esse_km_open(esse_ssm_link_t *link, uint8_t *msg, size_t len, esse_keystate_t *ks, uint32_t *counter) {
  uint8_t nonce[13];
  uint32_t ctr;
  int seen;
  if (len != ESSE_KM_LEN) return ESSE_KM_ERR_LENGTH;
  if (msg[0] != ESSE_MSG_KEY_MATERIAL) return ESSE_KM_ERR_TYPE;
  ctr = esse_get32(msg + 1);
  seen = rx_check(link, ctr);
  if (seen < 0) return ESSE_KM_ERR_REPLAY;
  msg_nonce(nonce, ESSE_SENDER_SSM, ctr);
  if (esse_ccm_open(&link->psk_dn, nonce, 13, ESSE_KM_TAG, msg, 5, msg + 5, ESSE_KEYSTATE_WIRE_LEN,
                    msg + 5 + ESSE_KEYSTATE_WIRE_LEN) != ESSE_CCM_OK)
    return ESSE_KM_ERR_TAG;
  esse_keystate_decode(ks, msg + 5);
  esse_wipe(msg + 5, ESSE_KEYSTATE_WIRE_LEN);
  if (!seen) rx_accept(link, ctr);
  *counter = ctr;
  return seen ? ESSE_KM_DUPLICATE : ESSE_KM_OK;
}

static int next_tx(esse_ssm_link_t *link, uint32_t *ctr) {
  if (link->tx_counter == 0xFFFFFFFFu) return ESSE_KM_ERR_COUNTER;
  *ctr = ++link->tx_counter;
  return ESSE_KM_OK;
}

/* MAC-only message: everything but the tag is AAD, CCM encrypts an empty payload. */
static int seal_plain(esse_ssm_link_t *link, uint8_t *out, size_t body_len, uint32_t ctr) {
  uint8_t nonce[13];
  msg_nonce(nonce, ESSE_SENDER_CCS, ctr);
  esse_ccm_seal(&link->psk_dn, nonce, 13, ESSE_SHORT_TAG, out, body_len, out + body_len, 0, out + body_len);
  return (int)(body_len + ESSE_SHORT_TAG);
}

int esse_km_ack(esse_ssm_link_t *link, uint32_t acked_counter, const uint8_t sid[ESSE_SESSION_ID_LEN],
                uint8_t *out, size_t cap) {
  uint32_t ctr;
  if (cap < ESSE_ACK_LEN) return ESSE_KM_ERR_SPACE;
  if (next_tx(link, &ctr) != ESSE_KM_OK) return ESSE_KM_ERR_COUNTER;
  out[0] = ESSE_MSG_KEY_ACK;
  esse_put32(out + 1, ctr);
  esse_put32(out + 5, acked_counter);
  esse_copy(out + 9, sid, ESSE_SESSION_ID_LEN);
  return seal_plain(link, out, ESSE_ACK_LEN - ESSE_SHORT_TAG, ctr);
}

int esse_error_build(esse_ssm_link_t *link, uint8_t code, const uint8_t sid[ESSE_SESSION_ID_LEN],
                     uint8_t *out, size_t cap) {
  uint32_t ctr;
  if (cap < ESSE_ERROR_LEN) return ESSE_KM_ERR_SPACE;
  if (next_tx(link, &ctr) != ESSE_KM_OK) return ESSE_KM_ERR_COUNTER;
  out[0] = ESSE_MSG_ERROR;
  esse_put32(out + 1, ctr);
  out[5] = code;
  esse_copy(out + 6, sid, ESSE_SESSION_ID_LEN);
  return seal_plain(link, out, ESSE_ERROR_LEN - ESSE_SHORT_TAG, ctr);
}

int esse_error_open(esse_ssm_link_t *link, const uint8_t *msg, size_t len, uint8_t *code,
                    uint8_t sid[ESSE_SESSION_ID_LEN]) {
  uint8_t nonce[13], empty[1];
  uint32_t ctr;
  if (len != ESSE_ERROR_LEN) return ESSE_KM_ERR_LENGTH;
  if (msg[0] != ESSE_MSG_ERROR) return ESSE_KM_ERR_TYPE;
  ctr = esse_get32(msg + 1);
  if (rx_check(link, ctr) != 0) return ESSE_KM_ERR_REPLAY;
  msg_nonce(nonce, ESSE_SENDER_SSM, ctr);
  if (esse_ccm_open(&link->psk_dn, nonce, 13, ESSE_SHORT_TAG, msg, ESSE_ERROR_LEN - ESSE_SHORT_TAG, empty,
                    0, msg + ESSE_ERROR_LEN - ESSE_SHORT_TAG) != ESSE_CCM_OK)
    return ESSE_KM_ERR_TAG;
  rx_accept(link, ctr);
  *code = msg[5];
  esse_copy(sid, msg + 6, ESSE_SESSION_ID_LEN);
  return ESSE_KM_OK;
}

int esse_delegate_build(esse_ssm_link_t *link, const uint8_t *addr, uint8_t addr_len, uint16_t port,
                        const uint8_t *identity, uint8_t identity_len, uint8_t *out, size_t cap) {
  uint8_t nonce[13];
  uint32_t ctr;
  size_t body, n;
  if ((addr_len != 4 && addr_len != 16) || identity_len > ESSE_DELEGATE_MAX_IDENTITY)
    return ESSE_KM_ERR_LENGTH;
  body = 1u + addr_len + 2u + 1u + identity_len;
  if (cap < 5u + body + ESSE_SHORT_TAG) return ESSE_KM_ERR_SPACE;
  if (next_tx(link, &ctr) != ESSE_KM_OK) return ESSE_KM_ERR_COUNTER;
  out[0] = ESSE_MSG_DELEGATE;
  esse_put32(out + 1, ctr);
  n = 5;
  out[n++] = addr_len;
  esse_copy(out + n, addr, addr_len);
  n += addr_len;
  esse_put16(out + n, port);
  n += 2;
  out[n++] = identity_len;
  esse_copy(out + n, identity, identity_len);
  n += identity_len;
  msg_nonce(nonce, ESSE_SENDER_CCS, ctr);
  esse_ccm_seal(&link->psk_dn, nonce, 13, ESSE_SHORT_TAG, out, 5, out + 5, body, out + n);
  return (int)(n + ESSE_SHORT_TAG);
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
