/*
 * dev_cc2420_aes.h — the block cipher of the CC2420 model's security engine: AES-128 encryption
 * (FIPS-197), what the radio's stand-alone encryption (SAES) computes. Byte order is FIPS-197's
 * (key[0], in[0] and out[0] are the first bytes of the standard's vectors); the radio's RAM keeps
 * them reversed, which dev_cc2420.c handles.
 */
#ifndef ESSE_DEV_CC2420_AES_H
#define ESSE_DEV_CC2420_AES_H

#include <stdint.h>

/* out = AES-128 of in under key; out may be in. */
void cc2420_aes128_encrypt(const uint8_t *key, const uint8_t *in, uint8_t *out);

#endif /* ESSE_DEV_CC2420_AES_H */
