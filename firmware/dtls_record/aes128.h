/* AES-128 forward cipher (FIPS-197). CCM only needs encryption, so no inverse cipher is built.
 * Two backends: aes128.c (software, the default) or, with -DESSE_AES_SAES, aes128_saes.c (the radio). */
#ifndef ESSE_AES128_H
#define ESSE_AES128_H

#include <stdint.h>

#define ESSE_AES_BLOCK 16u
#define ESSE_AES128_KEY 16u

#ifdef ESSE_AES_SAES
/* -DESSE_AES_SAES: the CC2420's stand-alone AES computes the blocks (aes128_saes.c on firmware/dev's
 * cc2420_saes.h: link the dev module and run cc2420_init() before the first block). A context keeps
 * the raw key; the chip holds the key of the context used last. */
typedef struct {
  uint8_t key[16];
  uint16_t id; /* given by esse_aes128_init: whose key the chip holds (0: wiped) */
} esse_aes128_t;
#else
typedef struct {
  uint8_t round_keys[176]; /* 11 round keys x 16 bytes (FIPS-197 section 5.2, Nk = 4, Nr = 10) */
} esse_aes128_t;
#endif

void esse_aes128_init(esse_aes128_t *ctx, const uint8_t key[ESSE_AES128_KEY]);
/* out may be the same buffer as in (encryption in place), but must not partially overlap it. */
void esse_aes128_encrypt(const esse_aes128_t *ctx, const uint8_t in[ESSE_AES_BLOCK],
                         uint8_t out[ESSE_AES_BLOCK]);
void esse_aes128_wipe(esse_aes128_t *ctx);

#endif
