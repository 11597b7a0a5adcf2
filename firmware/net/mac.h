/*
 * mac.h — the lower edge of the net stack: how 6LoWPAN hands frames to an 802.15.4 MAC and back.
 *
 * Down: the MAC implements mac_send() and mac_overhead(). Up: the MAC calls net_input_from_mac()
 * (implemented by sixlowpan.c) with each data frame payload addressed to this node or broadcast.
 * Addresses are lladdr_t (see lladdr.h); a broadcast destination is short 0xFFFF.
 */
#ifndef MAC_H
#define MAC_H

#include <stdint.h>
#include "lladdr.h"

/* Send one data frame carrying `payload` to `dst`. Returns 0 when queued/sent, negative on failure.
 * `len` never exceeds NET_FRAME_MAX - mac_overhead(dst). */
int mac_send(const lladdr_t *dst, const uint8_t *payload, uint8_t len);

/* MAC header + FCS bytes a frame to `dst` costs (e.g. 9 + 2 intra-PAN short/short, 21 + 2 ext/ext). */
uint8_t mac_overhead(const lladdr_t *dst);

/* This node's link-layer address, the one the MAC puts in the source field. */
const lladdr_t *mac_own_lladdr(void);

/* Implemented by the net stack (sixlowpan.c): one received frame payload. */
void net_input_from_mac(const lladdr_t *src, const lladdr_t *dst, const uint8_t *payload, uint8_t len);

#endif
