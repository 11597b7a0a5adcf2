/* Secure bootstrapping, device side (docs/bootstrap.md). Every message is MAC-only AES-CCM (RFC 3610,
 * M = 8, L = 2) with the 13-byte nonce type | RN(8) | TID(4): the CCM code the record layer already
 * links, so the only new code is the CMAC for the KDF (the subkey doubling and the last-block mask). */
#include "bootstrap.h"

#include "../dtls_record/ccm.h" /* by path: TinyDTLS has a ccm.h of its own */
#include "esse_util.h"

static const uint8_t kdf_label[] = {'E', 'S', 'S', 'E', ' ', 'P', 'S', 'K', '_', 'D', 'N'};

static void make_nonce(uint8_t n[ESSE_BOOT_NONCE_LEN], uint8_t type, const uint8_t rn[ESSE_BOOT_RN_LEN],
                       const uint8_t tid[4]) {
  n[0] = type;
  esse_copy(n + 1, rn, ESSE_BOOT_RN_LEN);
  if (tid)
    esse_copy(n + 9, tid, 4);
  else
    n[9] = n[10] = n[11] = n[12] = 0;
}

void esse_boot_init(esse_boot_t *b, const uint8_t ik_d[ESSE_AES128_KEY], uint16_t node_id) {
  esse_aes128_init(&b->ik, ik_d);
  b->node_id = node_id;
  b->pending = 0;
}

void esse_boot_wipe(esse_boot_t *b) { esse_wipe(b, sizeof *b); }

int esse_boot_request(esse_boot_t *b, const uint8_t rn_d[ESSE_BOOT_RN_LEN], uint8_t *out, size_t cap) {
  uint8_t nonce[ESSE_BOOT_NONCE_LEN];
  if (cap < ESSE_BOOT_REQUEST_LEN) return ESSE_BOOT_ERR_SPACE;
  out[0] = ESSE_BOOT_REQUEST;
  esse_put16(out + 1, b->node_id);
  esse_copy(out + 3, rn_d, ESSE_BOOT_RN_LEN);
  make_nonce(nonce, ESSE_BOOT_REQUEST, rn_d, 0);
  esse_ccm_seal(&b->ik, nonce, sizeof nonce, ESSE_BOOT_TAG, out, 11, 0, 0, out + 11);
  esse_copy(b->rn_d, rn_d, ESSE_BOOT_RN_LEN);
  b->pending = 1;
  return (int)ESSE_BOOT_REQUEST_LEN;
}

/* RFC 4493 section 2.3: multiply by x in GF(2^128) */
__attribute__((noinline)) static void cmac_double(uint8_t k[16]) {
  uint8_t carry = (uint8_t)(k[0] & 0x80u), i;
  for (i = 0; i < 15; i++) k[i] = (uint8_t)((k[i] << 1) | (k[i + 1] >> 7));
  k[15] = (uint8_t)(k[15] << 1);
  if (carry) k[15] ^= 0x87u;
}

void esse_cmac(const esse_aes128_t *key, const uint8_t *msg, size_t len, uint8_t mac[ESSE_AES_BLOCK]) {
  uint8_t k[16], x[16];
  size_t i;
  for (i = 0; i < 16; i++) k[i] = x[i] = 0;
  esse_aes128_encrypt(key, k, k);
  cmac_double(k); /* K1 */
  while (len > 16) {
    for (i = 0; i < 16; i++) x[i] ^= *msg++;
    esse_aes128_encrypt(key, x, x);
    len -= 16;
  }
  if (len < 16) { /* incomplete (or empty) last block: 10* padding and K2 */
    cmac_double(k);
    x[len] ^= 0x80u;
  }
  for (i = 0; i < len; i++) x[i] ^= *msg++;
  for (i = 0; i < 16; i++) x[i] ^= k[i];
  esse_aes128_encrypt(key, x, mac);
  esse_wipe(k, sizeof k);
  esse_wipe(x, sizeof x);
}

void esse_boot_kdf(const esse_aes128_t *ik, const uint8_t context[ESSE_BOOT_CONTEXT_LEN],
                   uint8_t psk_dn[ESSE_AES128_KEY]) {
  uint8_t in[1 + sizeof kdf_label + 1 + ESSE_BOOT_CONTEXT_LEN + 2]; /* 43 bytes, 3 CMAC blocks */
  uint8_t *p = in;
  *p++ = 0x01; /* [i]_8, the only iteration: L = 128 = one PRF output */
  esse_copy(p, kdf_label, sizeof kdf_label);
  p += sizeof kdf_label;
  *p++ = 0x00;
  esse_copy(p, context, ESSE_BOOT_CONTEXT_LEN);
  p += ESSE_BOOT_CONTEXT_LEN;
  esse_put16(p, 128u); /* [L]_16 */
  esse_cmac(ik, in, sizeof in, psk_dn);
  esse_wipe(in, sizeof in);
}

int esse_boot_accept(esse_boot_t *b, const uint8_t *msg, size_t len, uint8_t psk_dn[ESSE_AES128_KEY],
                     uint8_t *confirm, size_t cap) {
  uint8_t nonce[ESSE_BOOT_NONCE_LEN], ctx[ESSE_BOOT_CONTEXT_LEN];
  esse_aes128_t psk;
  const uint8_t *tid = msg + 5, *rn_c = msg + 13;
  if (len != ESSE_BOOT_RESPONSE_LEN) return ESSE_BOOT_ERR_LENGTH;
  if (msg[0] != ESSE_BOOT_RESPONSE) return ESSE_BOOT_ERR_TYPE;
  if (esse_get16(msg + 1) != b->node_id) return ESSE_BOOT_ERR_NODE;
  if (!b->pending) return ESSE_BOOT_ERR_STATE;
  if (cap < ESSE_BOOT_CONFIRM_LEN) return ESSE_BOOT_ERR_SPACE;
  /* MAC-only: the whole header is AAD, the pending RN_d is bound through the nonce */
  make_nonce(nonce, ESSE_BOOT_RESPONSE, b->rn_d, tid);
  if (esse_ccm_open(&b->ik, nonce, sizeof nonce, ESSE_BOOT_TAG, msg, 21, 0, 0, msg + 21) != ESSE_CCM_OK)
    return ESSE_BOOT_ERR_TAG;
  /* context = ID_d | ID_c | TID | TS | RN_d | RN_c */
  esse_copy(ctx, msg + 1, 2);
  esse_copy(ctx + 2, msg + 3, 2);
  esse_copy(ctx + 4, tid, 4);
  esse_copy(ctx + 8, msg + 9, 4);
  esse_copy(ctx + 12, b->rn_d, ESSE_BOOT_RN_LEN);
  esse_copy(ctx + 20, rn_c, ESSE_BOOT_RN_LEN);
  esse_boot_kdf(&b->ik, ctx, psk_dn);
  /* BOOT_CONFIRM: type | ID_d | TID | CCM-MAC under PSK_DN, nonce type | RN_c | TID */
  confirm[0] = ESSE_BOOT_CONFIRM;
  esse_put16(confirm + 1, b->node_id);
  esse_copy(confirm + 3, tid, 4);
  esse_aes128_init(&psk, psk_dn);
  make_nonce(nonce, ESSE_BOOT_CONFIRM, rn_c, tid);
  esse_ccm_seal(&psk, nonce, sizeof nonce, ESSE_BOOT_TAG, confirm, 7, 0, 0, confirm + 7);
  esse_aes128_wipe(&psk);
  esse_wipe(ctx, sizeof ctx);
  esse_wipe(b->rn_d, sizeof b->rn_d);
  b->pending = 0;
  return (int)ESSE_BOOT_CONFIRM_LEN;
}

int esse_boot_expect_ack(const uint8_t psk_dn[ESSE_AES128_KEY], const uint8_t *response, size_t len,
                         uint8_t ack[ESSE_BOOT_ACK_LEN]) {
  uint8_t nonce[ESSE_BOOT_NONCE_LEN];
  esse_aes128_t psk;
  if (len != ESSE_BOOT_RESPONSE_LEN) return ESSE_BOOT_ERR_LENGTH;
  if (response[0] != ESSE_BOOT_RESPONSE) return ESSE_BOOT_ERR_TYPE;
  ack[0] = ESSE_BOOT_ACK;
  esse_copy(ack + 1, response + 1, 2); /* ID_d */
  esse_copy(ack + 3, response + 5, 4); /* TID */
  make_nonce(nonce, ESSE_BOOT_ACK, response + 13, response + 5);
  esse_aes128_init(&psk, psk_dn);
  esse_ccm_seal(&psk, nonce, sizeof nonce, ESSE_BOOT_TAG, ack, 7, 0, 0, ack + 7);
  esse_aes128_wipe(&psk);
  return (int)ESSE_BOOT_ACK_LEN;
}

int esse_boot_ack_match(const uint8_t expected[ESSE_BOOT_ACK_LEN], const uint8_t *msg, size_t len) {
  if (len != ESSE_BOOT_ACK_LEN) return ESSE_BOOT_ERR_LENGTH;
  if (msg[0] != ESSE_BOOT_ACK) return ESSE_BOOT_ERR_TYPE;
  if (esse_ct_diff(msg + 1, expected + 1, 2)) return ESSE_BOOT_ERR_NODE;
  if (esse_ct_diff(msg + 3, expected + 3, 4)) return ESSE_BOOT_ERR_TID;
  if (esse_ct_diff(msg + 7, expected + 7, ESSE_BOOT_TAG)) return ESSE_BOOT_ERR_TAG;
  return ESSE_BOOT_OK;
}

uint16_t esse_crc16_ccitt(const uint8_t *p, size_t n) {
  uint16_t crc = 0xFFFFu;
  uint8_t bit;
  while (n--) {
    crc ^= (uint16_t)(*p++ << 8);
    for (bit = 0; bit < 8; bit++) crc = (crc & 0x8000u) ? (uint16_t)((crc << 1) ^ 0x1021u) : (uint16_t)(crc << 1);
  }
  return crc;
}

int esse_boot_segment_b_set_psk(uint8_t seg[ESSE_INFO_SEGMENT_SIZE], const uint8_t psk_dn[ESSE_AES128_KEY],
                                const uint8_t *pending) {
  unsigned i;
  uint16_t crc = (uint16_t)(seg[ESSE_INFO_CRC_OFFSET] | (seg[ESSE_INFO_CRC_OFFSET + 1] << 8));
  if (seg[0] != 'E' || seg[1] != 'S' || seg[2] != 1u) return ESSE_BOOT_ERR_LAYOUT;
  if (esse_crc16_ccitt(seg, ESSE_INFO_CRC_OFFSET) != crc) return ESSE_BOOT_ERR_LAYOUT;
  esse_copy(seg + ESSE_INFO_PSK_OFFSET, psk_dn, ESSE_AES128_KEY);
  for (i = 0; i < ESSE_INFO_PENDING_LEN; i++)
    seg[ESSE_INFO_PENDING_OFFSET + i] = pending ? pending[i] : 0xFFu;
  crc = esse_crc16_ccitt(seg, ESSE_INFO_CRC_OFFSET);
  seg[ESSE_INFO_CRC_OFFSET] = (uint8_t)crc; /* little-endian like the MSP430 */
  seg[ESSE_INFO_CRC_OFFSET + 1] = (uint8_t)(crc >> 8);
  return ESSE_BOOT_OK;
}
