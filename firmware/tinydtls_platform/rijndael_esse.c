/*
 * rijndael_esse.c - TinyDTLS's rijndael_ctx API (aes/rijndael.h) on the firmware's compact AES-128
 * (firmware/dtls_record/aes128.c) instead of TinyDTLS's T-table rijndael.c: about 6.5 KB less flash,
 * what lets the full-handshake CCS (ccs_full/) fit the F1611. CCM only ever encrypts, and DTLS 1.2
 * with AES_128_CCM(_8) only uses 128-bit keys, so that is all this provides.
 */
#include <string.h>

#include "aes/rijndael.h"
#include "aes128.h"

_Static_assert(sizeof(((rijndael_ctx *)0)->ek) >= sizeof(esse_aes128_t), "round keys fit the key schedule");

int rijndael_set_key_enc_only(rijndael_ctx *ctx, const u_char *key, int bits)
{
    if (bits != 128)
        return -1;
    esse_aes128_init((esse_aes128_t *)(void *)ctx->ek, key);
    ctx->Nr = 10;
    return 0;
}

void rijndael_encrypt(rijndael_ctx *ctx, const u_char *src, u_char *dst)
{
    esse_aes128_encrypt((const esse_aes128_t *)(const void *)ctx->ek, src, dst);
}
