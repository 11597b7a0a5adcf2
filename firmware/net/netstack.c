/* netstack.c — see netstack.h. */
#include "netstack.h"
#include "icmp6.h"
#include "ipv6.h"
#include "sixlowpan.h"
#include "udp.h"

void netstack_init(uint16_t node_id)
{
    lladdr_t own;
    ipv6_lladdr_from_node_id(node_id, &own);
    sixlowpan_init();
    ipv6_init(&own);
    udp_init();
    icmp6_init();
}

void netstack_periodic(void) { sixlowpan_periodic(); }
