/*
 * kat_tinydtls.c - requests for the patched TinyDTLS crypto as the mote links it
 * (built only in the tinydtls flavour, -DKAT_TINYDTLS; the ECC ones with -DDTLS_ECC too):
 *
 *   'A'  AES-128 (rijndael):  key[16] block[16] -> ciphertext[16]; spans: key setup, encryption
 *   'C'  CCM seal (dtls_encrypt_params): key[16] M L nonce[15-L] aad_len[2] aad payload
 *                             -> ciphertext || tag[M]; span: the call (key setup included)
 *   'O'  CCM open (dtls_decrypt_params): same layout with ciphertext || tag -> payload, err 2
 *   'H'  SHA-256:             data -> digest[32]; span: init+update+final
 *   'M'  SHA-256 streaming:   count[4] byte -> digest of `count` copies of `byte`, fed in
 *                             64-byte updates; span: the whole hash
 *   'h'  HMAC-SHA256:         key_len[2] key data -> mac[32]
 *   'P'  TLS 1.2 PRF (dtls_prf): secret_len[2] secret label_len label r1_len r1 r2_len r2
 *                             out_len[2] -> output[out_len]
 *   'G'  P-256 public key:    d[32] -> x[32] y[32] (ecc_gen_pub_key)
 *   'E'  P-256 ECDH:          d[32] x[32] y[32] -> shared x[32] (dtls_ecdh_pre_master_secret)
 *   'S'  ECDSA sign, given k: d[32] hash[32] k[32] -> r[32] s[32] (ecc_ecdsa_sign), err 3 if
 *                             k gives r = 0 or s = 0
 *   'T'  ECDSA sign, mote PRNG k: d[32] hash[32] -> r[32] s[32] (dtls_ecdsa_create_sig_hash)
 *   'V'  ECDSA verify:        x[32] y[32] hash[32] r[32] s[32] -> ok (empty) or err 2
 *                             (dtls_ecdsa_verify_sig_hash)
 * Integers are big-endian byte strings, as on the wire.
 */
#include <string.h>

#include "tinydtls.h"
#include "crypto.h"
#include "hmac.h"
#include "sha2/sha2.h"
#ifdef DTLS_ECC
#include "dtls_prng.h"
#include "ecc/ecc.h"
#include "sky.h"
#include "tinydtls_platform.h"
#endif

#include "kat.h"

static uint8_t work[KAT_MAX_PAYLOAD];

static void cmd_aes(const uint8_t *in, uint16_t len)
{
    static rijndael_ctx ctx;
    uint8_t out[16];
    if (len != 32) {
        kat_reply_err(KAT_ERR_FORMAT);
        return;
    }
    kat_span_begin();
    int rc = rijndael_set_key_enc_only(&ctx, in, 128);
    kat_span_end();
    if (rc < 0) {
        kat_reply_err(KAT_ERR_PARAM);
        return;
    }
    kat_span_begin();
    rijndael_encrypt(&ctx, in + 16, out);
    kat_span_end();
    kat_reply_ok(out, sizeof(out));
}

static void cmd_ccm(const uint8_t *in, uint16_t len, int seal)
{
    struct kat_reader r = {in, len};
    const uint8_t *key, *nonce, *aad, *data;
    uint8_t m, l;
    uint16_t aad_len, data_len;
    if (!kat_take(&r, &key, 16) || !kat_take_u8(&r, &m) || !kat_take_u8(&r, &l) || l < 2 || l > 8 ||
        !kat_take(&r, &nonce, (uint16_t)(15u - l)) || !kat_take_u16(&r, &aad_len) ||
        !kat_take(&r, &aad, aad_len)) {
        kat_reply_err(KAT_ERR_FORMAT);
        return;
    }
    data_len = r.left;
    data = r.p;
    if ((seal && data_len + m > sizeof(work)) || (!seal && data_len < m)) {
        kat_reply_err(KAT_ERR_FORMAT);
        return;
    }
    dtls_ccm_params_t params = {nonce, m, l};
    int rc;
    kat_span_begin();
    if (seal)
        rc = dtls_encrypt_params(&params, data, data_len, work, key, 16, aad, aad_len);
    else
        rc = dtls_decrypt_params(&params, data, data_len, work, key, 16, aad, aad_len);
    kat_span_end();
    if (rc < 0)
        kat_reply_err(seal ? KAT_ERR_PARAM : KAT_ERR_AUTH);
    else
        kat_reply_ok(work, (size_t)rc);
}

static void cmd_seal(const uint8_t *in, uint16_t len)
{
    cmd_ccm(in, len, 1);
}

static void cmd_open(const uint8_t *in, uint16_t len)
{
    cmd_ccm(in, len, 0);
}

static void cmd_sha256(const uint8_t *in, uint16_t len)
{
    static dtls_sha256_ctx h;
    uint8_t digest[DTLS_SHA256_DIGEST_LENGTH];
    kat_span_begin();
    dtls_sha256_init(&h);
    dtls_sha256_update(&h, in, len);
    dtls_sha256_final(digest, &h);
    kat_span_end();
    kat_reply_ok(digest, sizeof(digest));
}

static void cmd_sha256_stream(const uint8_t *in, uint16_t len)
{
    static dtls_sha256_ctx h;
    uint8_t digest[DTLS_SHA256_DIGEST_LENGTH];
    uint8_t chunk[64];
    struct kat_reader r = {in, len};
    uint32_t count;
    uint8_t byte;
    if (!kat_take_u32(&r, &count) || !kat_take_u8(&r, &byte) || r.left) {
        kat_reply_err(KAT_ERR_FORMAT);
        return;
    }
    memset(chunk, byte, sizeof(chunk));
    kat_span_begin();
    dtls_sha256_init(&h);
    while (count) {
        uint16_t n = count < sizeof(chunk) ? (uint16_t)count : (uint16_t)sizeof(chunk);
        dtls_sha256_update(&h, chunk, n);
        count -= n;
    }
    dtls_sha256_final(digest, &h);
    kat_span_end();
    kat_reply_ok(digest, sizeof(digest));
}

static void cmd_hmac(const uint8_t *in, uint16_t len)
{
    static dtls_hmac_context_t hmac;
    uint8_t mac[DTLS_HMAC_DIGEST_SIZE];
    struct kat_reader r = {in, len};
    const uint8_t *key;
    uint16_t key_len;
    if (!kat_take_u16(&r, &key_len) || !kat_take(&r, &key, key_len)) {
        kat_reply_err(KAT_ERR_FORMAT);
        return;
    }
    kat_span_begin();
    dtls_hmac_init(&hmac, key, key_len);
    dtls_hmac_update(&hmac, r.p, r.left);
    int n = dtls_hmac_finalize(&hmac, mac);
    kat_span_end();
    kat_reply_ok(mac, (size_t)n);
}

static void cmd_prf(const uint8_t *in, uint16_t len)
{
    struct kat_reader r = {in, len};
    const uint8_t *secret, *label, *r1, *r2;
    uint16_t secret_len, out_len;
    uint8_t label_len, r1_len, r2_len;
    if (!kat_take_u16(&r, &secret_len) || !kat_take(&r, &secret, secret_len) ||
        !kat_take_u8(&r, &label_len) || !kat_take(&r, &label, label_len) || !kat_take_u8(&r, &r1_len) ||
        !kat_take(&r, &r1, r1_len) || !kat_take_u8(&r, &r2_len) || !kat_take(&r, &r2, r2_len) ||
        !kat_take_u16(&r, &out_len) || r.left || out_len > sizeof(work)) {
        kat_reply_err(KAT_ERR_FORMAT);
        return;
    }
    kat_span_begin();
    size_t n = dtls_prf(secret, secret_len, label, label_len, r1, r1_len, r2, r2_len, work, out_len);
    kat_span_end();
    kat_reply_ok(work, n);
}

#ifdef DTLS_ECC
/* ecc.c keeps a 256-bit integer as 8 32-bit words, least significant word first */
static void words_from_bytes(const uint8_t *be, uint32_t w[8])
{
    for (int i = 0; i < 8; i++) {
        const uint8_t *p = be + 4 * (7 - i);
        w[i] = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    }
}

static void bytes_from_words(const uint32_t w[8], uint8_t *be)
{
    for (int i = 0; i < 8; i++) {
        uint8_t *p = be + 4 * (7 - i);
        p[0] = (uint8_t)(w[i] >> 24);
        p[1] = (uint8_t)(w[i] >> 16);
        p[2] = (uint8_t)(w[i] >> 8);
        p[3] = (uint8_t)w[i];
    }
}

static void cmd_pubkey(const uint8_t *in, uint16_t len)
{
    uint32_t d[8], x[8], y[8];
    if (len != 32) {
        kat_reply_err(KAT_ERR_FORMAT);
        return;
    }
    words_from_bytes(in, d);
    kat_span_begin();
    ecc_gen_pub_key(d, x, y);
    kat_span_end();
    bytes_from_words(x, work);
    bytes_from_words(y, work + 32);
    kat_reply_ok(work, 64);
}

static void cmd_ecdh(const uint8_t *in, uint16_t len)
{
    uint8_t d[32], x[32], y[32];
    if (len != 96) {
        kat_reply_err(KAT_ERR_FORMAT);
        return;
    }
    /* the TinyDTLS prototype takes non-const buffers */
    memcpy(d, in, 32);
    memcpy(x, in + 32, 32);
    memcpy(y, in + 64, 32);
    kat_span_begin();
    int n = dtls_ecdh_pre_master_secret(d, x, y, 32, work, sizeof(work));
    kat_span_end();
    if (n != 32)
        kat_reply_err(KAT_ERR_PARAM);
    else
        kat_reply_ok(work, 32);
}

static void cmd_sign_k(const uint8_t *in, uint16_t len)
{
    uint32_t d[8], e[8], k[8], r[9], s[9];
    if (len != 96) {
        kat_reply_err(KAT_ERR_FORMAT);
        return;
    }
    words_from_bytes(in, d);
    words_from_bytes(in + 32, e);
    words_from_bytes(in + 64, k);
    kat_span_begin();
    int rc = ecc_ecdsa_sign(d, e, k, r, s);
    kat_span_end();
    if (rc) {
        kat_reply_err(KAT_ERR_PARAM);
        return;
    }
    bytes_from_words(r, work);
    bytes_from_words(s, work + 32);
    kat_reply_ok(work, 64);
}

static void cmd_sign_prng(const uint8_t *in, uint16_t len)
{
    uint32_t r[9], s[9];
    if (len != 64) {
        kat_reply_err(KAT_ERR_FORMAT);
        return;
    }
    kat_span_begin();
    dtls_ecdsa_create_sig_hash(in, 32, in + 32, 32, r, s);
    kat_span_end();
    bytes_from_words(r, work);
    bytes_from_words(s, work + 32);
    kat_reply_ok(work, 64);
}

static void cmd_verify(const uint8_t *in, uint16_t len)
{
    uint8_t r[32], s[32];
    if (len != 160) {
        kat_reply_err(KAT_ERR_FORMAT);
        return;
    }
    memcpy(r, in + 96, 32);
    memcpy(s, in + 128, 32);
    kat_span_begin();
    int rc = dtls_ecdsa_verify_sig_hash(in, in + 32, 32, in + 64, 32, r, s);
    kat_span_end();
    if (rc == 0)
        kat_reply_ok(work, 0);
    else
        kat_reply_err(KAT_ERR_AUTH);
}
#endif /* DTLS_ECC */

uint16_t kat_tinydtls_init(void)
{
#ifdef DTLS_ECC
    dtls_prng_init(sky_node_id());
    return tinydtls_prng_entropy_changes();
#else
    return 0;
#endif
}

const struct kat_command kat_tinydtls_commands[] = {
    {'A', cmd_aes},
    {'C', cmd_seal},
    {'O', cmd_open},
    {'H', cmd_sha256},
    {'M', cmd_sha256_stream},
    {'h', cmd_hmac},
    {'P', cmd_prf},
#ifdef DTLS_ECC
    {'G', cmd_pubkey},
    {'E', cmd_ecdh},
    {'S', cmd_sign_k},
    {'T', cmd_sign_prng},
    {'V', cmd_verify},
#endif
    {0, 0},
};
