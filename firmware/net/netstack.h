/*
 * netstack.h — bring up the whole IPv6 stack of one node in the right order.
 */
#ifndef NETSTACK_H
#define NETSTACK_H

#include <stdint.h>

/* Addresses from the EUI-64 of node_id (see ipv6.h); resets every module's state. */
void netstack_init(uint16_t node_id);
/* Timers of the lower layers (6LoWPAN reassembly); call every 100 ms or so. */
void netstack_periodic(void);

#endif
