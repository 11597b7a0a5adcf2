/*
 * lladdr.h — IEEE 802.15.4 link-layer addresses as the net stack sees them.
 *
 * A short address (len 2) or an extended address (len 8), bytes in network order (most significant
 * first, as written in IPv6 interface identifiers; the MAC reverses them for the air). The short
 * address 0xFFFF is the broadcast address.
 */
#ifndef LLADDR_H
#define LLADDR_H

#include <stdint.h>

#define LLADDR_SHORT_LEN 2
#define LLADDR_EXT_LEN 8

typedef struct {
    uint8_t len; /* 2 or 8 */
    uint8_t addr[8];
} lladdr_t;

/* Nonzero when `a` is the 802.15.4 broadcast address. */
static inline int lladdr_is_broadcast(const lladdr_t *a)
{
    return a->len == LLADDR_SHORT_LEN && a->addr[0] == 0xFF && a->addr[1] == 0xFF;
}

static inline int lladdr_equal(const lladdr_t *a, const lladdr_t *b)
{
    uint8_t i;
    if (a->len != b->len)
        return 0;
    for (i = 0; i < a->len; i++)
        if (a->addr[i] != b->addr[i])
            return 0;
    return 1;
}

#endif
