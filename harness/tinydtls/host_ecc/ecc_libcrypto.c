/* TinyDTLS's ecc/ecc.h API (secp256r1) on OpenSSL 3's libcrypto, for the host extension only.
 *
 * Integers are TinyDTLS's: 8 uint32_t words, least significant word first, each word a native
 * integer. The point at infinity is written as (0, 0), as the reference implementation does.
 * Results equal the reference implementation's for every valid input (same private key -> same
 * public key, same caller-supplied k -> same signature), so seeded runs stay byte-identical; the
 * point arithmetic is OpenSSL's (EC_GROUP prime256v1, constant-time scalar multiplication).
 *
 * Deliberate differences, only on inputs the reference accepts but SEC 1 does not:
 *  - a peer point that is not on the curve, has a coordinate >= p, or is (0, 0) is refused:
 *    ecc_ec_mult writes (0, 0) and ecc_ecdsa_validate returns -1 (the reference computes on
 *    whatever curve the point lies on, which leaks the secret to an invalid-curve attack);
 *  - ecc_is_valid_key(0) is 0 (SEC 1: a private key lies in [1, n-1]); the reference says 1.
 *  - ecc_ecdsa_validate returns -1 for s = n (no inverse; the reference's inversion does not end).
 */
#include "ecc_libcrypto.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>

/* SEC 2, section 2.4.2: the base point G of secp256r1, least significant word first. */
const uint32_t ecc_g_point_x[8] = {0xD898C296, 0xF4A13945, 0x2DEB33A0, 0x77037D81,
                                   0x63A440F2, 0xF8BCE6E5, 0xE12C4247, 0x6B17D1F2};
const uint32_t ecc_g_point_y[8] = {0x37BF51F5, 0xCBB64068, 0x6B315ECE, 0x2BCE3357,
                                   0x7C0F9E16, 0x8EE7EB4A, 0xFE1A7F9B, 0x4FE342E2};

#define WORDS 8
#define BYTES 32

static EC_GROUP *g_group;          /* prime256v1, built once per process, then read-only */
static const BIGNUM *g_order;      /* n */
static BIGNUM *g_prime;            /* p */
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void group_init(void) {
  EC_GROUP *group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  BIGNUM *p = BN_new();
  if (group == NULL || p == NULL || !EC_GROUP_get_curve(group, p, NULL, NULL, NULL)) {
    EC_GROUP_free(group);
    BN_free(p);
    return;
  }
  g_group = group;
  g_order = EC_GROUP_get0_order(group);
  g_prime = p;
}

/* The shared group, or NULL when libcrypto could not build it (then every call fails safely). */
static const EC_GROUP *group(void) {
  pthread_once(&g_once, group_init);
  return g_group;
}

const char *esse_ecc_backend(void) { return "libcrypto"; }

/* words (least significant first) -> BIGNUM, through the 32-byte big-endian form. */
static BIGNUM *words_to_bn(const uint32_t *w, BIGNUM *out) {
  unsigned char be[BYTES];
  int i;
  for (i = 0; i < WORDS; i++) {
    uint32_t v = w[WORDS - 1 - i];
    be[4 * i] = (unsigned char)(v >> 24);
    be[4 * i + 1] = (unsigned char)(v >> 16);
    be[4 * i + 2] = (unsigned char)(v >> 8);
    be[4 * i + 3] = (unsigned char)v;
  }
  return BN_bin2bn(be, BYTES, out);
}

/* BIGNUM in [0, 2^256) -> words; returns 0 if it does not fit. */
static int bn_to_words(const BIGNUM *b, uint32_t *w) {
  unsigned char be[BYTES];
  int i;
  if (BN_bn2binpad(b, be, BYTES) != BYTES) return 0;
  for (i = 0; i < WORDS; i++) {
    w[WORDS - 1 - i] = (uint32_t)be[4 * i] << 24 | (uint32_t)be[4 * i + 1] << 16 |
                       (uint32_t)be[4 * i + 2] << 8 | (uint32_t)be[4 * i + 3];
  }
  return 1;
}

/* n fresh BIGNUMs from ctx (inside BN_CTX_start/end); 0 when libcrypto is out of memory. */
static int ctx_bignums(BN_CTX *ctx, BIGNUM **v, int n) {
  int i;
  for (i = 0; i < n; i++) {
    if ((v[i] = BN_CTX_get(ctx)) == NULL) return 0;
  }
  return 1;
}

static int words_are_zero(const uint32_t *w) {
  uint32_t acc = 0;
  int i;
  for (i = 0; i < WORDS; i++) acc |= w[i];
  return acc == 0;
}

/* The affine point (x, y) as an EC_POINT if it is a valid public point (SEC 1, 3.2.2.1: both
 * coordinates in [0, p), on the curve; n is prime and the cofactor 1, so that is all). */
static int load_point(const EC_GROUP *grp, const uint32_t *x, const uint32_t *y, EC_POINT *out,
                      BN_CTX *ctx) {
  BIGNUM *bx = BN_CTX_get(ctx), *by = BN_CTX_get(ctx);
  if (by == NULL || !words_to_bn(x, bx) || !words_to_bn(y, by)) return 0;
  if (BN_cmp(bx, g_prime) >= 0 || BN_cmp(by, g_prime) >= 0) return 0;
  if (!EC_POINT_set_affine_coordinates(grp, out, bx, by, ctx)) return 0;
  return EC_POINT_is_on_curve(grp, out, ctx) == 1;
}

/* Affine coordinates of pt into x, y; (0, 0) for the point at infinity. */
static int store_point(const EC_GROUP *grp, const EC_POINT *pt, uint32_t *x, uint32_t *y,
                       BN_CTX *ctx) {
  BIGNUM *bx = BN_CTX_get(ctx), *by = BN_CTX_get(ctx);
  if (EC_POINT_is_at_infinity(grp, pt)) {
    memset(x, 0, WORDS * sizeof *x);
    memset(y, 0, WORDS * sizeof *y);
    return 1;
  }
  if (by == NULL || !EC_POINT_get_affine_coordinates(grp, pt, bx, by, ctx)) return 0;
  return bn_to_words(bx, x) && bn_to_words(by, y);
}

static int is_generator(const uint32_t *px, const uint32_t *py) {
  return memcmp(px, ecc_g_point_x, sizeof ecc_g_point_x) == 0 &&
         memcmp(py, ecc_g_point_y, sizeof ecc_g_point_y) == 0;
}

/* secret * P. The scalar is any 256-bit integer (it acts modulo n). P = G uses libcrypto's fixed-base
 * tables; P = (0, 0) (infinity) and an invalid P give (0, 0). */
void ecc_ec_mult(const uint32_t *px, const uint32_t *py, const uint32_t *secret, uint32_t *resultx,
                 uint32_t *resulty) {
  const EC_GROUP *grp = group();
  BN_CTX *ctx = grp ? BN_CTX_secure_new() : NULL;
  EC_POINT *p = NULL, *r = NULL;
  BIGNUM *k;
  int ok = 0;
  uint32_t rx[WORDS], ry[WORDS];

  if (ctx == NULL) goto done;
  BN_CTX_start(ctx);
  k = BN_CTX_get(ctx);
  r = EC_POINT_new(grp);
  if (k == NULL || r == NULL || !words_to_bn(secret, k)) goto done;
  BN_set_flags(k, BN_FLG_CONSTTIME);
  if (is_generator(px, py)) {
    ok = EC_POINT_mul(grp, r, k, NULL, NULL, ctx);
  } else {
    p = EC_POINT_new(grp);
    if (p == NULL || !load_point(grp, px, py, p, ctx)) goto done;
    ok = EC_POINT_mul(grp, r, NULL, p, k, ctx);
  }
  ok = ok && store_point(grp, r, rx, ry, ctx);
done:
  if (ok) {
    memcpy(resultx, rx, sizeof rx);
    memcpy(resulty, ry, sizeof ry);
  } else {
    memset(resultx, 0, WORDS * sizeof *resultx);
    memset(resulty, 0, WORDS * sizeof *resulty);
  }
  EC_POINT_free(p);
  EC_POINT_free(r);
  if (ctx != NULL) {
    BN_CTX_end(ctx);
    BN_CTX_free(ctx);
  }
}

/* ECDSA signature (SEC 1, 4.1.3) of the 256-bit hash e with private key d and the caller's nonce k:
 * r = x(kG) mod n, s = k^-1 (e + r d) mod n. r gets 8 words; s gets 9, the 9th 0, as the reference
 * writes them (TinyDTLS's callers pass 9-word buffers for both). Returns 0, or -1 when k, r or s is 0 (the caller retries with a new k)
 * or libcrypto failed. */
int ecc_ecdsa_sign(const uint32_t *d, const uint32_t *e, const uint32_t *k, uint32_t *r, uint32_t *s) {
  const EC_GROUP *grp = group();
  BN_CTX *ctx;
  EC_POINT *kg = NULL;
  BIGNUM *v[6], *bk, *bd, *be, *x, *br, *bs;
  int ret = -1;
  uint32_t rw[WORDS], sw[WORDS];

  if (words_are_zero(k) || grp == NULL) return -1;
  ctx = BN_CTX_secure_new();
  if (ctx == NULL) return -1;
  BN_CTX_start(ctx);
  kg = EC_POINT_new(grp);
  if (!ctx_bignums(ctx, v, 6) || kg == NULL) goto done;
  bk = v[0], bd = v[1], be = v[2], x = v[3], br = v[4], bs = v[5];
  if (!words_to_bn(k, bk) || !words_to_bn(d, bd) || !words_to_bn(e, be)) goto done;
  BN_set_flags(bk, BN_FLG_CONSTTIME);
  BN_set_flags(bd, BN_FLG_CONSTTIME);
  if (!BN_nnmod(bk, bk, g_order, ctx) || !EC_POINT_mul(grp, kg, bk, NULL, NULL, ctx)) goto done;
  if (EC_POINT_is_at_infinity(grp, kg)) goto done; /* k = 0 mod n: r would be 0 */
  if (!EC_POINT_get_affine_coordinates(grp, kg, x, NULL, ctx) || !BN_nnmod(br, x, g_order, ctx))
    goto done;
  if (BN_is_zero(br)) goto done;
  /* s = k^-1 (e + r d) mod n */
  if (!BN_mod_mul(bs, br, bd, g_order, ctx) || !BN_mod_add(bs, bs, be, g_order, ctx)) goto done;
  if (BN_mod_inverse(bk, bk, g_order, ctx) == NULL || !BN_mod_mul(bs, bs, bk, g_order, ctx)) goto done;
  if (BN_is_zero(bs)) goto done;
  if (!bn_to_words(br, rw) || !bn_to_words(bs, sw)) goto done;
  memcpy(r, rw, sizeof rw);
  memcpy(s, sw, sizeof sw);
  s[WORDS] = 0;
  ret = 0;
done:
  EC_POINT_free(kg);
  BN_CTX_end(ctx);
  BN_CTX_free(ctx);
  return ret;
}

/* ECDSA verification (SEC 1, 4.1.4) of (r, s) over the 256-bit hash e with public key (x, y):
 * R = (e/s) G + (r/s) Q, accepted when the affine x of R equals r. Returns 0 if the signature
 * holds, -1 otherwise (also for r = 0, s = 0 mod n, an invalid Q, or a libcrypto failure). */
int ecc_ecdsa_validate(const uint32_t *x, const uint32_t *y, const uint32_t *e, const uint32_t *r,
                       const uint32_t *s) {
  const EC_GROUP *grp = group();
  BN_CTX *ctx;
  EC_POINT *q = NULL, *pt = NULL;
  BIGNUM *v[6], *br, *bs, *be, *u1, *u2, *rx;
  int ret = -1;

  if (words_are_zero(r) || words_are_zero(s) || grp == NULL) return -1;
  ctx = BN_CTX_new();
  if (ctx == NULL) return -1;
  BN_CTX_start(ctx);
  q = EC_POINT_new(grp);
  pt = EC_POINT_new(grp);
  if (!ctx_bignums(ctx, v, 6) || q == NULL || pt == NULL) goto done;
  br = v[0], bs = v[1], be = v[2], u1 = v[3], u2 = v[4], rx = v[5];
  if (!words_to_bn(r, br) || !words_to_bn(s, bs) || !words_to_bn(e, be)) goto done;
  if (!load_point(grp, x, y, q, ctx)) goto done;
  if (!BN_nnmod(bs, bs, g_order, ctx) || BN_is_zero(bs)) goto done;
  /* w = s^-1; u1 = e w; u2 = r w (mod n) */
  if (BN_mod_inverse(bs, bs, g_order, ctx) == NULL || !BN_mod_mul(u1, be, bs, g_order, ctx) ||
      !BN_mod_mul(u2, br, bs, g_order, ctx))
    goto done;
  if (!EC_POINT_mul(grp, pt, u1, q, u2, ctx) || EC_POINT_is_at_infinity(grp, pt)) goto done;
  if (!EC_POINT_get_affine_coordinates(grp, pt, rx, NULL, ctx)) goto done;
  ret = BN_cmp(rx, br) == 0 ? 0 : -1;
done:
  EC_POINT_free(q);
  EC_POINT_free(pt);
  BN_CTX_end(ctx);
  BN_CTX_free(ctx);
  return ret;
}

/* 1 if priv is a usable private key, 0 < priv < n (SEC 1, 3.2.1), else 0. */
int ecc_is_valid_key(const uint32_t *priv_key) {
  const EC_GROUP *grp = group();
  BIGNUM *b;
  int ok;
  if (grp == NULL || words_are_zero(priv_key)) return 0;
  b = words_to_bn(priv_key, NULL);
  if (b == NULL) return 0;
  ok = BN_cmp(b, g_order) < 0;
  BN_clear_free(b);
  return ok;
}
