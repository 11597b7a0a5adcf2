/*
 * cc2420_saes.h - the CC2420's stand-alone AES encryption (SAES) as a block cipher: AES-128 ECB
 * encryption of one 16-byte block by the radio (datasheet SWRS041, section 21).
 *
 * The chip holds two keys (KEY0 at RAM 0x100, KEY1 at 0x130); SECCTRL0.SEC_SAKEYSEL picks the one the
 * SAES strobe uses on the 16 bytes of SABUF (0x120), which it overwrites with the ciphertext; the status
 * byte shows ENC_BUSY for the 14 us that takes. This driver uses KEY1 only: SEC_SAKEYSEL is 1 from reset
 * (SECCTRL0 = 0x0384) and nothing in the firmware writes that bit (cc2420_init() changes only
 * RXFIFO_PROTECTION, read-modify-write), so no key selection is ever sent. Security data is little-endian
 * in the chip's RAM (least significant byte first over SPI), so keys and blocks, given here in FIPS-197
 * order, travel reversed.
 *
 * Needs cc2420_init() done (the oscillator running; the radio may be listening, idle or sending: the
 * engine is independent of the RF path). Main context only, like the rest of the driver: each call
 * holds the bus for its whole exchange with the FIFOP interrupt masked (cc2420_bus.h), so it never runs
 * inside another transaction, such as a frame being written to the TXFIFO or drained from the RXFIFO.
 * cc2420_init() may reset the chip: load the key again when cc2420_inits() changed.
 */
#ifndef ESSE_CC2420_SAES_H
#define ESSE_CC2420_SAES_H

#include <stdint.h>

/* Store key (16 bytes, FIPS-197 order) as KEY1, the stand-alone key. */
void cc2420_saes_load_key(const uint8_t *key);

/* out = AES-128(KEY1, in) (16 bytes each; out may be in). Returns 0, or CC2420_ERR_CHIP when the
 * oscillator is not running or the engine never finished (out is zeroed). */
int cc2420_saes_encrypt(const uint8_t *in, uint8_t *out);

#endif /* ESSE_CC2420_SAES_H */
