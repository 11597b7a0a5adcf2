/*
 * coap_server.h — the CoAP endpoint on UDP port COAP_PORT (RFC 7252): a resource server, and the
 * dispatcher that passes responses and empty ACK/RST on to the client (coap_client.h).
 *
 *  - CON request -> piggybacked response in an ACK with the same message ID and token;
 *    NON request -> NON response with a fresh message ID; empty CON ("CoAP ping") -> RST;
 *    a malformed CON -> RST; malformed NON/ACK/RST are dropped.
 *  - Deduplication: the last COAP_DEDUP_ENTRIES (peer, port, message ID) are remembered for
 *    EXCHANGE_LIFETIME; a duplicate CON gets the stored response again (responses up to
 *    COAP_DEDUP_RESP_SIZE bytes are stored; a larger one is recomputed for GET, which is safe, and
 *    answered with an empty ACK otherwise); a duplicate NON is dropped.
 *  - Unrecognised critical options -> 4.02; no such path -> 4.04; method not in the resource's set
 *    -> 4.05; an Accept that does not match the representation -> 4.06.
 *  - GET /.well-known/core lists the resource table in CoRE link-format (RFC 6690, Content-Format 40).
 */
#ifndef COAP_SERVER_H
#define COAP_SERVER_H

#include <stdint.h>
#include "coap.h"

#define COAP_METHOD_BIT(m) ((uint8_t)(1u << (m)))

typedef struct {
    uint8_t code;            /* preset to 2.05 for GET, 2.04 otherwise */
    uint16_t content_format; /* COAP_FORMAT_NONE: no Content-Format option */
    uint8_t *payload;        /* the handler writes its representation here ... */
    uint16_t payload_max;    /* ... up to this many bytes */
    uint16_t payload_len;
} coap_response_t;

typedef void (*coap_handler_fn)(const coap_msg_t *req, coap_response_t *resp);

typedef struct {
    const char *path;  /* without leading slash: "sensors/temperature" */
    const char *attrs; /* link-format attributes appended in /.well-known/core: ";rt=\"x\";ct=0" */
    uint8_t methods;   /* COAP_METHOD_BIT(COAP_GET) | ... */
    coap_handler_fn handler;
} coap_resource_t;

/* Messages that are not requests (responses, empty ACK/RST) for the client side. */
typedef void (*coap_response_hook_fn)(const uint8_t src[16], uint16_t src_port, const coap_msg_t *msg);

/* Bind COAP_PORT and serve `resources` (kept by reference). Returns 0 or -1 (port taken). */
int coap_server_init(const coap_resource_t *resources, uint8_t n);
void coap_server_set_response_hook(coap_response_hook_fn fn);
/* A fresh message ID for messages this endpoint originates. */
uint16_t coap_new_mid(void);
/* Draw a new starting message ID (after netplat_random_mix: ids unlike the last boot's). */
void coap_restart_mids(void);
/* Send an empty ACK or RST for message `mid` to a peer. */
int coap_send_empty(const uint8_t dst[16], uint16_t port, uint8_t type, uint16_t mid);

typedef struct {
    uint16_t requests, duplicates, rst_sent, malformed;
} coap_server_stats_t;
const coap_server_stats_t *coap_server_stats(void);

#endif
