/* Anti-replay windows: the record layer's 64-record window over 48-bit sequence numbers (RFC 6347
 * 4.1.2.6) and the SSM link's 32-message window over 32-bit counters (docs/protocol.md) are one code.
 *
 * A window is the highest accepted number `max` (width bytes, a uint32_t or uint64_t field) and a ring of
 * ring_bytes * 8 bits indexed by number mod ring_bytes * 8: the bit of n says whether n was accepted,
 * for the numbers max - ring_bytes * 8 + 1 .. max. Moving max up by d clears the d positions that now
 * stand for numbers not seen yet (all of them when d is the window or more), so no multi-word shift is
 * needed. The accepted set is exactly that of the shifted bitmap (bit i = max - i) the RFC describes.
 *
 * clang expands 64-bit arithmetic on the MSP430 into long inline sequences, so numbers are compared
 * byte by byte, least significant first (the MSP430 and the hosts we build for are little-endian). */
#ifndef ESSE_REPLAY_H
#define ESSE_REPLAY_H

#include <stdint.h>

#include "esse_util.h" /* which checks the byte order */

/* 0: n is above max or in the window and not accepted yet; 1: accepted before; -1: below the window.
 * ring_bytes is 4 or 8; width (bytes of max and n) at most 8. */
int esse_window_check(const void *max, const void *ring, uint8_t ring_bytes, const void *n, uint8_t width);
/* Accept n (esse_window_check said 0): max moves up to n if n is above it. */
void esse_window_accept(void *max, void *ring, uint8_t ring_bytes, const void *n, uint8_t width);
/* Set bit (ring position) p of a ring. */
void esse_window_set(void *ring, uint8_t ring_bytes, uint8_t p);

#endif
