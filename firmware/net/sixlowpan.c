/* sixlowpan.c — see sixlowpan.h. */
#include <string.h>
#include "sixlowpan.h"
#include "ipv6.h"
#include "mac.h"
#include "netplat.h"

#define REASS_BLOCKS ((SIXLOWPAN_REASS_SIZE + 7) / 8)

typedef struct {
    uint8_t used;
    lladdr_t src, dst;
    uint16_t size, tag;
    uint32_t started;
    uint8_t map[(REASS_BLOCKS + 7) / 8]; /* one bit per received 8-byte block */
    uint8_t buf[SIXLOWPAN_REASS_SIZE];
} reass_slot_t;

static uint8_t ctx0[8];
static uint8_t ctx0_valid, ctx0_compress; /* known (decompresses); usable for compression */
static uint32_t ctx0_expires;
static uint16_t next_tag;
static reass_slot_t slots[SIXLOWPAN_REASS_SLOTS];
/* One unfragmented frame decompressed: at most the frame plus 48 - 2 bytes of restored header. */
static uint8_t in_buf[NET_FRAME_MAX + 48];
static sixlowpan_stats_t stats;

static const uint8_t short_iid_prefix[6] = {0, 0, 0, 0xff, 0xfe, 0};

void sixlowpan_init(void)
{
    memset(slots, 0, sizeof slots);
    memset(&stats, 0, sizeof stats);
    ctx0_valid = ctx0_compress = 0;
    next_tag = netplat_random16();
}

void sixlowpan_set_context0(const uint8_t prefix[8], uint8_t compress, uint16_t lifetime_min)
{
    if (lifetime_min > SIXLOWPAN_CONTEXT_MAX_MIN)
        lifetime_min = SIXLOWPAN_CONTEXT_MAX_MIN;
    memcpy(ctx0, prefix, 8);
    ctx0_valid = lifetime_min != 0; /* RFC 6775: a valid lifetime of 0 removes the context */
    ctx0_compress = (uint8_t)(compress && lifetime_min);
    ctx0_expires = netplat_clock_ms() + (uint32_t)lifetime_min * 60000u;
}

const uint8_t *sixlowpan_context0(void) { return ctx0_valid ? ctx0 : 0; }

/* ---------------------------------------------------------------- compression */

/* Mode bits (01/10/11) for the IID of addr given the frame's link address; writes inline bytes. */
static uint8_t compress_iid(const uint8_t *addr, const lladdr_t *ll, uint8_t **pp)
{
    uint8_t iid[8];
    ipv6_iid_from_lladdr(ll, iid);
    if (memcmp(addr + 8, iid, 8) == 0)
        return 3;
    if (memcmp(addr + 8, short_iid_prefix, 6) == 0) {
        memcpy(*pp, addr + 14, 2);
        *pp += 2;
        return 2;
    }
    memcpy(*pp, addr + 8, 8);
    *pp += 8;
    return 1;
}

/* Returns the 4 bits (AC, AM1, AM0 in the low 3, bit 3 unused) for a unicast address. */
static uint8_t compress_unicast(const uint8_t *addr, const lladdr_t *ll, uint8_t **pp, int is_src)
{
    static const uint8_t zero[16] = {0};
    if (is_src && memcmp(addr, zero, 16) == 0)
        return 0x4; /* SAC=1 SAM=00: unspecified */
    if (ipv6_is_linklocal(addr))
        return compress_iid(addr, ll, pp);
    if (ctx0_compress && memcmp(addr, ctx0, 8) == 0)
        return (uint8_t)(0x4 | compress_iid(addr, ll, pp));
    memcpy(*pp, addr, 16);
    *pp += 16;
    return 0;
}

static uint8_t compress_multicast(const uint8_t *a, uint8_t **pp)
{
    uint8_t i, z11 = 1, z13 = 1, z14 = 1;
    for (i = 2; i < 15; i++) {
        if (a[i]) {
            if (i <= 10)
                z11 = 0;
            if (i <= 12)
                z13 = 0;
            z14 = 0;
        }
    }
    if (a[1] == 0x02 && z14) { /* ff02::00XX */
        *(*pp)++ = a[15];
        return 3;
    }
    if (z13) { /* ffXX::00XX:XXXX */
        *(*pp)++ = a[1];
        memcpy(*pp, a + 13, 3);
        *pp += 3;
        return 2;
    }
    if (z11) { /* ffXX::00XX:XXXX:XXXX */
        *(*pp)++ = a[1];
        memcpy(*pp, a + 11, 5);
        *pp += 5;
        return 1;
    }
    memcpy(*pp, a, 16);
    *pp += 16;
    return 0;
}

uint8_t sixlowpan_compress(const uint8_t *ip, const lladdr_t *src_ll, const lladdr_t *dst_ll, uint8_t *out,
                           uint8_t *consumed)
{
    uint8_t *p = out + 2;
    uint8_t b0 = SIXLOWPAN_DISPATCH_IPHC, b1 = 0, m;
    uint8_t tc = (uint8_t)((ip[0] << 4) | (ip[1] >> 4));
    uint8_t ecn = tc & 3, dscp = tc >> 2;
    uint32_t fl = ((uint32_t)(ip[1] & 0x0f) << 16) | ((uint16_t)ip[2] << 8) | ip[3];
    uint8_t nh = IPV6_NEXT_HEADER(ip);
    uint8_t hl = IPV6_HOP_LIMIT(ip);
    uint8_t udp = nh == IPV6_PROTO_UDP;

    /* Traffic class and flow label (RFC 6282 §3.1.1: ECN first, then DSCP). */
    if (fl == 0 && tc == 0) {
        b0 |= 0x18;
    } else if (fl == 0) {
        b0 |= 0x10;
        *p++ = (uint8_t)((ecn << 6) | dscp);
    } else if (dscp == 0) {
        b0 |= 0x08;
        *p++ = (uint8_t)((ecn << 6) | (uint8_t)(fl >> 16));
        *p++ = (uint8_t)(fl >> 8);
        *p++ = (uint8_t)fl;
    } else {
        *p++ = (uint8_t)((ecn << 6) | dscp);
        *p++ = (uint8_t)(fl >> 16);
        *p++ = (uint8_t)(fl >> 8);
        *p++ = (uint8_t)fl;
    }
    if (udp)
        b0 |= 0x04;
    else
        *p++ = nh;
    if (hl == 1)
        b0 |= 0x01;
    else if (hl == 64)
        b0 |= 0x02;
    else if (hl == 255)
        b0 |= 0x03;
    else
        *p++ = hl;

    m = compress_unicast(IPV6_SRC(ip), src_ll, &p, 1);
    b1 |= (uint8_t)(((m & 0x4) << 4) | ((m & 3) << 4)); /* SAC bit 6, SAM bits 5..4 */
    if (ipv6_is_multicast(IPV6_DST(ip))) {
        b1 |= (uint8_t)(0x08 | compress_multicast(IPV6_DST(ip), &p));
    } else {
        m = compress_unicast(IPV6_DST(ip), dst_ll, &p, 0);
        b1 |= (uint8_t)(m & 0x7); /* DAC bit 2, DAM bits 1..0 */
    }
    *consumed = IPV6_HDR_LEN;

    if (udp) {
        const uint8_t *u = ip + IPV6_HDR_LEN;
        uint16_t sp = (uint16_t)((u[0] << 8) | u[1]);
        uint16_t dp = (uint16_t)((u[2] << 8) | u[3]);
        if ((sp & 0xfff0) == 0xf0b0 && (dp & 0xfff0) == 0xf0b0) {
            *p++ = 0xf3;
            *p++ = (uint8_t)(((sp & 0xf) << 4) | (dp & 0xf));
        } else if ((dp & 0xff00) == 0xf000) {
            *p++ = 0xf1;
            *p++ = u[0];
            *p++ = u[1];
            *p++ = u[3];
        } else if ((sp & 0xff00) == 0xf000) {
            *p++ = 0xf2;
            *p++ = u[1];
            *p++ = u[2];
            *p++ = u[3];
        } else {
            *p++ = 0xf0;
            memcpy(p, u, 4);
            p += 4;
        }
        *p++ = u[6]; /* checksum carried (C=0) */
        *p++ = u[7];
        *consumed = IPV6_HDR_LEN + 8;
    }
    out[0] = b0;
    out[1] = b1;
    return (uint8_t)(p - out);
}

/* ---------------------------------------------------------------- decompression */

#define NEED(n)                                                                                                    \
    do {                                                                                                           \
        if ((uint16_t)(end - p) < (uint16_t)(n))                                                                   \
            return -1;                                                                                             \
    } while (0)

static int decompress_unicast(uint8_t *out, uint8_t ctx, uint8_t mode, const lladdr_t *ll, const uint8_t **pp,
                              const uint8_t *end, int is_src)
{
    const uint8_t *p = *pp;
    if (ctx) {
        if (mode == 0) {
            if (!is_src)
                return -1; /* DAC=1 DAM=00 is reserved */
            memset(out, 0, 16);
            return 0;
        }
        if (!ctx0_valid)
            return -1;
        memcpy(out, ctx0, 8);
    } else {
        if (mode == 0) {
            NEED(16);
            memcpy(out, p, 16);
            *pp = p + 16;
            return 0;
        }
        memset(out, 0, 8);
        out[0] = 0xfe;
        out[1] = 0x80;
    }
    if (mode == 1) {
        NEED(8);
        memcpy(out + 8, p, 8);
        p += 8;
    } else if (mode == 2) {
        NEED(2);
        memcpy(out + 8, short_iid_prefix, 6);
        out[14] = p[0];
        out[15] = p[1];
        p += 2;
    } else {
        ipv6_iid_from_lladdr(ll, out + 8);
    }
    *pp = p;
    return 0;
}

int sixlowpan_decompress(const uint8_t *in, uint16_t inlen, const lladdr_t *src_ll, const lladdr_t *dst_ll,
                         uint16_t total_len, uint8_t *ip, uint8_t *used)
{
    const uint8_t *p = in + 2;
    const uint8_t *end = in + inlen;
    uint8_t b0, b1, ecn = 0, dscp = 0, tc, hdr = IPV6_HDR_LEN;
    uint32_t fl = 0;
    uint16_t plen;

    if (inlen < 2 || (in[0] & 0xe0) != SIXLOWPAN_DISPATCH_IPHC)
        return -1;
    b0 = in[0];
    b1 = in[1];
    if (b1 & 0x80) { /* CID: only context 0 exists here */
        NEED(1);
        if (*p++ != 0)
            return -1;
    }
    switch ((b0 >> 3) & 3) {
    case 0:
        NEED(4);
        ecn = p[0] >> 6;
        dscp = p[0] & 0x3f;
        fl = ((uint32_t)(p[1] & 0x0f) << 16) | ((uint16_t)p[2] << 8) | p[3];
        p += 4;
        break;
    case 1:
        NEED(3);
        ecn = p[0] >> 6;
        fl = ((uint32_t)(p[0] & 0x0f) << 16) | ((uint16_t)p[1] << 8) | p[2];
        p += 3;
        break;
    case 2:
        NEED(1);
        ecn = p[0] >> 6;
        dscp = p[0] & 0x3f;
        p += 1;
        break;
    default:
        break;
    }
    tc = (uint8_t)((dscp << 2) | ecn);
    ip[0] = (uint8_t)(0x60 | (tc >> 4));
    ip[1] = (uint8_t)(((tc & 0x0f) << 4) | ((fl >> 16) & 0x0f));
    ip[2] = (uint8_t)(fl >> 8);
    ip[3] = (uint8_t)fl;
    if (!(b0 & 0x04)) {
        NEED(1);
        ip[6] = *p++;
    }
    switch (b0 & 3) {
    case 0:
        NEED(1);
        ip[7] = *p++;
        break;
    case 1:
        ip[7] = 1;
        break;
    case 2:
        ip[7] = 64;
        break;
    default:
        ip[7] = 255;
        break;
    }
    if (decompress_unicast(ip + 8, b1 & 0x40, (b1 >> 4) & 3, src_ll, &p, end, 1) < 0)
        return -1;
    if (b1 & 0x08) {
        uint8_t *d = ip + 24;
        if (b1 & 0x04)
            return -1; /* unicast-prefix-based multicast (DAC=1) not supported */
        memset(d, 0, 16);
        d[0] = 0xff;
        switch (b1 & 3) {
        case 0:
            NEED(16);
            memcpy(d, p, 16);
            p += 16;
            break;
        case 1:
            NEED(6);
            d[1] = p[0];
            memcpy(d + 11, p + 1, 5);
            p += 6;
            break;
        case 2:
            NEED(4);
            d[1] = p[0];
            memcpy(d + 13, p + 1, 3);
            p += 4;
            break;
        default:
            NEED(1);
            d[1] = 0x02;
            d[15] = *p++;
            break;
        }
    } else if (decompress_unicast(ip + 24, b1 & 0x04, b1 & 3, dst_ll, &p, end, 0) < 0) {
        return -1;
    }
    if (b0 & 0x04) { /* next header compressed: only UDP NHC (11110CPP) with its checksum */
        uint8_t *u = ip + IPV6_HDR_LEN;
        uint8_t nhc;
        NEED(1);
        nhc = *p++;
        if ((nhc & 0xf8) != 0xf0 || (nhc & 0x04))
            return -1;
        switch (nhc & 3) {
        case 0:
            NEED(4);
            memcpy(u, p, 4);
            p += 4;
            break;
        case 1:
            NEED(3);
            u[0] = p[0];
            u[1] = p[1];
            u[2] = 0xf0;
            u[3] = p[2];
            p += 3;
            break;
        case 2:
            NEED(3);
            u[0] = 0xf0;
            u[1] = p[0];
            u[2] = p[1];
            u[3] = p[2];
            p += 3;
            break;
        default:
            NEED(1);
            u[0] = 0xf0;
            u[1] = (uint8_t)(0xb0 | (p[0] >> 4));
            u[2] = 0xf0;
            u[3] = (uint8_t)(0xb0 | (p[0] & 0x0f));
            p += 1;
            break;
        }
        NEED(2);
        u[6] = p[0];
        u[7] = p[1];
        p += 2;
        ip[6] = IPV6_PROTO_UDP;
        hdr = IPV6_HDR_LEN + 8;
    }
    *used = (uint8_t)(p - in);
    if (total_len == 0)
        total_len = (uint16_t)(hdr + (inlen - *used));
    if (total_len < hdr)
        return -1;
    plen = (uint16_t)(total_len - IPV6_HDR_LEN);
    ip[4] = (uint8_t)(plen >> 8);
    ip[5] = (uint8_t)plen;
    if (hdr > IPV6_HDR_LEN) {
        ip[IPV6_HDR_LEN + 4] = ip[4];
        ip[IPV6_HDR_LEN + 5] = ip[5];
    }
    return hdr;
}

/* ---------------------------------------------------------------- output */

int sixlowpan_output(const uint8_t *ip, uint16_t len, const lladdr_t *next_hop)
{
    uint8_t frame[NET_FRAME_MAX];
    uint8_t maxpl = (uint8_t)(NET_FRAME_MAX - mac_overhead(next_hop));
    uint8_t consumed, hc, chunk, hdr;
    uint16_t off, rest, tag;

    if (len < IPV6_HDR_LEN || len > 0x7ff || (IPV6_NEXT_HEADER(ip) == IPV6_PROTO_UDP && len < IPV6_HDR_LEN + 8))
        return -1;
    hc = sixlowpan_compress(ip, mac_own_lladdr(), next_hop, frame + SIXLOWPAN_FRAG1_HDR_LEN, &consumed);
    rest = (uint16_t)(len - consumed);
    if (hc + rest <= maxpl) {
        memcpy(frame + SIXLOWPAN_FRAG1_HDR_LEN + hc, ip + consumed, rest);
        stats.tx_frames++;
        return mac_send(next_hop, frame + SIXLOWPAN_FRAG1_HDR_LEN, (uint8_t)(hc + rest));
    }
    /* FRAG1: the uncompressed bytes it stands for must end on an 8-byte boundary. */
    if (maxpl < SIXLOWPAN_FRAG1_HDR_LEN + hc + 8)
        return -1;
    tag = next_tag++;
    chunk = (uint8_t)(((consumed + maxpl - SIXLOWPAN_FRAG1_HDR_LEN - hc) & ~7u) - consumed);
    frame[0] = (uint8_t)(SIXLOWPAN_DISPATCH_FRAG1 | (len >> 8));
    frame[1] = (uint8_t)len;
    frame[2] = (uint8_t)(tag >> 8);
    frame[3] = (uint8_t)tag;
    memcpy(frame + SIXLOWPAN_FRAG1_HDR_LEN + hc, ip + consumed, chunk);
    stats.tx_frames++;
    stats.tx_fragmented++;
    if (mac_send(next_hop, frame, (uint8_t)(SIXLOWPAN_FRAG1_HDR_LEN + hc + chunk)) < 0)
        return -1;
    off = (uint16_t)(consumed + chunk);
    frame[0] = (uint8_t)(SIXLOWPAN_DISPATCH_FRAGN | (len >> 8));
    while (off < len) {
        rest = (uint16_t)(len - off);
        chunk = (uint8_t)((maxpl - SIXLOWPAN_FRAGN_HDR_LEN) & ~7u);
        if (rest <= (uint16_t)(maxpl - SIXLOWPAN_FRAGN_HDR_LEN))
            chunk = (uint8_t)rest;
        hdr = SIXLOWPAN_FRAGN_HDR_LEN;
        frame[4] = (uint8_t)(off >> 3);
        memcpy(frame + hdr, ip + off, chunk);
        stats.tx_frames++;
        if (mac_send(next_hop, frame, (uint8_t)(hdr + chunk)) < 0)
            return -1;
        off = (uint16_t)(off + chunk);
    }
    return 0;
}

/* ---------------------------------------------------------------- reassembly */

static int bit_get(const uint8_t *map, uint16_t b) { return (map[b >> 3] >> (b & 7)) & 1; }
static void bit_set(uint8_t *map, uint16_t b) { map[b >> 3] |= (uint8_t)(1u << (b & 7)); }

static reass_slot_t *reass_find(const lladdr_t *src, const lladdr_t *dst, uint16_t size, uint16_t tag)
{
    uint8_t i;
    for (i = 0; i < SIXLOWPAN_REASS_SLOTS; i++) {
        reass_slot_t *s = &slots[i];
        if (s->used && s->size == size && s->tag == tag && lladdr_equal(&s->src, src) && lladdr_equal(&s->dst, dst))
            return s;
    }
    return 0;
}

static reass_slot_t *reass_alloc(const lladdr_t *src, uint32_t now)
{
    uint8_t i, own = 0;
    reass_slot_t *free_slot = 0, *oldest = 0, *oldest_own = 0, *victim;
    for (i = 0; i < SIXLOWPAN_REASS_SLOTS; i++) {
        reass_slot_t *s = &slots[i];
        if (!s->used) {
            if (!free_slot)
                free_slot = s;
            continue;
        }
        if (!oldest || now - s->started > now - oldest->started)
            oldest = s;
        if (lladdr_equal(&s->src, src)) {
            own++;
            if (!oldest_own || now - s->started > now - oldest_own->started)
                oldest_own = s;
        }
    }
    if (own >= SIXLOWPAN_REASS_PER_SENDER) {
        victim = oldest_own;
        stats.reass_evicted++;
    } else if (free_slot) {
        victim = free_slot;
    } else {
        victim = oldest;
        stats.reass_evicted++;
    }
    return victim;
}

static void reass_add(const lladdr_t *src, const lladdr_t *dst, uint16_t size, uint16_t tag, uint16_t off,
                      const uint8_t *data, uint16_t n)
{
    uint32_t now = netplat_clock_ms();
    reass_slot_t *s = reass_find(src, dst, size, tag);
    uint16_t b, first, last, end = (uint16_t)(off + n);
    uint8_t any = 0, all = 1;

    if (s && netplat_time_reached(now, s->started + SIXLOWPAN_REASS_TIMEOUT_MS)) {
        s->used = 0;
        stats.reass_timeout++;
        s = 0;
    }
    /* Fragments start on 8-byte boundaries and end on one unless they end the datagram. */
    if (n == 0 || end > size || (off & 7) || ((end & 7) && end != size)) {
        if (s)
            s->used = 0;
        stats.reass_conflict++;
        return;
    }
    if (!s) {
        s = reass_alloc(src, now);
        s->used = 1;
        s->src = *src;
        s->dst = *dst;
        s->size = size;
        s->tag = tag;
        s->started = now;
        memset(s->map, 0, sizeof s->map);
    }
    first = off >> 3;
    last = (uint16_t)((end - 1) >> 3);
    for (b = first; b <= last; b++) {
        if (bit_get(s->map, b))
            any = 1;
        else
            all = 0;
    }
    if (any) {
        /* Received before: identical bytes are a duplicate, anything else poisons the datagram. */
        for (b = first; b <= last; b++) {
            uint16_t lo = (uint16_t)(b << 3), hi = (uint16_t)(lo + 8);
            if (!bit_get(s->map, b))
                continue;
            if (hi > end)
                hi = end;
            if (memcmp(s->buf + lo, data + (lo - off), hi - lo) != 0) {
                s->used = 0;
                stats.reass_conflict++;
                return;
            }
        }
        if (all) {
            stats.reass_duplicate++;
            return;
        }
    }
    memcpy(s->buf + off, data, n);
    for (b = first; b <= last; b++)
        bit_set(s->map, b);
    for (b = 0; b <= (uint16_t)((size - 1) >> 3); b++)
        if (!bit_get(s->map, b))
            return;
    stats.reass_done++;
    ipv6_input(s->buf, size, &s->src);
    s->used = 0;
}

void sixlowpan_periodic(void)
{
    uint32_t now = netplat_clock_ms();
    uint8_t i;
    if (ctx0_compress && netplat_time_reached(now, ctx0_expires))
        ctx0_compress = 0;
    for (i = 0; i < SIXLOWPAN_REASS_SLOTS; i++) {
        if (slots[i].used && netplat_time_reached(now, slots[i].started + SIXLOWPAN_REASS_TIMEOUT_MS)) {
            slots[i].used = 0;
            stats.reass_timeout++;
        }
    }
}

uint8_t sixlowpan_reass_in_use(void)
{
    uint8_t i, n = 0;
    for (i = 0; i < SIXLOWPAN_REASS_SLOTS; i++)
        n = (uint8_t)(n + slots[i].used);
    return n;
}

/* ---------------------------------------------------------------- input */

void net_input_from_mac(const lladdr_t *src, const lladdr_t *dst, const uint8_t *payload, uint8_t len)
{
    uint8_t d, used;
    int hdr;
    stats.rx_frames++;
    if (len < 2)
        goto drop;
    d = payload[0];
    if ((d & 0xf8) == SIXLOWPAN_DISPATCH_FRAG1 || (d & 0xf8) == SIXLOWPAN_DISPATCH_FRAGN) {
        uint16_t size = (uint16_t)(((d & 7) << 8) | payload[1]);
        uint16_t tag;
        if (len < SIXLOWPAN_FRAGN_HDR_LEN)
            goto drop;
        tag = (uint16_t)((payload[2] << 8) | payload[3]);
        if (size > SIXLOWPAN_REASS_SIZE || size < IPV6_HDR_LEN) {
            stats.reass_too_big++; /* refused before anything is reserved */
            goto drop;
        }
        if ((d & 0xf8) == SIXLOWPAN_DISPATCH_FRAGN) {
            uint16_t off = (uint16_t)(payload[4] << 3);
            if (off == 0) /* offset 0 belongs to FRAG1, which carries the compressed header */
                goto drop;
            reass_add(src, dst, size, tag, off, payload + 5, (uint16_t)(len - 5));
            return;
        }
        payload += SIXLOWPAN_FRAG1_HDR_LEN;
        len = (uint8_t)(len - SIXLOWPAN_FRAG1_HDR_LEN);
        if ((payload[0] & 0xe0) == SIXLOWPAN_DISPATCH_IPHC) {
            hdr = sixlowpan_decompress(payload, len, src, dst, size, in_buf, &used);
            if (hdr < 0)
                goto drop;
        } else if (payload[0] == SIXLOWPAN_DISPATCH_IPV6) {
            hdr = 0;
            used = 1;
        } else {
            goto drop;
        }
        memcpy(in_buf + hdr, payload + used, (uint16_t)(len - used));
        reass_add(src, dst, size, tag, 0, in_buf, (uint16_t)(hdr + len - used));
        return;
    }
    if ((d & 0xe0) == SIXLOWPAN_DISPATCH_IPHC) {
        hdr = sixlowpan_decompress(payload, len, src, dst, 0, in_buf, &used);
        if (hdr < 0)
            goto drop;
        memcpy(in_buf + hdr, payload + used, (uint16_t)(len - used));
        ipv6_input(in_buf, (uint16_t)(hdr + len - used), src);
        return;
    }
    if (d == SIXLOWPAN_DISPATCH_IPV6) {
        memcpy(in_buf, payload + 1, (uint16_t)(len - 1));
        ipv6_input(in_buf, (uint16_t)(len - 1), src);
        return;
    }
drop:
    stats.rx_dropped++;
}

const sixlowpan_stats_t *sixlowpan_stats(void) { return &stats; }
