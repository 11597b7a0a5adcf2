/*
 * coap_client.h — outbound CoAP requests from the COAP_PORT endpoint (needs coap_server_init first).
 *
 * CON requests are retransmitted with exponential back-off (RFC 7252 §4.2): the first timeout is
 * random in [ACK_TIMEOUT, ACK_TIMEOUT * ACK_RANDOM_FACTOR] = [2 s, 3 s], doubled after each of up to
 * MAX_RETRANSMIT (4) retransmissions. A piggybacked response ends the exchange; an empty ACK stops
 * the retransmissions and the client waits for the separate response (which it ACKs if CON); a
 * RST ends it with COAP_CLIENT_RESET. Responses are matched by token (and message ID for ACK/RST).
 */
#ifndef COAP_CLIENT_H
#define COAP_CLIENT_H

#include <stdint.h>
#include "coap.h"

#define COAP_CLIENT_OK 0
#define COAP_CLIENT_TIMEOUT (-1)
#define COAP_CLIENT_RESET (-2)

#ifndef COAP_CLIENT_RESPONSE_WAIT_MS
#define COAP_CLIENT_RESPONSE_WAIT_MS 93000ul /* MAX_TRANSMIT_WAIT: NON requests and separate responses */
#endif

/* status COAP_CLIENT_OK with the response, or TIMEOUT/RESET with resp NULL. */
typedef void (*coap_client_cb)(int status, const coap_msg_t *resp, void *ctx);

void coap_client_init(void);
/* Start a request; `path` like "rd" or "a/b", `query` like "ep=x&lt=60" or NULL. Returns a handle
 * >= 0, or -1 when no transaction slot is free or the message does not fit COAP_CLIENT_MSG_SIZE. */
int coap_client_request(const uint8_t dst[16], uint16_t port, uint8_t confirmable, uint8_t method,
                        const char *path, const char *query, uint16_t content_format, const uint8_t *payload,
                        uint16_t len, coap_client_cb cb, void *ctx);
/* Retransmissions and timeouts; call from the main loop. */
void coap_client_periodic(void);
/* Transactions in progress (tests). */
uint8_t coap_client_active(void);

typedef struct {
    uint16_t sent, retransmitted, timeouts, responses;
} coap_client_stats_t;
const coap_client_stats_t *coap_client_stats(void);

#endif
