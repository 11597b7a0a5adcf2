/*
 * ipv6.h — IPv6 (RFC 8200) for a 6LoWPAN node: addresses, input dispatch, output, checksum.
 *
 * Addressing. Node N's 802.15.4 address is the 16-bit short address N (PAN ID compression, intra-PAN
 * frames) and its interface identifier the one RFC 6282 §3.2.2 derives from it, 0000:00ff:fe00:NNNN:
 * link-local fe80::ff:fe00:N, global PREFIX::ff:fe00:N once a Router Advertisement has brought the
 * /64 prefix (and, in a 6LoWPAN Context Option, the same prefix as 6LoWPAN context 0). IPHC then elides both IIDs (SAM/DAM = 11) in every frame.
 * Node ids 0xfffe and 0xffff are no short addresses (802.15.4: "none" and broadcast): those nodes use
 * their EUI-64 00:12:74:00:00:00:II:II (00:12:74 is the OUI Sky motes carry) as extended address,
 * IID = EUI-64 with the U/L bit flipped (RFC 4291 App. A).
 *
 * Next hop without Neighbor Discovery: every IID on this PAN is derived from a link-layer address
 * (RFC 6775's assumption), so the link-layer address of an on-link destination is read back from its
 * IID; multicast goes to broadcast, off-link destinations to the default router.
 */
#ifndef IPV6_H
#define IPV6_H

#include <stdint.h>
#include "lladdr.h"
#include "net_conf.h"

#define IPV6_HDR_LEN 40
#define IPV6_ADDR_LEN 16
#define IPV6_PROTO_UDP 17
#define IPV6_PROTO_ICMP6 58
#define IPV6_DEFAULT_HOP_LIMIT 64

/* IPv6 header field accessors on a packet in network byte order. */
#define IPV6_NEXT_HEADER(p) ((p)[6])
#define IPV6_HOP_LIMIT(p) ((p)[7])
#define IPV6_SRC(p) ((p) + 8)
#define IPV6_DST(p) ((p) + 24)
#define IPV6_PAYLOAD_LEN(p) ((uint16_t)(((uint16_t)(p)[4] << 8) | (p)[5]))

typedef int (*ipv6_output_fn)(const uint8_t *pkt, uint16_t len);
typedef int (*ipv6_forward_fn)(uint8_t *pkt, uint16_t len, const lladdr_t *from);

/* EUI-64 of a Sky mote with this node_id (layout above). */
void ipv6_eui64_from_node_id(uint16_t node_id, uint8_t eui64[8]);

/* The 802.15.4 address node `node_id` uses (short, or extended for 0xfffe/0xffff; see above). The
 * MAC and the radio take this address, and netstack_init() derives the IPv6 addresses from it. */
void ipv6_lladdr_from_node_id(uint16_t node_id, lladdr_t *ll);

/* Set the node's identity: link-local address from the IID of its link-layer address. Clears
 * prefix, router and the lent address. */
void ipv6_init(const lladdr_t *own);

/* IID (8 bytes) a link-layer address maps to (RFC 4944 §6 / RFC 6282 §3.2.2). */
void ipv6_iid_from_lladdr(const lladdr_t *ll, uint8_t iid[8]);

/* Link-layer address an IPv6 address maps to on this PAN: multicast -> broadcast, IID of the
 * short form 0000:00ff:fe00:XXXX -> short, else extended (IID with U/L flipped back). */
void ipv6_lladdr_from_addr(const uint8_t addr[16], lladdr_t *ll);

/* Global prefix (/64) from the border router: builds PREFIX::IID. (6LoWPAN context 0 comes from the
 * RA's Context Option: icmp6.c.) */
void ipv6_set_prefix(const uint8_t prefix[8]);
int ipv6_has_prefix(void);
const uint8_t *ipv6_prefix(void);                 /* 8 bytes, valid when ipv6_has_prefix() */
const uint8_t *ipv6_linklocal_addr(void);         /* 16 bytes */
const uint8_t *ipv6_global_addr(void);            /* 16 bytes, or NULL without a prefix */
void ipv6_set_default_router(const lladdr_t *ll); /* NULL clears it */
const lladdr_t *ipv6_default_router(void);        /* NULL when none */

/* Accept packets for ff02::2 too (routers). */
void ipv6_set_router(int is_router);

/* Border router: lend the global address PREFIX::IID to the host behind the serial line. Datagrams
 * between the host and a mote then cross the radio with both IIDs derived from the frame's short
 * addresses (RFC 6282 SAM = DAM = 11 under context 0); see router.h. The node itself answers on its
 * link-local address only and sources what it originates from it. */
void ipv6_lend_global(int lend);
/* Nonzero when `a` is the lent global address (the host's). */
int ipv6_is_lent(const uint8_t a[16]);

/* Nonzero when `a` is one of ours: unicast addresses, ff02::1, ff02::2 in router mode. */
int ipv6_is_own_addr(const uint8_t a[16]);
int ipv6_is_multicast(const uint8_t a[16]);
int ipv6_is_linklocal(const uint8_t a[16]);
/* Nonzero when `a` lies in our /64 (needs a prefix). */
int ipv6_in_prefix(const uint8_t a[16]);

/* The one output buffer (NET_BUF_SIZE bytes); upper layers build packets in it. */
uint8_t *ipv6_out_buf(void);

/* Fill the IPv6 header of the packet in ipv6_out_buf() (source chosen for `dst`: link-local for
 * link-local/multicast destinations, else the global address) and send it. `payload_len` bytes of
 * upper-layer data already sit after the header. The caller computes its checksum after
 * ipv6_fill_header, so the send is split in two. */
void ipv6_fill_header(uint8_t next_header, const uint8_t dst[16], uint16_t payload_len, uint8_t hop_limit);
int ipv6_send_out_buf(void);

/* Send any complete packet through the output the app chose: ipv6_radio_output (6LoWPAN over the
 * MAC), slipif_output (serial), or its own router. ipv6_init() clears it: the app sets it after. */
int ipv6_output(const uint8_t *pkt, uint16_t len);
void ipv6_set_output(ipv6_output_fn fn);

/* Radio output: next-hop link address (see above) and sixlowpan_output. */
int ipv6_radio_output(const uint8_t *pkt, uint16_t len);

/* Packets not addressed to us go here (border router); without one they are dropped. */
void ipv6_set_forwarder(ipv6_forward_fn fn);

/* One received datagram (header at pkt[0]); `from` is the link-layer sender, NULL if none (SLIP). */
void ipv6_input(uint8_t *pkt, uint16_t len, const lladdr_t *from);

/* Upper-layer checksum (RFC 8200 §8.1) of the packet at pkt: returns the value to store in the
 * checksum field when that field is zero, and 0 when verifying a packet whose checksum is right. */
uint16_t ipv6_upper_checksum(const uint8_t *pkt);

/* Counters for tests and diagnostics. */
typedef struct {
    uint16_t rx, rx_bad, rx_not_ours, tx, tx_fail, fwd;
} ipv6_stats_t;
const ipv6_stats_t *ipv6_stats(void);

#endif
