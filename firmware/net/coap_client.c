/* coap_client.c — see coap_client.h. */
#include <string.h>
#include "coap_client.h"
#include "coap_server.h"
#include "netplat.h"
#include "udp.h"

enum { TX_FREE, TX_WAIT_ACK, TX_WAIT_RESPONSE };

typedef struct {
    uint8_t state;
    uint8_t retransmits;
    uint8_t msg_len;
    uint16_t port, mid;
    uint32_t timeout_ms, deadline;
    uint8_t dst[16];
    uint8_t token[2];
    coap_client_cb cb;
    void *ctx;
    uint8_t msg[COAP_CLIENT_MSG_SIZE];
} transaction_t;

static transaction_t tx[COAP_CLIENT_TRANSACTIONS];
static coap_client_stats_t stats;

static void finish(transaction_t *t, int status, const coap_msg_t *resp)
{
    t->state = TX_FREE;
    if (t->cb)
        t->cb(status, resp, t->ctx);
}

static void client_input(const uint8_t src[16], uint16_t port, const coap_msg_t *m)
{
    uint8_t i;
    for (i = 0; i < COAP_CLIENT_TRANSACTIONS; i++) {
        transaction_t *t = &tx[i];
        int mid_match, token_match;
        if (t->state == TX_FREE || t->port != port || memcmp(t->dst, src, 16) != 0)
            continue;
        mid_match = (m->type == COAP_TYPE_ACK || m->type == COAP_TYPE_RST) && m->mid == t->mid;
        token_match = m->code != COAP_EMPTY && m->tkl == 2 && memcmp(m->token, t->token, 2) == 0;
        if (m->type == COAP_TYPE_RST && mid_match) {
            finish(t, COAP_CLIENT_RESET, 0);
            return;
        }
        if (m->code == COAP_EMPTY && mid_match && t->state == TX_WAIT_ACK) {
            t->state = TX_WAIT_RESPONSE; /* separate response will follow */
            t->deadline = netplat_clock_ms() + COAP_CLIENT_RESPONSE_WAIT_MS;
            return;
        }
        if (token_match && (m->type != COAP_TYPE_ACK || mid_match)) {
            if (m->type == COAP_TYPE_CON)
                coap_send_empty(src, port, COAP_TYPE_ACK, m->mid);
            stats.responses++;
            finish(t, COAP_CLIENT_OK, m);
            return;
        }
    }
    /* Nothing waits for it: reject a CON response (RFC 7252 §4.2), drop the rest. */
    if (m->type == COAP_TYPE_CON)
        coap_send_empty(src, port, COAP_TYPE_RST, m->mid);
}

void coap_client_init(void)
{
    memset(tx, 0, sizeof tx);
    memset(&stats, 0, sizeof stats);
    coap_server_set_response_hook(client_input);
}

static int transmit(transaction_t *t)
{
    memcpy(udp_payload_buf(), t->msg, t->msg_len);
    return udp_send(t->dst, t->port, COAP_PORT, udp_payload_buf(), t->msg_len);
}

int coap_client_request(const uint8_t dst[16], uint16_t port, uint8_t confirmable, uint8_t method,
                        const char *path, const char *query, uint16_t content_format, const uint8_t *payload,
                        uint16_t len, coap_client_cb cb, void *ctx)
{
    transaction_t *t = 0;
    coap_writer_t w;
    uint16_t r;
    int n;
    uint8_t i;
    for (i = 0; i < COAP_CLIENT_TRANSACTIONS && !t; i++)
        if (tx[i].state == TX_FREE)
            t = &tx[i];
    if (!t)
        return -1;
    r = netplat_random16();
    t->token[0] = (uint8_t)(r >> 8);
    t->token[1] = (uint8_t)r;
    t->mid = coap_new_mid();
    coap_writer_init(&w, t->msg, COAP_CLIENT_MSG_SIZE, confirmable ? COAP_TYPE_CON : COAP_TYPE_NON, method, t->mid,
                     t->token, 2);
    if (path)
        coap_write_path_options(&w, COAP_OPT_URI_PATH, path, '/');
    if (content_format != COAP_FORMAT_NONE)
        coap_write_uint_option(&w, COAP_OPT_CONTENT_FORMAT, content_format);
    if (query)
        coap_write_path_options(&w, COAP_OPT_URI_QUERY, query, '&');
    coap_write_payload(&w, payload, len);
    n = coap_writer_finish(&w);
    if (n < 0)
        return -1;
    t->msg_len = (uint8_t)n;
    memcpy(t->dst, dst, 16);
    t->port = port;
    t->cb = cb;
    t->ctx = ctx;
    t->retransmits = 0;
    if (confirmable) {
        t->state = TX_WAIT_ACK;
        /* [ACK_TIMEOUT, ACK_TIMEOUT * ACK_RANDOM_FACTOR) */
        t->timeout_ms = COAP_ACK_TIMEOUT_MS +
                        (uint32_t)(netplat_random16() % (COAP_ACK_TIMEOUT_MS * (COAP_ACK_RANDOM_FACTOR_X2 - 2) / 2));
    } else {
        t->state = TX_WAIT_RESPONSE;
        t->timeout_ms = COAP_CLIENT_RESPONSE_WAIT_MS;
    }
    t->deadline = netplat_clock_ms() + t->timeout_ms;
    stats.sent++;
    transmit(t);
    return (int)(t - tx);
}

void coap_client_periodic(void)
{
    uint32_t now = netplat_clock_ms();
    uint8_t i;
    for (i = 0; i < COAP_CLIENT_TRANSACTIONS; i++) {
        transaction_t *t = &tx[i];
        if (t->state == TX_FREE || !netplat_time_reached(now, t->deadline))
            continue;
        if (t->state == TX_WAIT_ACK && t->retransmits < COAP_MAX_RETRANSMIT) {
            t->retransmits++;
            t->timeout_ms *= 2;
            t->deadline = now + t->timeout_ms;
            stats.retransmitted++;
            transmit(t);
        } else {
            stats.timeouts++;
            finish(t, COAP_CLIENT_TIMEOUT, 0);
        }
    }
}

uint8_t coap_client_active(void)
{
    uint8_t i, n = 0;
    for (i = 0; i < COAP_CLIENT_TRANSACTIONS; i++)
        n = (uint8_t)(n + (tx[i].state != TX_FREE));
    return n;
}

const coap_client_stats_t *coap_client_stats(void) { return &stats; }
