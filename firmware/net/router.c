/* router.c — see router.h. */
#include <string.h>
#include "router.h"
#include "icmp6.h"
#include "ipv6.h"
#include "netplat.h"
#include "netstack.h"
#include "slipif.h"

static uint32_t next_ra, next_rs;
static router_stats_t stats;
static const uint8_t all_nodes[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

/* The lent global address is the host's: in the prefix, yet behind the serial line. */
static int on_radio_side(const uint8_t *dst)
{
    return (ipv6_is_linklocal(dst) || ipv6_in_prefix(dst)) && !ipv6_is_lent(dst);
}

/* Output of datagrams this router originates. */
static int router_output(const uint8_t *pkt, uint16_t len)
{
    const uint8_t *dst = IPV6_DST(pkt);
    if (ipv6_is_multicast(dst)) {
        slipif_output(pkt, len);
        return ipv6_radio_output(pkt, len);
    }
    if (on_radio_side(dst))
        return ipv6_radio_output(pkt, len);
    return slipif_output(pkt, len);
}

static int router_forward(uint8_t *pkt, uint16_t len, const lladdr_t *from)
{
    const uint8_t *dst = IPV6_DST(pkt);
    if (ipv6_is_multicast(dst))
        return -1; /* link-scope multicast is not forwarded */
    if (IPV6_HOP_LIMIT(pkt) <= 1) {
        stats.dropped_hop_limit++;
        return -1;
    }
    pkt[7]--;
    if (from == 0) { /* from the host */
        if (!on_radio_side(dst))
            return -1; /* would go back where it came from */
        stats.to_radio++;
        return ipv6_radio_output(pkt, len);
    }
    if (on_radio_side(dst))
        return -1; /* motes reach each other directly */
    stats.to_host++;
    return slipif_output(pkt, len);
}

static void prefix_changed(const uint8_t prefix[8])
{
    (void)prefix;
    icmp6_send_ra(all_nodes);
    next_ra = netplat_clock_ms() + ROUTER_RA_INTERVAL_MS;
}

void router_init(slip_putc_fn putc)
{
    slipif_init(putc);
    icmp6_set_router(1);
    ipv6_lend_global(1);
    icmp6_set_prefix_handler(prefix_changed);
    ipv6_set_output(router_output);
    ipv6_set_forwarder(router_forward);
    memset(&stats, 0, sizeof stats);
    next_rs = netplat_clock_ms();
    next_ra = next_rs + ROUTER_RA_INTERVAL_MS;
}

void router_periodic(void)
{
    uint32_t now = netplat_clock_ms();
    netstack_periodic();
    if (!ipv6_has_prefix()) {
        if (netplat_time_reached(now, next_rs)) {
            icmp6_send_rs();
            next_rs = now + ROUTER_RS_INTERVAL_MS;
        }
    } else if (netplat_time_reached(now, next_ra)) {
        icmp6_send_ra(all_nodes);
        next_ra = now + ROUTER_RA_INTERVAL_MS;
    }
}

const router_stats_t *router_stats(void) { return &stats; }
