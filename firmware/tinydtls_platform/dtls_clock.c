/*
 * dtls_clock.c - TinyDTLS time on the mote: milliseconds (DTLS_TICKS_PER_SECOND = 1000) from the
 * Sky monotonic clock (Timer_A on the 32 768 Hz ACLK, started by sky_init()).
 */
#include "tinydtls.h"
#include "dtls_time.h"

#include "sky.h"

#if DTLS_TICKS_PER_SECOND != 1000
#error "dtls_clock.c converts ACLK ticks to milliseconds"
#endif

void dtls_clock_init(void)
{
    /* the board layer owns Timer_A; nothing to start here */
}

/* ms = ticks * 1000 / 32768 = ticks * 125 / 4096, split so nothing overflows 32 bits.
 * Wraps after 2^32 ACLK ticks (about 36 hours); TinyDTLS compares times modulo 2^32 ms, so
 * a retransmission pending across that wrap fires early, once. */
void dtls_ticks(dtls_tick_t *t)
{
    uint32_t ticks = sky_clock_ticks();
    *t = (ticks >> 12) * 125u + (((ticks & 0xFFFu) * 125u) >> 12);
}
