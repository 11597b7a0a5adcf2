/* Byte helpers for the record layer: freestanding (no libc), so the mote build needs nothing else. */
#ifndef ESSE_UTIL_H
#define ESSE_UTIL_H

#include <stddef.h>
#include <stdint.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "esse_rcopy and the anti-replay windows take integers as bytes, least significant first"
#endif

/* A compile-time check that C99 can express: the array size goes negative when cond is false. */
#define ESSE_STATIC_ASSERT(name, cond) typedef char esse_static_assert_##name[(cond) ? 1 : -1]

/* Zero memory through a volatile pointer so the compiler cannot drop the store (key wiping). */
void esse_wipe(void *p, size_t n);
void esse_copy(uint8_t *dst, const uint8_t *src, size_t n);
/* dst[0:n] = src[n-1], ..., src[0]: a big-endian wire integer to or from the least significant bytes
 * of a uint16_t..uint64_t field (the MSP430 and the hosts we build for are little-endian). */
void esse_rcopy(uint8_t *dst, const uint8_t *src, size_t n);
/* Constant-time comparison: 0 when equal. */
uint8_t esse_ct_diff(const uint8_t *a, const uint8_t *b, size_t n);

uint16_t esse_get16(const uint8_t *p);
void esse_put16(uint8_t *p, uint16_t v);
uint32_t esse_get32(const uint8_t *p);
void esse_put32(uint8_t *p, uint32_t v);
/* 48-bit big-endian (DTLS sequence numbers) */
uint64_t esse_get48(const uint8_t *p);
void esse_put48(uint8_t *p, uint64_t v);
uint64_t esse_get64(const uint8_t *p);
void esse_put64(uint8_t *p, uint64_t v);

#endif
