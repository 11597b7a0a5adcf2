/*
 * ccm_esse.c - TinyDTLS's CCM entry points (ccm.h: dtls_ccm_encrypt_message, dtls_ccm_decrypt_message)
 * on the firmware's record-layer CCM (firmware/dtls_record/ccm.c, RFC 3610) instead of TinyDTLS's
 * ccm.c: the images that link the compact AES (rijndael_esse.c) anyway get CCM for its size once, not
 * twice. The rijndael_ctx carries an esse_aes128_t (rijndael_esse.c puts it there).
 */
#include <stddef.h>

#include "aes/rijndael.h"
#include "ccm.h"                /* TinyDTLS's: the prototypes this file provides */
#include "../dtls_record/ccm.h" /* the firmware's: esse_ccm_seal, esse_ccm_open */

/* M-byte tag after msg[0:lm], encrypted in place; lm + M, or -1 on parameters CCM does not allow */
long int dtls_ccm_encrypt_message(rijndael_ctx *ctx, size_t M, size_t L,
                                  const unsigned char nonce[DTLS_CCM_BLOCKSIZE], unsigned char *msg, size_t lm,
                                  const unsigned char *aad, size_t la)
{
    const esse_aes128_t *key = (const esse_aes128_t *)(const void *)ctx->ek;
    if (L < 2 || L > 8)
        return -1;
    if (esse_ccm_seal(key, nonce, 15u - L, M, aad, la, msg, lm, msg + lm) != ESSE_CCM_OK)
        return -1;
    return (long int)(lm + M);
}

/* msg[0:lm] is ciphertext then the M-byte tag; decrypted in place: lm - M, or -1 (bad tag, bad length) */
long int dtls_ccm_decrypt_message(rijndael_ctx *ctx, size_t M, size_t L,
                                  const unsigned char nonce[DTLS_CCM_BLOCKSIZE], unsigned char *msg, size_t lm,
                                  const unsigned char *aad, size_t la)
{
    const esse_aes128_t *key = (const esse_aes128_t *)(const void *)ctx->ek;
    if (lm < M || L < 2 || L > 8)
        return -1;
    if (esse_ccm_open(key, nonce, 15u - L, M, aad, la, msg, lm - M, msg + lm - M) != ESSE_CCM_OK)
        return -1;
    return (long int)(lm - M);
}
