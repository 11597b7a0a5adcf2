/* mac802154.c — see mac802154.h. */
#include <string.h>
#include "mac802154.h"
#include "net_conf.h"
#include "netplat.h"
#include "radio.h"

#define FCS_LEN 2
#define BROADCAST_PAN 0xffffu

static uint16_t pan;
static lladdr_t own;
static uint8_t seq;
static volatile uint8_t tx_pending, ack_expected_seq, ack_received;
static struct {
    lladdr_t src;
    uint8_t seq;
} recent[MAC_DUP_ENTRIES];
static uint8_t recent_count, recent_next;
static mac_stats_t stats;

static uint8_t addr_mode(const lladdr_t *a)
{
    return a->len == LLADDR_EXT_LEN ? 3 : a->len == LLADDR_SHORT_LEN ? 2 : 0;
}

/* Addresses travel least significant byte first: the reverse of lladdr_t. */
static uint8_t put_addr(uint8_t *p, const lladdr_t *a)
{
    uint8_t i;
    for (i = 0; i < a->len; i++)
        p[i] = a->addr[a->len - 1 - i];
    return a->len;
}

static void get_addr(const uint8_t *p, uint8_t len, lladdr_t *a)
{
    uint8_t i;
    a->len = len;
    for (i = 0; i < len; i++)
        a->addr[i] = p[len - 1 - i];
}

uint8_t mac_header_build(uint8_t *buf, uint8_t type, uint8_t seqno, uint8_t ack_request, uint16_t pan_id,
                         const lladdr_t *dst, const lladdr_t *src)
{
    uint8_t n = 3;
    uint16_t fcf = type & 7;
    uint8_t dm = dst ? addr_mode(dst) : 0, sm = src ? addr_mode(src) : 0;
    if (ack_request)
        fcf |= 1u << 5;
    if (dm && sm)
        fcf |= 1u << 6; /* PAN ID compression */
    fcf |= (uint16_t)(dm << 10) | (uint16_t)(sm << 14);
    buf[0] = (uint8_t)fcf;
    buf[1] = (uint8_t)(fcf >> 8);
    buf[2] = seqno;
    if (dm) {
        buf[n++] = (uint8_t)pan_id;
        buf[n++] = (uint8_t)(pan_id >> 8);
        n = (uint8_t)(n + put_addr(buf + n, dst));
    }
    if (sm) {
        if (!dm) {
            buf[n++] = (uint8_t)pan_id;
            buf[n++] = (uint8_t)(pan_id >> 8);
        }
        n = (uint8_t)(n + put_addr(buf + n, src));
    }
    return n;
}

static const uint8_t addr_len[4] = {0, 0xff, LLADDR_SHORT_LEN, LLADDR_EXT_LEN}; /* mode 1 is reserved */

int mac_frame_parse(const uint8_t *frame, uint8_t len, mac_frame_t *f)
{
    uint16_t fcf;
    uint8_t n = 3, dl, sl;
    if (len < 3)
        return -1;
    fcf = (uint16_t)(frame[0] | (frame[1] << 8));
    memset(f, 0, sizeof *f);
    f->type = fcf & 7;
    f->frame_pending = (fcf >> 4) & 1;
    f->ack_request = (fcf >> 5) & 1;
    f->pan_compression = (fcf >> 6) & 1;
    f->version = (fcf >> 12) & 3;
    f->seq = frame[2];
    dl = addr_len[(fcf >> 10) & 3];
    sl = addr_len[(fcf >> 14) & 3];
    if ((fcf & (1u << 3)) || dl == 0xff || sl == 0xff || f->version > 1)
        return -1; /* security, reserved addressing modes, frame versions we do not speak */
    if (dl) {
        if (n + 2 + dl > len)
            return -1;
        f->dst_pan = (uint16_t)(frame[n] | (frame[n + 1] << 8));
        get_addr(frame + n + 2, dl, &f->dst);
        n = (uint8_t)(n + 2 + dl);
    }
    if (sl) {
        if (f->pan_compression && dl) {
            f->src_pan = f->dst_pan;
        } else {
            if (n + 2 > len)
                return -1;
            f->src_pan = (uint16_t)(frame[n] | (frame[n + 1] << 8));
            n = (uint8_t)(n + 2);
        }
        if (n + sl > len)
            return -1;
        get_addr(frame + n, sl, &f->src);
        n = (uint8_t)(n + sl);
    }
    f->payload = frame + n;
    f->payload_len = (uint8_t)(len - n);
    return 0;
}

void mac_init(uint16_t pan_id, const lladdr_t *addr)
{
    pan = pan_id;
    own = *addr;
    seq = (uint8_t)netplat_random16();
    tx_pending = ack_received = 0;
    recent_count = recent_next = 0;
    memset(&stats, 0, sizeof stats);
}

const lladdr_t *mac_own_lladdr(void) { return &own; }

uint8_t mac_overhead(const lladdr_t *dst)
{
    return (uint8_t)(3 + 2 + dst->len + own.len + FCS_LEN);
}

/* Unslotted CSMA-CA, then transmit. 0, or -1 on channel access failure. */
static int csma_transmit(const uint8_t *frame, uint8_t len)
{
    uint8_t nb = 0, be = MAC_MIN_BE;
    for (;;) {
        uint16_t periods = (uint16_t)(netplat_random16() & ((1u << be) - 1u));
        while (periods--)
            radio_delay_us(MAC_UNIT_BACKOFF_US);
        if (radio_channel_clear())
            return radio_transmit(frame, len);
        if (++nb > MAC_MAX_CSMA_BACKOFFS)
            return -1;
        if (be < MAC_MAX_BE)
            be++;
    }
}

int mac_send(const lladdr_t *dst, const uint8_t *payload, uint8_t len)
{
    uint8_t frame[NET_FRAME_MAX - FCS_LEN];
    uint8_t unicast = !lladdr_is_broadcast(dst);
    uint8_t n = mac_header_build(frame, MAC_FRAME_DATA, seq, unicast, pan, dst, &own);
    uint8_t attempt;
    uint16_t waited;
    int rc = -1;
    if ((uint16_t)n + len > sizeof frame)
        return -1;
    memcpy(frame + n, payload, len);
    n = (uint8_t)(n + len);
    ack_expected_seq = seq;
    seq++;
    stats.tx++;
    for (attempt = 0; attempt <= MAC_MAX_FRAME_RETRIES; attempt++) {
        if (attempt)
            stats.tx_retries++;
        ack_received = 0;
        tx_pending = unicast;
        if (csma_transmit(frame, n) < 0) {
            stats.tx_channel_busy++;
            break;
        }
        if (!unicast) {
            rc = 0;
            break;
        }
        for (waited = 0; waited < MAC_ACK_WAIT_US && !ack_received; waited = (uint16_t)(waited + MAC_ACK_POLL_US))
            radio_delay_us(MAC_ACK_POLL_US);
        if (ack_received) {
            stats.tx_acked++;
            rc = 0;
            break;
        }
    }
    if (rc < 0 && unicast && attempt > MAC_MAX_FRAME_RETRIES)
        stats.tx_no_ack++;
    tx_pending = 0;
    return rc;
}

static int addressed_to_us(const mac_frame_t *f)
{
    if (f->dst.len == 0)
        return 0; /* frames to the PAN coordinator: we are none */
    if (f->dst_pan != pan && f->dst_pan != BROADCAST_PAN)
        return 0;
    return lladdr_is_broadcast(&f->dst) || lladdr_equal(&f->dst, &own);
}

int mac_rx_filter(const uint8_t *frame, uint8_t len)
{
    mac_frame_t f;
    if (mac_frame_parse(frame, len, &f) < 0)
        return 0;
    if (f.type == MAC_FRAME_ACK) {
        if (tx_pending && f.seq == ack_expected_seq)
            ack_received = 1;
        return 0;
    }
    if (f.type != MAC_FRAME_DATA || !addressed_to_us(&f) || f.src.len == 0 || tx_pending) {
        stats.rx_filtered++; /* while we wait for our ACK we cannot take a frame: no ACK, it is resent */
        return 0;
    }
#if MAC_SOFTWARE_ACK
    if (f.ack_request && !lladdr_is_broadcast(&f.dst)) {
        uint8_t ack[3];
        mac_header_build(ack, MAC_FRAME_ACK, f.seq, 0, pan, 0, 0);
        radio_transmit(ack, sizeof ack);
        stats.acks_sent++;
    }
#endif
    return 1;
}

void mac_input(const uint8_t *frame, uint8_t len)
{
    mac_frame_t f;
    uint8_t i;
    if (mac_frame_parse(frame, len, &f) < 0 || f.type != MAC_FRAME_DATA || f.src.len == 0)
        return;
    for (i = 0; i < recent_count; i++) {
        if (lladdr_equal(&recent[i].src, &f.src)) {
            if (recent[i].seq == f.seq) {
                stats.rx_duplicates++;
                return;
            }
            break;
        }
    }
    if (i == recent_count) { /* new neighbour: take a free entry or the oldest one */
        if (recent_count < MAC_DUP_ENTRIES)
            recent_count++;
        else
            i = recent_next;
        recent_next = (uint8_t)((i + 1) % MAC_DUP_ENTRIES);
        recent[i].src = f.src;
    }
    recent[i].seq = f.seq;
    stats.rx++;
    net_input_from_mac(&f.src, &f.dst, f.payload, f.payload_len);
}

const mac_stats_t *mac_stats(void) { return &stats; }
