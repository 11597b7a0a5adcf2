/* Anti-replay windows: the record layer's 64-record window over 48-bit sequence numbers (RFC 6347
 * 4.1.2.6) and the SSM link's 32-message window over 32-bit counters (docs/protocol.md) are one code.
 *
 * A window of width w (4 or 8) is w bytes holding the highest accepted number `max` (a uint32_t or
 * uint64_t field), directly followed by a bitmap of 8w bits (a uint32_t or uint64_t field): bit i says
 * whether max - i was accepted. An all-zero bitmap means nothing was accepted yet: any number is new,
 * and the first one accepted sets max.
 *
 * clang expands 64-bit arithmetic on the MSP430 into long inline sequences (a variable uint64_t shift
 * alone is hundreds of bytes), so numbers and bitmaps are handled byte by byte, least significant first
 * (esse_util.h checks the byte order): differences with a byte borrow loop, the bitmap moved up one bit
 * per step. */
#ifndef ESSE_REPLAY_H
#define ESSE_REPLAY_H

#include <stdint.h>

#include "esse_util.h"

/* Check n (w bytes; accept = 0): 0 when it is above the window or in it and not accepted yet, 1 when
 * accepted before, -1 when below the window. With accept = 1, also take n (after a check said 0): max
 * moves up to n if n is above it, and n's bit is set. */
int esse_window(uint8_t *win, const uint8_t *n, uint8_t w, uint8_t accept);

#endif
