/* AES-128 forward cipher (FIPS-197). CCM only needs encryption, so no inverse cipher is built. */
#ifndef ESSE_AES128_H
#define ESSE_AES128_H

#include <stdint.h>

#define ESSE_AES_BLOCK 16u
#define ESSE_AES128_KEY 16u

typedef struct {
  uint8_t round_keys[176]; /* 11 round keys x 16 bytes (FIPS-197 section 5.2, Nk = 4, Nr = 10) */
} esse_aes128_t;

void esse_aes128_init(esse_aes128_t *ctx, const uint8_t key[ESSE_AES128_KEY]);
/* out may be the same buffer as in (encryption in place), but must not partially overlap it. */
void esse_aes128_encrypt(const esse_aes128_t *ctx, const uint8_t in[ESSE_AES_BLOCK],
                         uint8_t out[ESSE_AES_BLOCK]);
void esse_aes128_wipe(esse_aes128_t *ctx);

#endif
