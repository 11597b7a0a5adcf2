/*
 * router.h — the border router's forwarding between its SLIP interface (towards the host bridge)
 * and its 6LoWPAN radio interface.
 *
 * Routes: multicast, link-local and our /64 prefix are on the radio; everything else is towards the
 * host (the SLIP line is the default route). The router lends its global address PREFIX::ff:fe00:N
 * to the host (ipv6_lend_global): that address is behind the SLIP line, so the motes reach the host
 * on-link through the router's short address N and every datagram between host and mote crosses the
 * radio with both IIDs elided (RFC 6282 SAC = DAC = 1, SAM = DAM = 11: 2 bytes of IPHC). The router
 * itself answers on its link-local address. Multicast the router originates goes out on both
 * interfaces (its RS reaches the bridge, its RA the motes). Forwarded datagrams have their hop limit
 * decremented; a datagram arriving with hop limit 1 or 0 is dropped, not forwarded.
 * The prefix arrives as a Router Advertisement from the bridge over SLIP; the router adopts it,
 * advertises it on the radio (immediately, on every RS, and every ROUTER_RA_INTERVAL_MS), and
 * solicits it with an RS every ROUTER_RS_INTERVAL_MS while it has none.
 */
#ifndef ROUTER_H
#define ROUTER_H

#include <stdint.h>
#include "slip.h"

#ifndef ROUTER_RA_INTERVAL_MS
#define ROUTER_RA_INTERVAL_MS 16000u
#endif
#ifndef ROUTER_RS_INTERVAL_MS
#define ROUTER_RS_INTERVAL_MS 4000u
#endif

/* After netstack_init(): set up SLIP on `putc`, router mode, forwarding. */
void router_init(slip_putc_fn putc);
/* Timers (RA/RS), plus netstack_periodic(). */
void router_periodic(void);

typedef struct {
    uint16_t to_radio, to_host, dropped_hop_limit;
} router_stats_t;
const router_stats_t *router_stats(void);

#endif
