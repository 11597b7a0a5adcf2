/*
 * netplat_sky.c — netplat.h on the Tmote Sky: milliseconds from the board's 32 768 Hz monotonic clock,
 * and a xorshift generator seeded from the node id and the clock (not cryptographic: message IDs,
 * tokens and back-off jitter only). Milliseconds are exact until the 32-bit tick counter wraps
 * (36 hours), where the millisecond count jumps.
 */
#include "netplat.h"
#include "sky.h"

static uint16_t rng_state;

uint32_t netplat_clock_ms(void)
{
    uint32_t t = sky_clock_ticks();
    return (t >> 15) * 1000u + (((t & 0x7fffu) * 1000u) >> 15);
}

void netplat_random_mix(uint16_t entropy)
{
    (void)netplat_random16(); /* seeded */
    rng_state ^= entropy;
    if (rng_state == 0)
        rng_state = 0xace1u; /* the xorshift's one fixed point */
}

uint16_t netplat_random16(void)
{
    uint16_t x = rng_state;
    if (x == 0)
        x = (uint16_t)(sky_node_id() * 40503u) ^ (uint16_t)sky_clock_ticks() ^ 0xace1u;
    x ^= (uint16_t)(x << 7);
    x ^= (uint16_t)(x >> 9);
    x ^= (uint16_t)(x << 8);
    rng_state = x;
    return x;
}
