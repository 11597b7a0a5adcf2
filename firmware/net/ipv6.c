/* ipv6.c — see ipv6.h. */
#include <string.h>
#include "ipv6.h"
#include "icmp6.h"
#include "udp.h"
#include "sixlowpan.h"

static uint8_t out_buf[NET_BUF_SIZE];
static uint8_t ll_addr[16];
static uint8_t gl_addr[16];
static uint8_t has_prefix;
static uint8_t router_mode;
static uint8_t lent; /* the global address is the host's (border router) */
static lladdr_t def_router;
static ipv6_output_fn output_fn; /* none until the app picks its link */
static ipv6_forward_fn forward_fn;
static ipv6_stats_t stats;

void ipv6_eui64_from_node_id(uint16_t node_id, uint8_t eui64[8])
{
    memset(eui64, 0, 8);
    eui64[1] = 0x12;
    eui64[2] = 0x74;
    eui64[6] = (uint8_t)(node_id >> 8);
    eui64[7] = (uint8_t)node_id;
}

void ipv6_lladdr_from_node_id(uint16_t node_id, lladdr_t *ll)
{
    if (node_id >= 0xfffe) { /* not a usable short address */
        ll->len = LLADDR_EXT_LEN;
        ipv6_eui64_from_node_id(node_id, ll->addr);
    } else {
        ll->len = LLADDR_SHORT_LEN;
        ll->addr[0] = (uint8_t)(node_id >> 8);
        ll->addr[1] = (uint8_t)node_id;
    }
}

void ipv6_init(const lladdr_t *own)
{
    memset(ll_addr, 0, sizeof ll_addr);
    ll_addr[0] = 0xfe;
    ll_addr[1] = 0x80;
    ipv6_iid_from_lladdr(own, ll_addr + 8);
    memset(gl_addr, 0, sizeof gl_addr);
    has_prefix = 0;
    router_mode = 0;
    lent = 0;
    def_router.len = 0;
    output_fn = 0;
    forward_fn = 0;
    memset(&stats, 0, sizeof stats);
}

void ipv6_iid_from_lladdr(const lladdr_t *ll, uint8_t iid[8])
{
    if (ll->len == LLADDR_SHORT_LEN) {
        memset(iid, 0, 8);
        iid[3] = 0xff;
        iid[4] = 0xfe;
        iid[6] = ll->addr[0];
        iid[7] = ll->addr[1];
    } else {
        memcpy(iid, ll->addr, 8);
        iid[0] ^= 0x02;
    }
}

void ipv6_lladdr_from_addr(const uint8_t addr[16], lladdr_t *ll)
{
    static const uint8_t short_form[6] = {0, 0, 0, 0xff, 0xfe, 0};
    if (addr[0] == 0xff) {
        ll->len = LLADDR_SHORT_LEN;
        ll->addr[0] = ll->addr[1] = 0xff;
    } else if (memcmp(addr + 8, short_form, 6) == 0) {
        ll->len = LLADDR_SHORT_LEN;
        ll->addr[0] = addr[14];
        ll->addr[1] = addr[15];
    } else {
        ll->len = LLADDR_EXT_LEN;
        memcpy(ll->addr, addr + 8, 8);
        ll->addr[0] ^= 0x02;
    }
}

void ipv6_set_prefix(const uint8_t prefix[8])
{
    memcpy(gl_addr, prefix, 8);
    memcpy(gl_addr + 8, ll_addr + 8, 8);
    has_prefix = 1;
}

int ipv6_has_prefix(void) { return has_prefix; }
const uint8_t *ipv6_prefix(void) { return gl_addr; }
const uint8_t *ipv6_linklocal_addr(void) { return ll_addr; }
const uint8_t *ipv6_global_addr(void) { return has_prefix ? gl_addr : 0; }

void ipv6_set_default_router(const lladdr_t *ll)
{
    if (ll)
        def_router = *ll;
    else
        def_router.len = 0;
}

const lladdr_t *ipv6_default_router(void) { return def_router.len ? &def_router : 0; }
void ipv6_set_router(int is_router) { router_mode = (uint8_t)(is_router != 0); }
void ipv6_lend_global(int lend) { lent = (uint8_t)(lend != 0); }
int ipv6_is_lent(const uint8_t a[16]) { return lent && has_prefix && memcmp(a, gl_addr, 16) == 0; }

int ipv6_is_multicast(const uint8_t a[16]) { return a[0] == 0xff; }

int ipv6_is_linklocal(const uint8_t a[16])
{
    static const uint8_t ll_prefix[8] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0};
    return memcmp(a, ll_prefix, 8) == 0;
}

int ipv6_in_prefix(const uint8_t a[16]) { return has_prefix && memcmp(a, gl_addr, 8) == 0; }

int ipv6_is_own_addr(const uint8_t a[16])
{
    static const uint8_t all_nodes[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    if (memcmp(a, ll_addr, 16) == 0)
        return 1;
    if (has_prefix && !lent && memcmp(a, gl_addr, 16) == 0)
        return 1;
    if (memcmp(a, all_nodes, 15) == 0) /* ff02::1, or ff02::2 for routers */
        return a[15] == 1 || (a[15] == 2 && router_mode);
    return 0;
}

uint8_t *ipv6_out_buf(void) { return out_buf; }

void ipv6_fill_header(uint8_t next_header, const uint8_t dst[16], uint16_t payload_len, uint8_t hop_limit)
{
    const uint8_t *src =
        (has_prefix && !lent && !ipv6_is_linklocal(dst) && !ipv6_is_multicast(dst)) ? gl_addr : ll_addr;
    out_buf[0] = 0x60;
    out_buf[1] = out_buf[2] = out_buf[3] = 0;
    out_buf[4] = (uint8_t)(payload_len >> 8);
    out_buf[5] = (uint8_t)payload_len;
    out_buf[6] = next_header;
    out_buf[7] = hop_limit;
    memcpy(out_buf + 8, src, 16);
    memcpy(out_buf + 24, dst, 16);
}

int ipv6_send_out_buf(void) { return ipv6_output(out_buf, (uint16_t)(IPV6_HDR_LEN + IPV6_PAYLOAD_LEN(out_buf))); }

int ipv6_output(const uint8_t *pkt, uint16_t len)
{
    int rc = output_fn ? output_fn(pkt, len) : -1;
    if (rc < 0)
        stats.tx_fail++;
    else
        stats.tx++;
    return rc;
}

void ipv6_set_output(ipv6_output_fn fn) { output_fn = fn; }

int ipv6_radio_output(const uint8_t *pkt, uint16_t len)
{
    lladdr_t next;
    const uint8_t *dst = IPV6_DST(pkt);
    if (ipv6_is_multicast(dst) || ipv6_is_linklocal(dst) || ipv6_in_prefix(dst) || router_mode) {
        ipv6_lladdr_from_addr(dst, &next);
    } else if (def_router.len) {
        next = def_router;
    } else {
        return -1; /* off-link and no router yet */
    }
    return sixlowpan_output(pkt, len, &next);
}

void ipv6_set_forwarder(ipv6_forward_fn fn) { forward_fn = fn; }

void ipv6_input(uint8_t *pkt, uint16_t len, const lladdr_t *from)
{
    uint16_t plen;
    stats.rx++;
    if (len < IPV6_HDR_LEN || (pkt[0] >> 4) != 6) {
        stats.rx_bad++;
        return;
    }
    plen = IPV6_PAYLOAD_LEN(pkt);
    if ((uint32_t)plen + IPV6_HDR_LEN > len) {
        stats.rx_bad++;
        return;
    }
    len = (uint16_t)(plen + IPV6_HDR_LEN); /* ignore link padding */
    if (!ipv6_is_own_addr(IPV6_DST(pkt))) {
        stats.rx_not_ours++;
        if (forward_fn && forward_fn(pkt, len, from) >= 0)
            stats.fwd++;
        return;
    }
    switch (IPV6_NEXT_HEADER(pkt)) {
    case IPV6_PROTO_ICMP6:
        icmp6_input(pkt, len, from);
        break;
    case IPV6_PROTO_UDP:
        udp_input(pkt, len);
        break;
    default: /* extension headers and other protocols are not supported */
        stats.rx_bad++;
        break;
    }
}

static uint32_t sum_bytes(uint32_t sum, const uint8_t *p, uint16_t n)
{
    while (n > 1) {
        sum += ((uint16_t)p[0] << 8) | p[1];
        p += 2;
        n -= 2;
    }
    if (n)
        sum += (uint16_t)p[0] << 8;
    return sum;
}

uint16_t ipv6_upper_checksum(const uint8_t *pkt)
{
    uint16_t plen = IPV6_PAYLOAD_LEN(pkt);
    uint32_t sum = plen + (uint32_t)IPV6_NEXT_HEADER(pkt);
    sum = sum_bytes(sum, pkt + 8, 32); /* source and destination */
    sum = sum_bytes(sum, pkt + IPV6_HDR_LEN, plen);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

const ipv6_stats_t *ipv6_stats(void) { return &stats; }
