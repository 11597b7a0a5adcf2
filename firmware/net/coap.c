/* coap.c — see coap.h. */
#include <string.h>
#include "coap.h"

/* Read an option delta or length nibble with its extension bytes; -1 when malformed. */
static int32_t read_ext(uint8_t nibble, const uint8_t **pp, const uint8_t *end)
{
    const uint8_t *p = *pp;
    int32_t v;
    if (nibble < 13)
        return nibble;
    if (nibble == 13) {
        if (end - p < 1)
            return -1;
        v = (int32_t)p[0] + 13;
        p += 1;
    } else if (nibble == 14) {
        if (end - p < 2)
            return -1;
        v = (int32_t)(((uint16_t)p[0] << 8) | p[1]) + 269;
        p += 2;
    } else {
        return -1;
    }
    *pp = p;
    return v;
}

int coap_parse(coap_msg_t *m, const uint8_t *buf, uint16_t len)
{
    const uint8_t *p = buf + 4, *end = buf + len;
    uint32_t number = 0;
    memset(m, 0, sizeof *m);
    if (len < 4)
        return COAP_ERR_TRUNCATED;
    m->type = (buf[0] >> 4) & 3;
    m->tkl = buf[0] & 0x0f;
    m->code = buf[1];
    m->mid = (uint16_t)((buf[2] << 8) | buf[3]);
    if ((buf[0] >> 6) != COAP_VERSION || m->tkl > 8 || len < 4u + m->tkl)
        return COAP_ERR_FORMAT;
    m->token = p;
    p += m->tkl;
    if (m->code == COAP_EMPTY && (len != 4 || m->tkl))
        return COAP_ERR_FORMAT; /* an empty message is exactly 4 bytes */
    while (p < end) {
        uint8_t b = *p++;
        int32_t delta, olen;
        if (b == 0xff) {
            if (p == end)
                return COAP_ERR_FORMAT; /* marker followed by a zero-length payload */
            m->payload = p;
            m->payload_len = (uint16_t)(end - p);
            return 0;
        }
        delta = read_ext(b >> 4, &p, end);
        olen = read_ext(b & 0x0f, &p, end);
        if (delta < 0 || olen < 0 || end - p < olen)
            return COAP_ERR_FORMAT;
        number += (uint32_t)delta;
        if (number > 0xffff)
            return COAP_ERR_FORMAT;
        if (m->n_options == COAP_MAX_OPTIONS)
            return COAP_ERR_TOO_MANY;
        m->options[m->n_options].number = (uint16_t)number;
        m->options[m->n_options].len = (uint16_t)olen;
        m->options[m->n_options].value = p;
        m->n_options++;
        p += olen;
    }
    return 0;
}

const coap_option_t *coap_find_option(const coap_msg_t *m, uint16_t number, const coap_option_t *prev)
{
    const coap_option_t *o = prev ? prev + 1 : m->options;
    const coap_option_t *end = m->options + m->n_options;
    for (; o < end; o++)
        if (o->number == number)
            return o;
    return 0;
}

uint32_t coap_option_uint(const coap_option_t *o)
{
    uint32_t v = 0;
    uint16_t i;
    for (i = 0; i < o->len && i < 4; i++)
        v = (v << 8) | o->value[i];
    return v;
}

int coap_uri_path_equals(const coap_msg_t *m, const char *path)
{
    const coap_option_t *o = 0;
    while ((o = coap_find_option(m, COAP_OPT_URI_PATH, o)) != 0) {
        uint16_t n = 0;
        while (path[n] && path[n] != '/')
            n++;
        if (n != o->len || memcmp(path, o->value, n) != 0)
            return 0;
        path += n;
        if (*path == '/')
            path++;
    }
    return *path == 0;
}

static void put(coap_writer_t *w, const uint8_t *data, uint16_t n)
{
    if (w->overflow || (uint32_t)w->len + n > w->size) {
        w->overflow = 1;
        return;
    }
    if (n == 0)
        return; /* an empty token or payload may come as NULL: memcpy from NULL is undefined */
    memcpy(w->buf + w->len, data, n);
    w->len = (uint16_t)(w->len + n);
}

static void put_byte(coap_writer_t *w, uint8_t b) { put(w, &b, 1); }

void coap_writer_init(coap_writer_t *w, uint8_t *buf, uint16_t size, uint8_t type, uint8_t code, uint16_t mid,
                      const uint8_t *token, uint8_t tkl)
{
    uint8_t hdr[4];
    w->buf = buf;
    w->size = size;
    w->len = 0;
    w->last_option = 0;
    w->overflow = tkl > 8;
    hdr[0] = (uint8_t)((COAP_VERSION << 6) | ((type & 3) << 4) | (tkl & 0x0f));
    hdr[1] = code;
    hdr[2] = (uint8_t)(mid >> 8);
    hdr[3] = (uint8_t)mid;
    put(w, hdr, 4);
    put(w, token, tkl);
}

/* Nibble for a delta/length value and its extension bytes. */
static uint8_t ext_nibble(uint16_t v, uint8_t *ext, uint8_t *ext_len)
{
    if (v < 13) {
        *ext_len = 0;
        return (uint8_t)v;
    }
    if (v < 269) {
        ext[0] = (uint8_t)(v - 13);
        *ext_len = 1;
        return 13;
    }
    v = (uint16_t)(v - 269);
    ext[0] = (uint8_t)(v >> 8);
    ext[1] = (uint8_t)v;
    *ext_len = 2;
    return 14;
}

void coap_write_option(coap_writer_t *w, uint16_t number, const uint8_t *value, uint16_t len)
{
    uint8_t ext[4], dl, ll;
    uint8_t b;
    if (number < w->last_option) {
        w->overflow = 1; /* options must be written in ascending order */
        return;
    }
    b = (uint8_t)(ext_nibble((uint16_t)(number - w->last_option), ext, &dl) << 4);
    b |= ext_nibble(len, ext + dl, &ll);
    put_byte(w, b);
    put(w, ext, (uint16_t)(dl + ll));
    put(w, value, len);
    w->last_option = number;
}

void coap_write_uint_option(coap_writer_t *w, uint16_t number, uint32_t value)
{
    uint8_t v[4];
    uint8_t n = 0, i;
    for (i = 0; i < 4; i++) {
        uint8_t b = (uint8_t)(value >> (24 - 8 * i));
        if (b || n)
            v[n++] = b;
    }
    coap_write_option(w, number, v, n);
}

void coap_write_path_options(coap_writer_t *w, uint16_t number, const char *path, char sep)
{
    while (*path == sep)
        path++;
    while (*path) {
        uint16_t n = 0;
        while (path[n] && path[n] != sep)
            n++;
        coap_write_option(w, number, (const uint8_t *)path, n);
        path += n;
        if (*path == sep)
            path++;
    }
}

void coap_write_payload(coap_writer_t *w, const uint8_t *data, uint16_t len)
{
    if (len == 0)
        return;
    put_byte(w, 0xff);
    put(w, data, len);
}

int coap_writer_finish(const coap_writer_t *w) { return w->overflow ? -1 : w->len; }
