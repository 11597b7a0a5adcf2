/*
 * host_glue.c — runs the firmware net stack as a host shared library for the tests: it is the
 * platform (clock set by the test, seeded PRNG, sensor values, LEDs) and the two links, each a
 * byte queue the Python side drains: the UART that carries SLIP, and the MAC whose frames the
 * test's radio medium carries between nodes. No callbacks into Python.
 *
 * Each node is one copy of the library loaded from its own path (globals are per node).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "host_glue.h"

#include "ccs_app.h"
#include "ccs_sensors.h"
#include "coap.h"
#include "coap_client.h"
#include "icmp6.h"
#include "ipv6.h"
#include "mac.h"
#include "mac802154.h"
#include "radio.h"
#include "netplat.h"
#include "netstack.h"
#include "router.h"
#include "sixlowpan.h"
#include "slipif.h"
#include "udp.h"

/* ---- platform ---- */
static uint32_t now_ms;
static uint32_t rng = 0x2545f491u;

void host_set_time_ms(uint32_t t) { now_ms = t; }
uint32_t netplat_clock_ms(void) { return now_ms; }
void host_seed(uint32_t seed) { rng = seed ? seed : 1u; }

void netplat_random_mix(uint16_t entropy)
{
    rng ^= entropy;
    if (rng == 0)
        rng = 1u;
}

uint16_t netplat_random16(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return (uint16_t)(rng >> 8);
}

/* ---- sensors and LEDs of the CCS app ---- */
static uint16_t temperature = 2000, light = 300;
static uint8_t leds;
void host_set_sensors(uint16_t t, uint16_t l)
{
    temperature = t;
    light = l;
}
void ccs_sensors_init(void) {}
uint16_t ccs_sensor_temperature_raw(void) { return temperature; }
uint16_t ccs_sensor_light_raw(void) { return light; }
void ccs_leds_set(uint8_t mask) { leds = mask & 7u; }
uint8_t ccs_leds_get(void) { return leds; }

/* ---- UART: bytes out for the test to drain ---- */
static uint8_t uart_out[16384];
static uint32_t uart_len, uart_dropped;
static void uart_putc(uint8_t c)
{
    if (uart_len < sizeof uart_out)
        uart_out[uart_len++] = c;
    else
        uart_dropped++; /* the test did not drain: nethost.Node raises on it */
}
uint32_t host_uart_dropped(void) { return uart_dropped; }
uint32_t host_uart_drain(uint8_t *out, uint32_t max)
{
    uint32_t n = uart_len < max ? uart_len : max;
    memcpy(out, uart_out, n);
    memmove(uart_out, uart_out + n, uart_len - n);
    uart_len -= n;
    return n;
}
void host_uart_input(const uint8_t *data, uint32_t len)
{
    uint32_t i;
    for (i = 0; i < len; i++)
        slipif_input_byte(data[i]);
}

#define HOST_PAN_ID 0xabcd
static lladdr_t own;

#ifndef HOST_WITH_MAC
/* ---- MAC: frames out for the test's medium ---- */
#define MAC_QUEUE 64
typedef struct {
    lladdr_t dst;
    uint8_t len;
    uint8_t payload[NET_FRAME_MAX];
} frame_t;
static frame_t mac_queue[MAC_QUEUE];
static uint16_t mac_count;
static uint16_t mac_oversize;

const lladdr_t *mac_own_lladdr(void) { return &own; }

/* Intra-PAN data frame with PAN ID compression: FCF 2, seq 1, dst PAN 2, addresses, FCS 2. */
uint8_t mac_overhead(const lladdr_t *dst) { return (uint8_t)(7 + dst->len + own.len); }

int mac_send(const lladdr_t *dst, const uint8_t *payload, uint8_t len)
{
    if (len > NET_FRAME_MAX - mac_overhead(dst)) {
        mac_oversize++;
        return -1;
    }
    if (mac_count == MAC_QUEUE)
        return -1;
    mac_queue[mac_count].dst = *dst;
    mac_queue[mac_count].len = len;
    memcpy(mac_queue[mac_count].payload, payload, len);
    mac_count++;
    return 0;
}

/* Pop the oldest frame: returns its payload length (0: none), fills dst (8 bytes) and dst_len. */
int host_mac_pop(uint8_t *dst, uint8_t *dst_len, uint8_t *payload)
{
    if (mac_count == 0)
        return 0;
    frame_t f = mac_queue[0];
    memmove(mac_queue, mac_queue + 1, (size_t)(mac_count - 1) * sizeof(frame_t));
    mac_count--;
    memcpy(dst, f.dst.addr, 8);
    *dst_len = f.dst.len;
    memcpy(payload, f.payload, f.len);
    return f.len;
}

uint16_t host_mac_oversize(void) { return mac_oversize; }

void host_mac_input(const uint8_t *src, uint8_t src_len, const uint8_t *dst, uint8_t dst_len,
                    const uint8_t *payload, uint8_t len)
{
    lladdr_t s, d;
    s.len = src_len;
    memcpy(s.addr, src, 8);
    d.len = dst_len;
    memcpy(d.addr, dst, 8);
    net_input_from_mac(&s, &d, payload, len);
}


#else /* HOST_WITH_MAC: mac802154.c is the MAC; this is its radio (radio.h), on the sim medium (tests/net/nethost.py Air) */
static host_air_fn air;
static int air_index;
static int cca_busy;
static uint32_t delay_us, transmissions;
#define RXQ 8
static uint8_t rxq[RXQ][NET_FRAME_MAX];
static uint8_t rxq_len[RXQ];
static uint8_t rxq_count;

void host_set_air(host_air_fn fn, int index)
{
    air = fn;
    air_index = index;
}
void host_set_cca_busy(int n) { cca_busy = n; }
uint32_t host_radio_delay_us(void) { return delay_us; }
uint32_t host_radio_transmissions(void) { return transmissions; }

int radio_transmit(const uint8_t *frame, uint8_t len)
{
    transmissions++;
    if (air)
        air(air_index, frame, len);
    return 0;
}

int radio_channel_clear(void)
{
    if (cca_busy > 0) {
        cca_busy--;
        return 0;
    }
    return 1;
}

void radio_delay_us(uint16_t us) { delay_us += us; }

/* The air delivers a frame: the "interrupt" half now, the rest when the node's loop runs. */
void host_radio_rx(const uint8_t *frame, uint8_t len)
{
    if (mac_rx_filter(frame, len) && rxq_count < RXQ) {
        memcpy(rxq[rxq_count], frame, len);
        rxq_len[rxq_count] = len;
        rxq_count++;
    }
}

void host_radio_process(void)
{
    uint8_t frame[NET_FRAME_MAX], len;
    while (rxq_count) {
        len = rxq_len[0];
        memcpy(frame, rxq[0], len);
        memmove(rxq, rxq + 1, (size_t)(rxq_count - 1) * sizeof rxq[0]);
        memmove(rxq_len, rxq_len + 1, (size_t)(rxq_count - 1));
        rxq_count--;
        mac_input(frame, len);
    }
}

uint16_t host_mac_oversize(void) { return 0; }
#endif

void host_get_lladdr(uint8_t *out, uint8_t *len)
{
    memcpy(out, own.addr, 8);
    *len = own.len;
}
/* ---- node roles ---- */
/* The firmware's identity (ipv6_lladdr_from_node_id: short address = node id), or the EUI-64 as
 * extended address when `extended`. */
static void set_identity(uint16_t node_id, int extended)
{
    host_seed(0x9e3779b9u * (node_id + 1u));
    if (extended) {
        own.len = LLADDR_EXT_LEN;
        ipv6_eui64_from_node_id(node_id, own.addr);
    } else {
        ipv6_lladdr_from_node_id(node_id, &own);
    }
}

/* After netstack_init (which does not touch the MAC). */
static void start_mac(void)
{
#ifdef HOST_WITH_MAC
    mac_init(HOST_PAN_ID, &own);
#endif
}

/* link: 0 = SLIP (serial-attached CCS), 1 = radio. */
void host_ccs_start(uint16_t node_id, int link)
{
    set_identity(node_id, 0);
    ccs_app_init(node_id);
    start_mac();
    if (link == 0) {
        slipif_init(uart_putc);
        ipv6_set_output(slipif_output);
    } else {
        ipv6_set_output(ipv6_radio_output);
    }
}
void host_ccs_periodic(void)
{
#ifdef HOST_WITH_MAC
    host_radio_process();
#endif
    ccs_app_periodic();
}

void host_br_start(uint16_t node_id)
{
    set_identity(node_id, 0);
    netstack_init(node_id);
    start_mac();
    router_init(uart_putc);
}
void host_br_periodic(void)
{
#ifdef HOST_WITH_MAC
    host_radio_process();
#endif
    router_periodic();
}

/* A bare stack on the radio (unit tests): lladdr short or extended, IPv6 addresses from it. */
void host_node_start(uint16_t node_id, int short_addr)
{
    set_identity(node_id, !short_addr);
    netstack_init(node_id);
    ipv6_init(&own);
    start_mac();
    ipv6_set_output(ipv6_radio_output);
}

/* ---- probes for tests ---- */
static uint8_t last_udp[NET_BUF_SIZE];
static uint16_t last_udp_len, last_udp_port, udp_count;
static uint8_t last_udp_src[16];
static void record_udp(const uint8_t src[16], uint16_t sport, uint16_t dport, const uint8_t *data, uint16_t len)
{
    (void)dport;
    memcpy(last_udp, data, len);
    memcpy(last_udp_src, src, 16);
    last_udp_len = len;
    last_udp_port = sport;
    udp_count++;
}
int host_udp_listen(uint16_t port) { return udp_bind(port, record_udp); }
/* Copies the last datagram received on a host_udp_listen port; returns the count so far. */
uint16_t host_udp_last(uint8_t *out, uint16_t *len, uint8_t *src, uint16_t *sport)
{
    memcpy(out, last_udp, last_udp_len);
    *len = last_udp_len;
    memcpy(src, last_udp_src, 16);
    *sport = last_udp_port;
    return udp_count;
}

/* The datagrams handed to ipv6_input (reassembled or not), for the 6LoWPAN tests. */
static uint8_t last_ip[NET_BUF_SIZE];
static uint16_t last_ip_len, ip_count;
static int capture_forward(uint8_t *pkt, uint16_t len, const lladdr_t *from)
{
    (void)from;
    memcpy(last_ip, pkt, len);
    last_ip_len = len;
    ip_count++;
    return 0;
}
/* Capture every datagram not addressed to this node instead of dropping it. */
void host_capture_foreign(void) { ipv6_set_forwarder(capture_forward); }
uint16_t host_last_ip(uint8_t *out, uint16_t *len)
{
    memcpy(out, last_ip, last_ip_len);
    *len = last_ip_len;
    return ip_count;
}

/* ---- CoAP codec probe: parse, then describe and re-serialize from the parsed fields ---- */
int host_coap_describe(const uint8_t *in, uint16_t len, char *text, uint16_t text_max, uint8_t *out,
                       uint16_t out_max)
{
    coap_msg_t m;
    coap_writer_t w;
    int rc = coap_parse(&m, in, len), n;
    uint16_t i, pos = 0, j;
    if (rc < 0)
        return rc;
    pos += (uint16_t)snprintf(text + pos, text_max - pos, "%u %u %u ", m.type, m.code, m.mid);
    for (i = 0; i < m.tkl; i++)
        pos += (uint16_t)snprintf(text + pos, text_max - pos, "%02x", m.token[i]);
    pos += (uint16_t)snprintf(text + pos, text_max - pos, " |");
    for (i = 0; i < m.n_options; i++) {
        pos += (uint16_t)snprintf(text + pos, text_max - pos, " %u=", m.options[i].number);
        for (j = 0; j < m.options[i].len; j++)
            pos += (uint16_t)snprintf(text + pos, text_max - pos, "%02x", m.options[i].value[j]);
    }
    pos += (uint16_t)snprintf(text + pos, text_max - pos, " | ");
    for (i = 0; i < m.payload_len; i++)
        pos += (uint16_t)snprintf(text + pos, text_max - pos, "%02x", m.payload[i]);
    coap_writer_init(&w, out, out_max, m.type, m.code, m.mid, m.token, m.tkl);
    for (i = 0; i < m.n_options; i++)
        coap_write_option(&w, m.options[i].number, m.options[i].value, m.options[i].len);
    coap_write_payload(&w, m.payload, m.payload_len);
    n = coap_writer_finish(&w);
    return n;
}

/* ---- CoAP client probe ---- */
static int client_status = 1;
static uint8_t client_code;
static uint8_t client_payload[256];
static uint16_t client_payload_len;
static void client_done(int status, const coap_msg_t *resp, void *ctx)
{
    (void)ctx;
    client_status = status;
    if (resp) {
        client_code = resp->code;
        client_payload_len = resp->payload_len < sizeof client_payload ? resp->payload_len : sizeof client_payload;
        memcpy(client_payload, resp->payload, client_payload_len);
    }
}
int host_coap_request(const uint8_t *dst, uint16_t port, int con, uint8_t method, const char *path)
{
    client_status = 1;
    return coap_client_request(dst, port, (uint8_t)con, method, path, 0, COAP_FORMAT_NONE, 0, 0, client_done, 0);
}
/* 1 while pending, else the status; code and payload of the response. */
int host_coap_result(uint8_t *code, uint8_t *payload, uint16_t *len)
{
    *code = client_code;
    memcpy(payload, client_payload, client_payload_len);
    *len = client_payload_len;
    return client_status;
}
