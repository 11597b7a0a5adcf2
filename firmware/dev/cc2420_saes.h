/*
 * cc2420_saes.h - the CC2420's stand-alone AES encryption (SAES) as a block cipher: AES-128 ECB
 * encryption of one 16-byte block by the radio (datasheet SWRS041, section 21).
 *
 * The chip holds two keys (KEY0 at RAM 0x100, KEY1 at 0x130); SECCTRL0.SEC_SAKEYSEL picks the one the
 * SAES strobe uses on the 16 bytes of SABUF (0x120), which it overwrites with the ciphertext; the status
 * byte shows ENC_BUSY for the 14 us that takes. Security data is little-endian in the chip's RAM (least
 * significant byte first over SPI), so keys and blocks, given here in FIPS-197 order, travel reversed.
 *
 * Needs cc2420_init() done (the oscillator running; the radio may be listening, idle or sending: the
 * engine is independent of the RF path). Main context only, like the rest of the driver: each call
 * holds the bus for its whole exchange with the FIFOP interrupt masked (cc2420_bus.h), so it never runs
 * inside another transaction, such as a frame being written to the TXFIFO or drained from the RXFIFO.
 * cc2420_init() may reset the chip: load the keys again when cc2420_inits() changed (the key selection
 * follows by itself).
 */
#ifndef ESSE_CC2420_SAES_H
#define ESSE_CC2420_SAES_H

#include <stdint.h>

#define CC2420_SAES_KEYS 2u /* KEY0, KEY1 */

/* Store key (16 bytes, FIPS-197 order) as KEYn, n = slot & 1. */
void cc2420_saes_load_key(uint8_t slot, const uint8_t *key);

/* out = AES-128(KEYn, in), n = slot & 1 (16 bytes each; out may be in). Returns 0, or
 * CC2420_ERR_CHIP when the oscillator is not running or the engine never finished (out is zeroed). */
int cc2420_saes_encrypt(uint8_t slot, const uint8_t *in, uint8_t *out);

#endif /* ESSE_CC2420_SAES_H */
