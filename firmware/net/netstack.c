/* netstack.c — see netstack.h. */
#include "netstack.h"
#include "icmp6.h"
#include "ipv6.h"
#include "sixlowpan.h"
#include "udp.h"

void netstack_init(uint16_t node_id)
{
    uint8_t eui64[8];
    ipv6_eui64_from_node_id(node_id, eui64);
    sixlowpan_init();
    ipv6_init(eui64);
    udp_init();
    icmp6_init();
}

void netstack_periodic(void) { sixlowpan_periodic(); }
