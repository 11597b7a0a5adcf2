/* CCM as specified in RFC 3610 section 2: CBC-MAC over B_0 | encoded AAD | message, CTR with A_i.
 * Written for size: seal and open are one pass that runs, per 16-byte block, the counter block A_i
 * (keystream S_i) and the CBC-MAC block together; only the plaintext differs in which side of the XOR
 * it is on. B_0 and A_0 share their nonce bytes, S_0 comes last from A_0. The AES calls per record are
 * those of the two-pass form: 1 for B_0, one per AAD block, two per message block, 1 for S_0. */
#include "ccm.h"
#include "esse_util.h"

int esse_ccm(const esse_aes128_t *key, const uint8_t *nonce, size_t nonce_len, size_t tag_len, const uint8_t *aad,
             size_t aad_len, uint8_t *data, size_t len, uint8_t *tag, uint8_t open) {
  uint8_t xs[32], a[16]; /* the CBC-MAC block, then the keystream block: one wipe */
  uint8_t *const x = xs, *const s = xs + 16, *p;
  size_t k, v = len, n, rest = len;
  uint8_t diff = 0;
  if (nonce_len < 7 || nonce_len > 13 || tag_len < 4 || tag_len > 16 || (tag_len & 1u) || aad_len >= 0xFF00u)
    return ESSE_CCM_ERR_PARAM; /* only the 2-byte l(a) encoding is supported */
  /* A_0 = L' | nonce | 0 (L' = L - 1 = 14 - nonce_len); B_0 = A_0 with Adata, M' and l(m) */
  esse_wipe(a, 16);
  a[0] = (uint8_t)(14u - nonce_len);
  esse_copy(a + 1, nonce, nonce_len);
  esse_copy(x, a, 16);
  x[0] |= (uint8_t)((aad_len ? 0x40u : 0u) | ((tag_len - 2) << 2));
  for (k = 15; k > nonce_len; k--) {
    x[k] = (uint8_t)v;
    v >>= 8;
  }
  if (v) return ESSE_CCM_ERR_PARAM; /* l(m) must fit in L bytes */
  esse_aes128_encrypt(key, x, x);
  if (aad_len) {
    /* the first AAD block starts with the 2-byte l(a); zero padding needs no XOR */
    p = x + 2;
    x[0] ^= (uint8_t)(aad_len >> 8);
    x[1] ^= (uint8_t)aad_len;
    do {
      *p++ ^= *aad++;
      if (p == x + 16 || aad_len == 1) {
        esse_aes128_encrypt(key, x, x);
        p = x;
      }
    } while (--aad_len);
  }
  while (rest) {
    n = rest < 16 ? rest : 16;
    rest -= n;
    /* next counter: big-endian increment of the counter field (it never carries into the nonce:
     * l(m) fits in L bytes, so the block count does too) */
    for (p = a + 16; ++*--p == 0;) {
    }
    esse_aes128_encrypt(key, a, s);
    for (k = 0; k < n; k++) {
      uint8_t c = *data;
      *data++ = (uint8_t)(c ^ s[k]);
      x[k] ^= open ? (uint8_t)(c ^ s[k]) : c; /* the MAC runs over the plaintext */
    }
    esse_aes128_encrypt(key, x, x);
  }
  esse_wipe(a + 1 + nonce_len, 15u - nonce_len); /* A_0: the L counter bytes back to 0 */
  esse_aes128_encrypt(key, a, s); /* S_0 masks the tag: U = T xor first-M-bytes(S_0) */
  for (k = 0; k < tag_len; k++) {
    uint8_t t = (uint8_t)(x[k] ^ s[k]);
    if (open)
      diff |= (uint8_t)(t ^ tag[k]); /* constant time: every byte is compared */
    else
      tag[k] = t;
  }
  esse_wipe(xs, sizeof xs);
  if (diff) {
    esse_wipe(data - len, len);
    return ESSE_CCM_ERR_TAG;
  }
  return ESSE_CCM_OK;
}
