/*
 * tinydtls_platform.h - what the mote gives TinyDTLS (built with -DWITH_BAREMETAL):
 *
 *   time        dtls_clock_init(), dtls_ticks(): milliseconds from the Sky monotonic clock
 *   memory      dtls_pool_alloc(), dtls_pool_free(): static pools (platform-specific/dtls_pool.h)
 *   randomness  dtls_prng_init(), dtls_prng(): a SHA-256 generator seeded from ADC12 noise
 *
 * and the few extras below for applications and tests.
 */
#ifndef TINYDTLS_PLATFORM_H
#define TINYDTLS_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

/* Objects currently taken from pool `pool` (a dtls_pool_t), for leak checks. */
uint8_t tinydtls_pool_in_use(int pool);

/*
 * Entropy: `count` raw samples from the ADC12 (internal temperature diode against the 1.5 V
 * reference, sampled on the ADC12's own oscillator while the CPU counts DCO-clocked loop
 * iterations until the conversion ends). Each sample is the 12-bit result in the low bits and
 * the loop count in the high bits. Returns how many samples differed from their predecessor:
 * 0 means the source produced nothing usable.
 */
uint16_t tinydtls_entropy_collect(void (*sink)(void *ctx, uint16_t sample), void *ctx, uint16_t count);

/* Samples folded into the PRNG seed by dtls_prng_init(). */
#define TINYDTLS_ENTROPY_SAMPLES 128u

/* Changing samples seen by the last dtls_prng_init() (0: no entropy; the seed then holds only
 * the mote id, the clock and TinyDTLS's seed argument - never use it for keys). */
uint16_t tinydtls_prng_entropy_changes(void);

#endif /* TINYDTLS_PLATFORM_H */
