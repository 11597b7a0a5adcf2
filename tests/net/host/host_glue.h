/*
 * host_glue.h — what the tests call in a host-built node (host_glue.c): plain declarations, read by
 * cffi as the cdef of each node's library (tests/net/nethost.py), so Python and C share one copy.
 * Functions of the MAC variant (HOST_WITH_MAC) and of the queue variant exist only in their library.
 */
#ifndef ESSE_HOST_GLUE_H
#define ESSE_HOST_GLUE_H
#include <stdint.h>

/* platform: clock, PRNG seed, sensors, LEDs */
void host_set_time_ms(uint32_t t);
void host_seed(uint32_t seed);
void host_set_sensors(uint16_t t, uint16_t l);
void ccs_leds_set(uint8_t mask);
uint8_t ccs_leds_get(void);

/* UART (SLIP): bytes out since the last drain, bytes in; output lost to a full buffer is counted */
uint32_t host_uart_drain(uint8_t *out, uint32_t max);
uint32_t host_uart_dropped(void);
void host_uart_input(const uint8_t *data, uint32_t len);

/* the node's link address (8 bytes max) */
void host_get_lladdr(uint8_t *out, uint8_t *len);

/* queue variant (no MAC): frames out for the test's Medium, frames in from it */
int host_mac_pop(uint8_t *dst, uint8_t *dst_len, uint8_t *payload);
uint16_t host_mac_oversize(void);
void host_mac_input(const uint8_t *src, uint8_t src_len, const uint8_t *dst, uint8_t dst_len,
                    const uint8_t *payload, uint8_t len);

/* MAC variant: mac802154.c on a radio whose frames go to the test's air (air.h) */
typedef void (*host_air_fn)(int from, const uint8_t *frame, uint8_t len);
void host_set_air(host_air_fn fn, int index);
void host_set_cca_busy(int n);
uint32_t host_radio_delay_us(void);
uint32_t host_radio_transmissions(void);
void host_radio_rx(const uint8_t *frame, uint8_t len);
void host_radio_process(void);

/* roles: a CoAP sensor (link 0 = SLIP, 1 = radio), a border router, a bare node */
void host_ccs_start(uint16_t node_id, int link);
void host_ccs_periodic(void);
void host_br_start(uint16_t node_id);
void host_br_periodic(void);
void host_node_start(uint16_t node_id, int short_addr);

/* probes: UDP datagrams received, IP packets forwarded, the CoAP codec, the CoAP client */
int host_udp_listen(uint16_t port);
uint16_t host_udp_last(uint8_t *out, uint16_t *len, uint8_t *src, uint16_t *sport);
void host_capture_foreign(void);
uint16_t host_last_ip(uint8_t *out, uint16_t *len);
int host_coap_describe(const uint8_t *in, uint16_t len, char *text, uint16_t text_max, uint8_t *out,
                       uint16_t out_max);
int host_coap_request(const uint8_t *dst, uint16_t port, int con, uint8_t method, const char *path);
int host_coap_result(uint8_t *code, uint8_t *payload, uint16_t *len);

#endif
