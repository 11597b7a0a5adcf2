/*
 * netplat.h — what the net stack needs from the platform: a millisecond clock and random numbers.
 * The mote's board layer (or a test harness) implements these; the stack never touches hardware.
 */
#ifndef NETPLAT_H
#define NETPLAT_H

#include <stdint.h>

/* Milliseconds since boot; wraps at 2^32 (the stack compares with wrap-safe subtraction). */
uint32_t netplat_clock_ms(void);

/* 16 random bits (message IDs, tokens, CoAP back-off jitter, datagram tags). */
uint16_t netplat_random16(void);

/* Stir 16 bits that differ from boot to boot into the generator (what netplat_random16 starts from
 * at boot alone may repeat after a reset). */
void netplat_random_mix(uint16_t entropy);

/* Wrap-safe "a is at or after b" for netplat_clock_ms() values. */
static inline int netplat_time_reached(uint32_t now, uint32_t deadline)
{
    return (int32_t)(now - deadline) >= 0;
}

#endif
