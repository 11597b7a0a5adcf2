/* coap_server.c — see coap_server.h. */
#include <string.h>
#include "coap_server.h"
#include "netplat.h"
#include "udp.h"

typedef struct {
    uint8_t used;
    uint8_t resp_len; /* 0: response not stored */
    uint16_t port, mid;
    uint32_t time;
    uint8_t addr[16];
    uint8_t resp[COAP_DEDUP_RESP_SIZE];
} dedup_entry_t;

static const coap_resource_t *resources;
static uint8_t n_resources;
static coap_response_hook_fn response_hook;
static uint16_t next_mid;
static dedup_entry_t dedup[COAP_DEDUP_ENTRIES];
static coap_server_stats_t stats;

uint16_t coap_new_mid(void) { return next_mid++; }
void coap_restart_mids(void) { next_mid = netplat_random16(); }

int coap_send_empty(const uint8_t dst[16], uint16_t port, uint8_t type, uint16_t mid)
{
    uint8_t *out = udp_payload_buf();
    out[0] = (uint8_t)((COAP_VERSION << 6) | (type << 4));
    out[1] = COAP_EMPTY;
    out[2] = (uint8_t)(mid >> 8);
    out[3] = (uint8_t)mid;
    if (type == COAP_TYPE_RST)
        stats.rst_sent++;
    return udp_send(dst, port, COAP_PORT, out, 4);
}

static dedup_entry_t *dedup_find(const uint8_t *src, uint16_t port, uint16_t mid, uint32_t now)
{
    uint8_t i;
    for (i = 0; i < COAP_DEDUP_ENTRIES; i++) {
        dedup_entry_t *e = &dedup[i];
        if (!e->used)
            continue;
        if (netplat_time_reached(now, e->time + COAP_EXCHANGE_LIFETIME_MS)) {
            e->used = 0;
            continue;
        }
        if (e->mid == mid && e->port == port && memcmp(e->addr, src, 16) == 0)
            return e;
    }
    return 0;
}

static dedup_entry_t *dedup_alloc(uint32_t now)
{
    uint8_t i;
    dedup_entry_t *oldest = &dedup[0];
    for (i = 0; i < COAP_DEDUP_ENTRIES; i++) {
        if (!dedup[i].used)
            return &dedup[i];
        if (now - dedup[i].time > now - oldest->time)
            oldest = &dedup[i];
    }
    return oldest;
}

/* Options this server understands; an unknown odd (critical) option fails the request. */
static int options_ok(const coap_msg_t *m)
{
    uint8_t i;
    for (i = 0; i < m->n_options; i++) {
        uint16_t n = m->options[i].number;
        if ((n & 1) && n != COAP_OPT_URI_HOST && n != COAP_OPT_URI_PORT && n != COAP_OPT_URI_PATH &&
            n != COAP_OPT_URI_QUERY && n != COAP_OPT_ACCEPT)
            return 0;
    }
    return 1;
}

static void well_known_core(const coap_msg_t *req, coap_response_t *resp)
{
    uint16_t n = 0;
    uint8_t i;
    (void)req;
    resp->content_format = COAP_FORMAT_LINK;
    for (i = 0; i < n_resources; i++) {
        uint16_t lp = (uint16_t)strlen(resources[i].path);
        uint16_t la = resources[i].attrs ? (uint16_t)strlen(resources[i].attrs) : 0;
        if ((uint32_t)n + lp + la + 4 > resp->payload_max) {
            resp->code = COAP_INTERNAL_ERROR;
            resp->payload_len = 0;
            return;
        }
        if (i)
            resp->payload[n++] = ',';
        resp->payload[n++] = '<';
        resp->payload[n++] = '/';
        memcpy(resp->payload + n, resources[i].path, lp);
        n = (uint16_t)(n + lp);
        resp->payload[n++] = '>';
        memcpy(resp->payload + n, resources[i].attrs, la);
        n = (uint16_t)(n + la);
    }
    resp->payload_len = n;
}

/* Build the response to request `req` in the UDP payload buffer; returns its length or -1. */
static int build_response(const coap_msg_t *req)
{
    uint8_t *out = udp_payload_buf();
    coap_writer_t w;
    coap_response_t resp;
    const coap_option_t *accept;
    uint8_t i, method = req->code;
    uint8_t type = req->type == COAP_TYPE_CON ? COAP_TYPE_ACK : COAP_TYPE_NON;
    uint16_t mid = req->type == COAP_TYPE_CON ? req->mid : coap_new_mid();
    uint16_t hdr;

    coap_writer_init(&w, out, UDP_PAYLOAD_MAX, type, 0, mid, req->token, req->tkl);
    hdr = w.len;
    /* Leave room for Content-Format (1 + 2 bytes) and the payload marker; moved down afterwards. */
    resp.payload = out + hdr + 4;
    resp.payload_max = (uint16_t)(UDP_PAYLOAD_MAX - hdr - 4);
    resp.payload_len = 0;
    resp.content_format = COAP_FORMAT_NONE;
    resp.code = method == COAP_GET ? COAP_CONTENT : COAP_CHANGED;

    if (!options_ok(req)) {
        resp.code = COAP_BAD_OPTION;
    } else if (coap_uri_path_equals(req, ".well-known/core")) {
        if (method == COAP_GET)
            well_known_core(req, &resp);
        else
            resp.code = COAP_METHOD_NOT_ALLOWED;
    } else {
        resp.code = COAP_NOT_FOUND;
        for (i = 0; i < n_resources; i++) {
            if (!coap_uri_path_equals(req, resources[i].path))
                continue;
            if (method < 8 && (resources[i].methods & COAP_METHOD_BIT(method))) {
                resp.code = method == COAP_GET ? COAP_CONTENT : COAP_CHANGED;
                resources[i].handler(req, &resp);
            } else {
                resp.code = COAP_METHOD_NOT_ALLOWED;
            }
            break;
        }
    }
    accept = coap_find_option(req, COAP_OPT_ACCEPT, 0);
    if (accept && (resp.code >> 5) == 2 && coap_option_uint(accept) != resp.content_format) {
        resp.code = COAP_NOT_ACCEPTABLE;
        resp.content_format = COAP_FORMAT_NONE;
        resp.payload_len = 0;
    }
    out[1] = resp.code;
    if (resp.content_format != COAP_FORMAT_NONE)
        coap_write_uint_option(&w, COAP_OPT_CONTENT_FORMAT, resp.content_format);
    if (resp.payload_len) {
        out[w.len++] = 0xff;
        memmove(out + w.len, resp.payload, resp.payload_len);
        w.len = (uint16_t)(w.len + resp.payload_len);
    }
    return coap_writer_finish(&w);
}

static void coap_udp_input(const uint8_t src[16], uint16_t sport, uint16_t dport, const uint8_t *data,
                           uint16_t len)
{
    coap_msg_t m;
    dedup_entry_t *e;
    uint32_t now = netplat_clock_ms();
    int rc = coap_parse(&m, data, len), n;
    (void)dport;
    if (rc == COAP_ERR_TRUNCATED)
        return;
    if (rc < 0) {
        stats.malformed++;
        if (m.type == COAP_TYPE_CON)
            coap_send_empty(src, sport, COAP_TYPE_RST, m.mid);
        return;
    }
    if (m.code == COAP_EMPTY || m.code >= 32) { /* not a request */
        int to_client = response_hook && (m.code >= 64 || (m.code == COAP_EMPTY && m.type >= COAP_TYPE_ACK));
        if (to_client)
            response_hook(src, sport, &m);
        else if (m.type == COAP_TYPE_CON)
            coap_send_empty(src, sport, COAP_TYPE_RST, m.mid); /* CoAP ping, reserved class, or no client */
        return;
    }
    if (m.type >= COAP_TYPE_ACK)
        return; /* a request cannot travel in an ACK or RST */
    e = dedup_find(src, sport, m.mid, now);
    if (e) {
        stats.duplicates++;
        if (m.type == COAP_TYPE_NON)
            return;
        if (e->resp_len) {
            memcpy(udp_payload_buf(), e->resp, e->resp_len);
            udp_send(src, sport, COAP_PORT, udp_payload_buf(), e->resp_len);
            return;
        }
        if (m.code != COAP_GET) {
            coap_send_empty(src, sport, COAP_TYPE_ACK, m.mid);
            return;
        }
        /* GET is safe to run again; fall through without a new cache entry. */
    } else {
        e = dedup_alloc(now);
        e->used = 1;
        e->resp_len = 0;
        e->port = sport;
        e->mid = m.mid;
        e->time = now;
        memcpy(e->addr, src, 16);
    }
    stats.requests++;
    n = build_response(&m);
    if (n < 0)
        return;
    if (m.type == COAP_TYPE_CON && n <= COAP_DEDUP_RESP_SIZE) {
        memcpy(e->resp, udp_payload_buf(), (uint16_t)n);
        e->resp_len = (uint8_t)n;
    }
    udp_send(src, sport, COAP_PORT, udp_payload_buf(), (uint16_t)n);
}

int coap_server_init(const coap_resource_t *res, uint8_t n)
{
    resources = res;
    n_resources = n;
    response_hook = 0;
    memset(dedup, 0, sizeof dedup);
    memset(&stats, 0, sizeof stats);
    next_mid = netplat_random16();
    return udp_bind(COAP_PORT, coap_udp_input);
}

void coap_server_set_response_hook(coap_response_hook_fn fn) { response_hook = fn; }
const coap_server_stats_t *coap_server_stats(void) { return &stats; }
