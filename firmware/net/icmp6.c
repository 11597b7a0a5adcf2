/* icmp6.c — see icmp6.h. */
#include <string.h>
#include "icmp6.h"
#include "ipv6.h"
#include "sixlowpan.h"

#define RA_ROUTER_LIFETIME_S 1800u
#define PIO_LIFETIME_S 0xffffffffu /* infinity: the bridge re-announces on restart */

static uint8_t router_mode;
static icmp6_prefix_fn prefix_fn;
static icmp6_echo_reply_fn echo_fn;
static icmp6_stats_t stats;

static const uint8_t all_routers[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};

void icmp6_init(void)
{
    router_mode = 0;
    prefix_fn = 0;
    echo_fn = 0;
    memset(&stats, 0, sizeof stats);
}

void icmp6_set_router(int is_router)
{
    router_mode = (uint8_t)(is_router != 0);
    ipv6_set_router(is_router);
}

void icmp6_set_prefix_handler(icmp6_prefix_fn fn) { prefix_fn = fn; }
void icmp6_set_echo_reply_handler(icmp6_echo_reply_fn fn) { echo_fn = fn; }

/* Header already in the output buffer with `len` ICMPv6 bytes: checksum and send. */
static int send_icmp(const uint8_t dst[16], uint16_t len, uint8_t hop_limit)
{
    uint8_t *pkt = ipv6_out_buf();
    uint16_t sum;
    ipv6_fill_header(IPV6_PROTO_ICMP6, dst, len, hop_limit);
    pkt[IPV6_HDR_LEN + 2] = pkt[IPV6_HDR_LEN + 3] = 0;
    sum = ipv6_upper_checksum(pkt);
    pkt[IPV6_HDR_LEN + 2] = (uint8_t)(sum >> 8);
    pkt[IPV6_HDR_LEN + 3] = (uint8_t)sum;
    return ipv6_send_out_buf();
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

int icmp6_send_echo_request(const uint8_t dst[16], uint16_t id, uint16_t seq, const uint8_t *data, uint16_t len)
{
    uint8_t *m = ipv6_out_buf() + IPV6_HDR_LEN;
    if (len > NET_BUF_SIZE - IPV6_HDR_LEN - 8)
        return -1;
    m[0] = ICMP6_ECHO_REQUEST;
    m[1] = 0;
    m[4] = (uint8_t)(id >> 8);
    m[5] = (uint8_t)id;
    m[6] = (uint8_t)(seq >> 8);
    m[7] = (uint8_t)seq;
    memmove(m + 8, data, len);
    return send_icmp(dst, (uint16_t)(8 + len), IPV6_DEFAULT_HOP_LIMIT);
}

int icmp6_send_rs(void)
{
    uint8_t *m = ipv6_out_buf() + IPV6_HDR_LEN;
    m[0] = ICMP6_ROUTER_SOLICITATION;
    m[1] = 0;
    memset(m + 4, 0, 4); /* reserved; no SLLAO: our link address is in the IID */
    return send_icmp(all_routers, 8, 255);
}

int icmp6_send_ra(const uint8_t dst[16])
{
    uint8_t *m = ipv6_out_buf() + IPV6_HDR_LEN;
    uint8_t *pio = m + 16, *ctx = pio + 32;
    const uint8_t *context = sixlowpan_context0();
    if (!ipv6_has_prefix())
        return -1;
    m[0] = ICMP6_ROUTER_ADVERTISEMENT;
    m[1] = 0;
    m[4] = 64; /* cur hop limit */
    m[5] = 0;  /* M=0 O=0 */
    m[6] = (uint8_t)(RA_ROUTER_LIFETIME_S >> 8);
    m[7] = (uint8_t)RA_ROUTER_LIFETIME_S;
    memset(m + 8, 0, 8); /* reachable time, retrans timer: unspecified */
    pio[0] = ICMP6_OPT_PREFIX_INFO;
    pio[1] = 4;    /* 32 bytes */
    pio[2] = 64;   /* prefix length */
    pio[3] = 0xc0; /* L and A */
    put32(pio + 4, PIO_LIFETIME_S);
    put32(pio + 8, PIO_LIFETIME_S);
    memset(pio + 12, 0, 4 + 16);
    memcpy(pio + 16, ipv6_prefix(), 8);
    if (!context)
        return send_icmp(dst, 16 + 32, 255);
    ctx[0] = ICMP6_OPT_6LOWPAN_CONTEXT;
    ctx[1] = 2;    /* 16 bytes: a context of up to 64 bits */
    ctx[2] = 64;   /* context length */
    ctx[3] = 0x10; /* C = 1 (valid for compression), CID = 0 */
    ctx[4] = ctx[5] = 0;
    ctx[6] = (uint8_t)(ICMP6_CONTEXT_LIFETIME_MIN >> 8);
    ctx[7] = (uint8_t)ICMP6_CONTEXT_LIFETIME_MIN;
    memcpy(ctx + 8, context, 8);
    return send_icmp(dst, 16 + 32 + 16, 255);
}

static void handle_ra(const uint8_t *pkt, const uint8_t *m, uint16_t mlen, const lladdr_t *from)
{
    uint16_t off = 16;
    uint16_t router_lifetime = (uint16_t)((m[6] << 8) | m[7]);
    const uint8_t *prefix = 0;
    /* RFC 4861 §6.1.2: hop limit 255 and a link-local source, else not from this link. */
    if (IPV6_HOP_LIMIT(pkt) != 255 || !ipv6_is_linklocal(IPV6_SRC(pkt)) || mlen < 16) {
        stats.rx_bad++;
        return;
    }
    while (off + 2 <= mlen) {
        const uint8_t *opt = m + off;
        uint16_t olen = (uint16_t)(opt[1] * 8);
        if (olen == 0 || off + olen > mlen) {
            stats.rx_bad++;
            return;
        }
        if (opt[0] == ICMP6_OPT_6LOWPAN_CONTEXT && olen >= 16 && opt[2] == 64 && (opt[3] & 0x0f) == 0)
            sixlowpan_set_context0(opt + 8, (opt[3] & 0x10) != 0, (uint16_t)((opt[6] << 8) | opt[7]));
        if (opt[0] == ICMP6_OPT_PREFIX_INFO && olen == 32 && opt[2] == 64 && (opt[3] & 0x40)) {
            ipv6_set_prefix(opt + 16);
            stats.ra_accepted++;
            if (!router_mode && router_lifetime) {
                lladdr_t r;
                if (from)
                    r = *from;
                else
                    ipv6_lladdr_from_addr(IPV6_SRC(pkt), &r);
                ipv6_set_default_router(&r);
            }
            prefix = opt + 16;
        }
        off = (uint16_t)(off + olen);
    }
    if (prefix && prefix_fn) /* after every option: the router's RA passes on the context too */
        prefix_fn(prefix);
}

void icmp6_input(const uint8_t *pkt, uint16_t len, const lladdr_t *from)
{
    const uint8_t *m = pkt + IPV6_HDR_LEN;
    uint16_t mlen = (uint16_t)(len - IPV6_HDR_LEN);
    stats.rx++;
    if (mlen < 8 || ipv6_upper_checksum(pkt) != 0) {
        stats.rx_bad++;
        return;
    }
    switch (m[0]) {
    case ICMP6_ECHO_REQUEST: {
        uint8_t src[16];
        uint8_t *r = ipv6_out_buf() + IPV6_HDR_LEN;
        if (len > NET_BUF_SIZE)
            return;
        memcpy(src, IPV6_SRC(pkt), 16);
        memmove(r, m, mlen);
        r[0] = ICMP6_ECHO_REPLY;
        send_icmp(src, mlen, IPV6_DEFAULT_HOP_LIMIT);
        stats.echo_replied++;
        break;
    }
    case ICMP6_ECHO_REPLY:
        if (echo_fn)
            echo_fn(IPV6_SRC(pkt), (uint16_t)((m[4] << 8) | m[5]), (uint16_t)((m[6] << 8) | m[7]), m + 8,
                    (uint16_t)(mlen - 8));
        break;
    case ICMP6_ROUTER_SOLICITATION:
        if (router_mode && IPV6_HOP_LIMIT(pkt) == 255 && ipv6_has_prefix()) {
            static const uint8_t all_nodes[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
            icmp6_send_ra(all_nodes);
        }
        break;
    case ICMP6_ROUTER_ADVERTISEMENT:
        handle_ra(pkt, m, mlen, from);
        break;
    default:
        break;
    }
}

const icmp6_stats_t *icmp6_stats(void) { return &stats; }
