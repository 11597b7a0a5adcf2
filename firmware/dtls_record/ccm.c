/* CCM as specified in RFC 3610 section 2: CBC-MAC over B_0 | encoded AAD | message, CTR with A_i.
 * Byte loops walk pointers (MSP430 autoincrement) and every length shift is by a constant 8, so the
 * per-record path makes no MSPABI helper calls. */
#include "ccm.h"
#include "esse_util.h"

static int check_params(size_t nonce_len, size_t tag_len, size_t aad_len, size_t len) {
  size_t L = 15u - nonce_len, k;
  if (nonce_len < 7 || nonce_len > 13) return 0;
  if (tag_len < 4 || tag_len > 16 || (tag_len & 1u)) return 0;
  if (aad_len >= 0xFF00u) return 0; /* only the 2-byte l(a) encoding is supported */
  for (k = 0; k < L && len; k++) len >>= 8; /* l(m) must fit in L bytes */
  return len == 0;
}

/* flags | nonce | v as an L-byte big-endian field (B_0 carries l(m) there, A_i the counter i) */
static void format_block(uint8_t b[16], uint8_t flags, const uint8_t *nonce, size_t nonce_len, size_t v) {
  uint8_t *end = b + 16;
  size_t L = 15u - nonce_len;
  *b++ = flags;
  while (nonce_len--) *b++ = *nonce++;
  while (L--) {
    *--end = (uint8_t)v;
    v >>= 8;
  }
}

/* x = CBC-MAC (before the S_0 mask) */
static void cbc_mac(const esse_aes128_t *key, const uint8_t *nonce, size_t nonce_len, size_t tag_len,
                    const uint8_t *aad, size_t aad_len, const uint8_t *msg, size_t len, uint8_t x[16]) {
  size_t k;
  /* B_0: flags = 64*Adata + 8*M' + L' */
  format_block(x, (uint8_t)((aad_len ? 0x40u : 0u) | (((tag_len - 2) / 2) << 3) | (14u - nonce_len)), nonce,
               nonce_len, len);
  esse_aes128_encrypt(key, x, x);
  if (aad_len) {
    /* the first AAD block starts with the 2-byte l(a); zero padding needs no XOR */
    uint8_t *p = x + 2;
    x[0] ^= (uint8_t)(aad_len >> 8);
    x[1] ^= (uint8_t)aad_len;
    do {
      *p++ ^= *aad++;
      if (p == x + 16) {
        esse_aes128_encrypt(key, x, x);
        p = x;
      }
    } while (--aad_len);
    if (p != x) esse_aes128_encrypt(key, x, x);
  }
  while (len) {
    size_t n = len < 16 ? len : 16;
    uint8_t *p = x;
    len -= n;
    for (k = n; k; k--) *p++ ^= *msg++;
    esse_aes128_encrypt(key, x, x);
  }
}

/* data ^= S_1 | S_2 | ...; a holds A_1 on entry (counter field in its last L bytes) */
static void ctr_crypt(const esse_aes128_t *key, uint8_t a[16], size_t L, uint8_t *data, size_t len,
                      uint8_t s[16]) {
  while (len) {
    size_t n = len < 16 ? len : 16, k;
    const uint8_t *p = s;
    uint8_t *c = a + 15;
    esse_aes128_encrypt(key, a, s);
    len -= n;
    for (k = n; k; k--) *data++ ^= *p++;
    /* next counter: big-endian increment over the L counter bytes (public, so a carry loop is fine) */
    for (k = L; k && ++*c == 0; k--) c--;
  }
}

int esse_ccm_seal(const esse_aes128_t *key, const uint8_t *nonce, size_t nonce_len, size_t tag_len,
                  const uint8_t *aad, size_t aad_len, uint8_t *data, size_t len, uint8_t *tag) {
  uint8_t x[16], s[16], a[16];
  size_t k;
  if (!check_params(nonce_len, tag_len, aad_len, len)) return ESSE_CCM_ERR_PARAM;
  cbc_mac(key, nonce, nonce_len, tag_len, aad, aad_len, data, len, x);
  format_block(a, (uint8_t)(14u - nonce_len), nonce, nonce_len, 0);
  esse_aes128_encrypt(key, a, s); /* S_0 masks the tag: U = T xor first-M-bytes(S_0) */
  for (k = 0; k < tag_len; k++) tag[k] = (uint8_t)(x[k] ^ s[k]);
  a[15] = 1;
  ctr_crypt(key, a, 15u - nonce_len, data, len, s);
  esse_wipe(x, sizeof x);
  esse_wipe(s, sizeof s);
  return ESSE_CCM_OK;
}

int esse_ccm_open(const esse_aes128_t *key, const uint8_t *nonce, size_t nonce_len, size_t tag_len,
                  const uint8_t *aad, size_t aad_len, uint8_t *data, size_t len, const uint8_t *tag) {
  uint8_t x[16], s0[16], a[16];
  size_t k;
  uint8_t diff;
  if (!check_params(nonce_len, tag_len, aad_len, len)) return ESSE_CCM_ERR_PARAM;
  format_block(a, (uint8_t)(14u - nonce_len), nonce, nonce_len, 0);
  esse_aes128_encrypt(key, a, s0);
  a[15] = 1;
  ctr_crypt(key, a, 15u - nonce_len, data, len, x); /* x as the keystream buffer until the MAC */
  cbc_mac(key, nonce, nonce_len, tag_len, aad, aad_len, data, len, x);
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
