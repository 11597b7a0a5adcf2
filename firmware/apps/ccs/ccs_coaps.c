/* ccs_coaps.c — see ccs_coaps.h. */
#include <string.h>

#include "ccs_app.h"
#include "ccs_coaps.h"
#include "coap.h"
#include "coap_server.h"
#include "netplat.h"

#define OPT_BLOCK2 23u /* RFC 7959 */
#define OPT_SIZE2 28u

static uint8_t body[CCS_COAPS_BODY_MAX];
static uint16_t mid_seq;

/* Critical (odd) options we act on; any other critical option fails the request with 4.02. */
static int critical_known(uint16_t n)
{
    return n == COAP_OPT_URI_HOST || n == COAP_OPT_URI_PORT || n == COAP_OPT_URI_PATH ||
           n == COAP_OPT_URI_QUERY || n == COAP_OPT_ACCEPT || n == OPT_BLOCK2;
}

/* CoRE link-format (RFC 6690) of the resource table into resp. */
static void links(const coap_resource_t *res, uint8_t n, coap_response_t *resp)
{
    uint16_t at = 0;
    uint8_t i;
    resp->content_format = COAP_FORMAT_LINK;
    for (i = 0; i < n; i++) {
        uint16_t pl = (uint16_t)strlen(res[i].path), al = (uint16_t)strlen(res[i].attrs);
        if (at + pl + al + 4u > resp->payload_max) {
            resp->code = COAP_INTERNAL_ERROR;
            resp->payload_len = 0;
            return;
        }
        if (i)
            body[at++] = ',';
        body[at++] = '<';
        body[at++] = '/';
        memcpy(body + at, res[i].path, pl);
        at = (uint16_t)(at + pl);
        body[at++] = '>';
        memcpy(body + at, res[i].attrs, al);
        at = (uint16_t)(at + al);
    }
    resp->payload_len = at;
}

/* Run the request against the resource table; the representation lands in body. */
static void dispatch(const coap_msg_t *m, coap_response_t *resp)
{
    uint8_t n, i;
    const coap_resource_t *res = ccs_app_resources(&n);
    for (i = 0; i < m->n_options; i++)
        if ((m->options[i].number & 1u) && !critical_known(m->options[i].number)) {
            resp->code = COAP_BAD_OPTION;
            return;
        }
    if (coap_uri_path_equals(m, ".well-known/core")) {
        if (m->code == COAP_GET)
            links(res, n, resp);
        else
            resp->code = COAP_METHOD_NOT_ALLOWED;
        return;
    }
    for (i = 0; i < n; i++) {
        if (!coap_uri_path_equals(m, res[i].path))
            continue;
        if (m->code < 8u && (res[i].methods & COAP_METHOD_BIT(m->code)))
            res[i].handler(m, resp);
        else
            resp->code = COAP_METHOD_NOT_ALLOWED;
        return;
    }
    resp->code = COAP_NOT_FOUND;
}

static int is_request(const uint8_t *req, uint16_t len)
{
    return len >= 4u && (req[0] >> 6) == COAP_VERSION && (req[0] & 0x0Fu) <= 8u && req[1] >= 1u && req[1] < 32u;
}

int ccs_coaps_answer(const uint8_t *req, uint16_t len, uint8_t *out, uint16_t cap)
{
    coap_msg_t m;
    coap_response_t resp;
    coap_writer_t w;
    const coap_option_t *opt;
    uint16_t offset = 0, chunk;
    uint8_t szx = CCS_BLOCK_SZX, blockwise = 0, more = 0;
    int rc;

    if (len >= 4u && (req[0] >> 6) == COAP_VERSION && req[1] == COAP_EMPTY) {
        if (((req[0] >> 4) & 3u) != COAP_TYPE_CON)
            return 0;
        out[0] = (uint8_t)((COAP_VERSION << 6) | (COAP_TYPE_RST << 4)); /* CoAP ping -> RST */
        out[1] = COAP_EMPTY;
        out[2] = req[2];
        out[3] = req[3];
        return 4;
    }
    if (!is_request(req, len)) {
        if (len > cap)
            return -1;
        memmove(out, req, len); /* not CoAP: echo */
        return (int)len;
    }
    rc = coap_parse(&m, req, len);
    /* a request cut inside its token parses no token (m.token NULL): the 4.00 then carries none */
    coap_writer_init(&w, out, cap, m.type == COAP_TYPE_CON ? COAP_TYPE_ACK : COAP_TYPE_NON, 0,
                     m.type == COAP_TYPE_CON ? m.mid : (uint16_t)(mid_seq++ ^ netplat_random16()),
                     m.token, m.token ? m.tkl : 0);
    resp.code = m.code == COAP_GET ? COAP_CONTENT : COAP_CHANGED;
    resp.content_format = COAP_FORMAT_NONE;
    resp.payload = body;
    resp.payload_max = sizeof body;
    resp.payload_len = 0;
    if (rc < 0)
        resp.code = COAP_BAD_REQUEST;
    else
        dispatch(&m, &resp);
    opt = rc < 0 ? 0 : coap_find_option(&m, COAP_OPT_ACCEPT, 0);
    if (opt && (resp.code >> 5) == 2u && coap_option_uint(opt) != resp.content_format) {
        resp.code = COAP_NOT_ACCEPTABLE;
        resp.content_format = COAP_FORMAT_NONE;
        resp.payload_len = 0;
    }
    opt = rc < 0 ? 0 : coap_find_option(&m, OPT_BLOCK2, 0);
    if (opt) {
        uint32_t v = coap_option_uint(opt);
        if ((v & 7u) == 7u) {
            resp.code = COAP_BAD_REQUEST;
            resp.payload_len = 0;
        } else {
            if ((v & 7u) < szx)
                szx = (uint8_t)(v & 7u);
            offset = (uint16_t)((v >> 4) << (szx + 4u));
            blockwise = 1;
        }
    }
    if (resp.payload_len > CCS_BLOCK_SIZE)
        blockwise = 1;
    chunk = resp.payload_len;
    if (blockwise && (resp.code >> 5) == 2u) {
        if (offset >= resp.payload_len && resp.payload_len) {
            resp.code = COAP_BAD_OPTION; /* RFC 7959 2.2: block beyond the representation */
            resp.content_format = COAP_FORMAT_NONE;
            blockwise = 0;
            chunk = 0;
        } else {
            chunk = (uint16_t)(resp.payload_len - offset);
            if (chunk > (1u << (szx + 4u))) {
                chunk = (uint16_t)(1u << (szx + 4u));
                more = 1;
            }
        }
    } else {
        blockwise = 0;
    }
    out[1] = resp.code;
    if (resp.content_format != COAP_FORMAT_NONE)
        coap_write_uint_option(&w, COAP_OPT_CONTENT_FORMAT, resp.content_format);
    if (blockwise) {
        coap_write_uint_option(&w, OPT_BLOCK2,
                               ((uint32_t)(offset >> (szx + 4u)) << 4) | ((uint32_t)more << 3) | szx);
        if (offset == 0)
            coap_write_uint_option(&w, OPT_SIZE2, resp.payload_len);
    }
    if (chunk)
        coap_write_payload(&w, body + offset, chunk);
    return coap_writer_finish(&w);
}
