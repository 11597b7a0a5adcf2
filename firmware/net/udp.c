/* udp.c — see udp.h. */
#include <string.h>
#include "udp.h"
#include "ipv6.h"

typedef struct {
    uint16_t port;
    udp_recv_fn fn;
} udp_socket_t;

static udp_socket_t sockets[UDP_MAX_SOCKETS];
static udp_stats_t stats;

void udp_init(void)
{
    memset(sockets, 0, sizeof sockets);
    memset(&stats, 0, sizeof stats);
}

int udp_bind(uint16_t port, udp_recv_fn fn)
{
    uint8_t i;
    int free_slot = -1;
    for (i = 0; i < UDP_MAX_SOCKETS; i++) {
        if (sockets[i].fn && sockets[i].port == port)
            return -1;
        if (!sockets[i].fn && free_slot < 0)
            free_slot = i;
    }
    if (free_slot < 0 || !fn)
        return -1;
    sockets[free_slot].port = port;
    sockets[free_slot].fn = fn;
    return 0;
}

void udp_unbind(uint16_t port)
{
    uint8_t i;
    for (i = 0; i < UDP_MAX_SOCKETS; i++)
        if (sockets[i].port == port)
            sockets[i].fn = 0;
}

uint8_t *udp_payload_buf(void) { return ipv6_out_buf() + IPV6_HDR_LEN + UDP_HDR_LEN; }

int udp_send(const uint8_t dst[16], uint16_t dst_port, uint16_t src_port, const uint8_t *data, uint16_t len)
{
    uint8_t *pkt = ipv6_out_buf();
    uint8_t *udp = pkt + IPV6_HDR_LEN;
    uint16_t ulen = (uint16_t)(len + UDP_HDR_LEN);
    uint16_t sum;
    if (len > UDP_PAYLOAD_MAX)
        return -1;
    if (data != udp + UDP_HDR_LEN)
        memmove(udp + UDP_HDR_LEN, data, len);
    ipv6_fill_header(IPV6_PROTO_UDP, dst, ulen, IPV6_DEFAULT_HOP_LIMIT);
    udp[0] = (uint8_t)(src_port >> 8);
    udp[1] = (uint8_t)src_port;
    udp[2] = (uint8_t)(dst_port >> 8);
    udp[3] = (uint8_t)dst_port;
    udp[4] = (uint8_t)(ulen >> 8);
    udp[5] = (uint8_t)ulen;
    udp[6] = udp[7] = 0;
    sum = ipv6_upper_checksum(pkt);
    if (sum == 0)
        sum = 0xffff; /* zero means "no checksum", which IPv6 forbids */
    udp[6] = (uint8_t)(sum >> 8);
    udp[7] = (uint8_t)sum;
    stats.tx++;
    return ipv6_send_out_buf();
}

void udp_input(const uint8_t *pkt, uint16_t len)
{
    const uint8_t *udp = pkt + IPV6_HDR_LEN;
    uint16_t ulen, sport, dport;
    uint8_t i;
    stats.rx++;
    if (len < IPV6_HDR_LEN + UDP_HDR_LEN)
        return;
    ulen = (uint16_t)((udp[4] << 8) | udp[5]);
    if (ulen < UDP_HDR_LEN || ulen > len - IPV6_HDR_LEN || (udp[6] == 0 && udp[7] == 0) ||
        ipv6_upper_checksum(pkt) != 0) {
        stats.rx_bad_checksum++;
        return;
    }
    sport = (uint16_t)((udp[0] << 8) | udp[1]);
    dport = (uint16_t)((udp[2] << 8) | udp[3]);
    for (i = 0; i < UDP_MAX_SOCKETS; i++) {
        if (sockets[i].fn && sockets[i].port == dport) {
            sockets[i].fn(IPV6_SRC(pkt), sport, dport, udp + UDP_HDR_LEN, (uint16_t)(ulen - UDP_HDR_LEN));
            return;
        }
    }
    stats.rx_no_port++; /* RFC 4443 port unreachable is optional; a mote stays silent */
}

const udp_stats_t *udp_stats(void) { return &stats; }
