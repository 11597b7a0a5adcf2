/* CCM as specified in RFC 3610 section 2: CBC-MAC over B_0 | encoded AAD | message, CTR with A_i. */
#include "ccm.h"
#include "esse_util.h"

static int check_params(size_t nonce_len, size_t tag_len, size_t aad_len, size_t len) {
  size_t L = 15u - nonce_len;
  if (nonce_len < 7 || nonce_len > 13) return 0;
  if (tag_len < 4 || tag_len > 16 || (tag_len & 1u)) return 0;
  if (aad_len >= 0xFF00u) return 0; /* only the 2-byte l(a) encoding is supported */
  if (L < 8 && (uint64_t)len >> (8 * L)) return 0;
  return 1;
}

/* A_i = flags(L-1) | nonce | counter i (L bytes) */
static void ctr_block(uint8_t a[16], const uint8_t *nonce, size_t nonce_len, uint32_t i) {
  size_t L = 15u - nonce_len, k;
  a[0] = (uint8_t)(L - 1);
  for (k = 0; k < nonce_len; k++) a[1 + k] = nonce[k];
  for (k = 0; k < L; k++) a[15 - k] = (uint8_t)(k < 4 ? (i >> (8 * k)) : 0);
}

static void cbc_mac(const esse_aes128_t *key, const uint8_t *nonce, size_t nonce_len, size_t tag_len,
                    const uint8_t *aad, size_t aad_len, const uint8_t *msg, size_t len, uint8_t x[16]) {
  size_t L = 15u - nonce_len, k, pos;
  uint8_t b[16];
  /* B_0: flags = 64*Adata + 8*M' + L', then nonce, then l(m) */
  b[0] = (uint8_t)((aad_len ? 0x40u : 0u) | (((tag_len - 2) / 2) << 3) | (L - 1));
  for (k = 0; k < nonce_len; k++) b[1 + k] = nonce[k];
  for (k = 0; k < L; k++) b[15 - k] = (uint8_t)(k < sizeof(size_t) ? ((uint64_t)len >> (8 * k)) : 0);
  esse_aes128_encrypt(key, b, x);
  if (aad_len) {
    /* first AAD block starts with the 2-byte length */
    size_t fill = 2;
    x[0] ^= (uint8_t)(aad_len >> 8);
    x[1] ^= (uint8_t)aad_len;
    for (pos = 0; pos < aad_len; pos++) {
      x[fill++] ^= aad[pos];
      if (fill == 16) {
        esse_aes128_encrypt(key, x, x);
        fill = 0;
      }
    }
    if (fill) esse_aes128_encrypt(key, x, x); /* zero padding: nothing to XOR */
  }
  for (pos = 0; pos < len; pos += 16) {
    size_t n = len - pos < 16 ? len - pos : 16;
    for (k = 0; k < n; k++) x[k] ^= msg[pos + k];
    esse_aes128_encrypt(key, x, x);
  }
  esse_wipe(b, sizeof b);
}

static void ctr_crypt(const esse_aes128_t *key, const uint8_t *nonce, size_t nonce_len, uint8_t *data,
                      size_t len) {
  uint8_t a[16], s[16];
  size_t pos, k;
  uint32_t i = 1;
  for (pos = 0; pos < len; pos += 16, i++) {
    size_t n = len - pos < 16 ? len - pos : 16;
    ctr_block(a, nonce, nonce_len, i);
    esse_aes128_encrypt(key, a, s);
    for (k = 0; k < n; k++) data[pos + k] ^= s[k];
  }
  esse_wipe(s, sizeof s);
}

/* U = T xor first-M-bytes(S_0) */
static void tag_mask(const esse_aes128_t *key, const uint8_t *nonce, size_t nonce_len, uint8_t s0[16]) {
  uint8_t a[16];
  ctr_block(a, nonce, nonce_len, 0);
  esse_aes128_encrypt(key, a, s0);
}

int esse_ccm_seal(const esse_aes128_t *key, const uint8_t *nonce, size_t nonce_len, size_t tag_len,
                  const uint8_t *aad, size_t aad_len, uint8_t *data, size_t len, uint8_t *tag) {
  uint8_t x[16], s0[16];
  size_t k;
  if (!check_params(nonce_len, tag_len, aad_len, len)) return ESSE_CCM_ERR_PARAM;
  cbc_mac(key, nonce, nonce_len, tag_len, aad, aad_len, data, len, x);
  tag_mask(key, nonce, nonce_len, s0);
  for (k = 0; k < tag_len; k++) tag[k] = (uint8_t)(x[k] ^ s0[k]);
  ctr_crypt(key, nonce, nonce_len, data, len);
  esse_wipe(x, sizeof x);
  esse_wipe(s0, sizeof s0);
  return ESSE_CCM_OK;
}

int esse_ccm_open(const esse_aes128_t *key, const uint8_t *nonce, size_t nonce_len, size_t tag_len,
                  const uint8_t *aad, size_t aad_len, uint8_t *data, size_t len, const uint8_t *tag) {
  uint8_t x[16], s0[16];
  size_t k;
  uint8_t diff;
  if (!check_params(nonce_len, tag_len, aad_len, len)) return ESSE_CCM_ERR_PARAM;
  ctr_crypt(key, nonce, nonce_len, data, len);
  cbc_mac(key, nonce, nonce_len, tag_len, aad, aad_len, data, len, x);
  tag_mask(key, nonce, nonce_len, s0);
  for (k = 0; k < tag_len; k++) x[k] ^= s0[k];
  diff = esse_ct_diff(x, tag, tag_len);
  esse_wipe(x, sizeof x);
  esse_wipe(s0, sizeof s0);
  if (diff) {
    esse_wipe(data, len);
    return ESSE_CCM_ERR_TAG;
  }
  return ESSE_CCM_OK;
}
