/*
 * icmp6.h — ICMPv6 (RFC 4443) echo, and the part of Neighbor Discovery (RFC 4861) that configures
 * a 6LoWPAN node: Router Solicitation and Router Advertisement with a Prefix Information option.
 *
 * Host (mote): on an RA carrying a PIO with a /64 and the A flag, adopt the prefix (global address)
 * and take the RA's sender as default router if its router lifetime is nonzero; a 6LoWPAN Context
 * Option (6CO, RFC 6775 §4.2) for CID 0 with a /64 sets 6LoWPAN context 0 (sixlowpan.h); other CIDs
 * and lengths are ignored. Router (border router, icmp6_set_router(1)): answer RS with an RA for the
 * prefix it holds and, when it has one, a 6CO for its context 0 (C = 1, ICMP6_CONTEXT_LIFETIME_MIN).
 * Both reach the border router itself in an RA from the host bridge over SLIP.
 */
#ifndef ICMP6_H
#define ICMP6_H

#include <stdint.h>
#include "lladdr.h"

#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129
#define ICMP6_ROUTER_SOLICITATION 133
#define ICMP6_ROUTER_ADVERTISEMENT 134
#define ICMP6_OPT_PREFIX_INFO 3
#define ICMP6_OPT_6LOWPAN_CONTEXT 34 /* RFC 6775 §4.2 (6CO) */
#ifndef ICMP6_CONTEXT_LIFETIME_MIN
#define ICMP6_CONTEXT_LIFETIME_MIN 60u /* minutes; RAs renew it every ROUTER_RA_INTERVAL_MS */
#endif

typedef void (*icmp6_echo_reply_fn)(const uint8_t src[16], uint16_t id, uint16_t seq, const uint8_t *data,
                                    uint16_t len);
typedef void (*icmp6_prefix_fn)(const uint8_t prefix[8]);

void icmp6_init(void);
void icmp6_set_router(int is_router);
/* Called after an RA gave (or refreshed) the prefix. */
void icmp6_set_prefix_handler(icmp6_prefix_fn fn);
void icmp6_set_echo_reply_handler(icmp6_echo_reply_fn fn);

void icmp6_input(const uint8_t *pkt, uint16_t len, const lladdr_t *from);

int icmp6_send_echo_request(const uint8_t dst[16], uint16_t id, uint16_t seq, const uint8_t *data, uint16_t len);
/* Router Solicitation to ff02::2. */
int icmp6_send_rs(void);
/* Router Advertisement for the current prefix to dst (ff02::1 for unsolicited). Needs a prefix. */
int icmp6_send_ra(const uint8_t dst[16]);

typedef struct {
    uint16_t rx, rx_bad, echo_replied, ra_accepted;
} icmp6_stats_t;
const icmp6_stats_t *icmp6_stats(void);

#endif
