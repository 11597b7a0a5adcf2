/*
 * netstack.h — bring up the whole IPv6 stack of one node in the right order.
 */
#ifndef NETSTACK_H
#define NETSTACK_H

#include <stdint.h>

/* Addresses from node_id's link-layer address (ipv6_lladdr_from_node_id, see ipv6.h); resets every
 * module's state. The app gives the MAC and the radio the same link-layer address. */
void netstack_init(uint16_t node_id);
/* Timers of the lower layers (6LoWPAN reassembly); call every 100 ms or so. */
void netstack_periodic(void);

#endif
