/*
 * udp.h — UDP (RFC 768 over IPv6, checksum mandatory per RFC 8200 §8.1) with callback sockets.
 */
#ifndef UDP_H
#define UDP_H

#include <stdint.h>
#include "net_conf.h"

#define UDP_HDR_LEN 8
/* Room for a UDP payload in the output buffer. */
#define UDP_PAYLOAD_MAX (NET_BUF_SIZE - 40 - UDP_HDR_LEN)

/* Called with the datagram's source address (16 bytes), ports and payload. The payload stays valid
 * until the callback returns; the callback may send (the output buffer is separate). */
typedef void (*udp_recv_fn)(const uint8_t src[16], uint16_t src_port, uint16_t dst_port, const uint8_t *data,
                            uint16_t len);

void udp_init(void);
/* Register a callback for a local port. Returns 0, or -1 when the table is full or the port is taken. */
int udp_bind(uint16_t port, udp_recv_fn fn);
void udp_unbind(uint16_t port);

/* Where to build a payload in place (UDP_PAYLOAD_MAX bytes); udp_send() then sends it without a copy. */
uint8_t *udp_payload_buf(void);
/* Send `len` bytes from `data` (may be udp_payload_buf()). Returns what ipv6_output returned. */
int udp_send(const uint8_t dst[16], uint16_t dst_port, uint16_t src_port, const uint8_t *data, uint16_t len);

/* From ipv6_input: a whole datagram (IPv6 header first) addressed to us with next header UDP. */
void udp_input(const uint8_t *pkt, uint16_t len);

typedef struct {
    uint16_t rx, rx_bad_checksum, rx_no_port, tx;
} udp_stats_t;
const udp_stats_t *udp_stats(void);

#endif
