/*
 * coap.h — CoAP message codec (RFC 7252 §3): header, token, options with delta/length nibbles
 * (13 -> one extension byte minus 13, 14 -> two bytes minus 269, 15 reserved), payload marker.
 */
#ifndef COAP_H
#define COAP_H

#include <stdint.h>
#include "net_conf.h"

#define COAP_VERSION 1
#define COAP_TYPE_CON 0
#define COAP_TYPE_NON 1
#define COAP_TYPE_ACK 2
#define COAP_TYPE_RST 3

#define COAP_CODE(c, dd) ((uint8_t)(((c) << 5) | (dd)))
#define COAP_EMPTY 0
#define COAP_GET 1
#define COAP_POST 2
#define COAP_PUT 3
#define COAP_DELETE 4
#define COAP_CREATED COAP_CODE(2, 1)
#define COAP_DELETED COAP_CODE(2, 2)
#define COAP_VALID COAP_CODE(2, 3)
#define COAP_CHANGED COAP_CODE(2, 4)
#define COAP_CONTENT COAP_CODE(2, 5)
#define COAP_BAD_REQUEST COAP_CODE(4, 0)
#define COAP_BAD_OPTION COAP_CODE(4, 2)
#define COAP_NOT_FOUND COAP_CODE(4, 4)
#define COAP_METHOD_NOT_ALLOWED COAP_CODE(4, 5)
#define COAP_NOT_ACCEPTABLE COAP_CODE(4, 6)
#define COAP_UNSUPPORTED_FORMAT COAP_CODE(4, 15)
#define COAP_INTERNAL_ERROR COAP_CODE(5, 0)

#define COAP_OPT_IF_MATCH 1
#define COAP_OPT_URI_HOST 3
#define COAP_OPT_ETAG 4
#define COAP_OPT_IF_NONE_MATCH 5
#define COAP_OPT_URI_PORT 7
#define COAP_OPT_LOCATION_PATH 8
#define COAP_OPT_URI_PATH 11
#define COAP_OPT_CONTENT_FORMAT 12
#define COAP_OPT_MAX_AGE 14
#define COAP_OPT_URI_QUERY 15
#define COAP_OPT_ACCEPT 17
#define COAP_OPT_SIZE1 60

#define COAP_FORMAT_TEXT 0
#define COAP_FORMAT_LINK 40
#define COAP_FORMAT_NONE 0xffff

#define COAP_ERR_FORMAT (-1)      /* malformed: RST it if it was CON */
#define COAP_ERR_TOO_MANY (-2)    /* more options than COAP_MAX_OPTIONS */
#define COAP_ERR_TRUNCATED (-3)   /* shorter than the 4-byte header: not even a message ID */

typedef struct {
    uint16_t number;
    uint16_t len;
    const uint8_t *value;
} coap_option_t;

typedef struct {
    uint8_t type;
    uint8_t code;
    uint16_t mid;
    uint8_t tkl;
    const uint8_t *token;
    uint8_t n_options;
    coap_option_t options[COAP_MAX_OPTIONS];
    const uint8_t *payload;
    uint16_t payload_len;
} coap_msg_t;

/* Parse buf into m (which points into buf). 0 or a COAP_ERR_*; after COAP_ERR_FORMAT/TOO_MANY the
 * header fields (type, code, mid) are valid. */
int coap_parse(coap_msg_t *m, const uint8_t *buf, uint16_t len);

/* The first option `number` after `prev` (NULL: from the start), or NULL. */
const coap_option_t *coap_find_option(const coap_msg_t *m, uint16_t number, const coap_option_t *prev);
/* Value of a uint option (RFC 7252 §3.2), 0 for an empty one. */
uint32_t coap_option_uint(const coap_option_t *o);
/* Nonzero when the Uri-Path options equal "a/b/c" (no leading slash). */
int coap_uri_path_equals(const coap_msg_t *m, const char *path);

/* Serializer: header and token first, then options in ascending order, then the payload. */
typedef struct {
    uint8_t *buf;
    uint16_t size;
    uint16_t len;
    uint16_t last_option;
    uint8_t overflow;
} coap_writer_t;

void coap_writer_init(coap_writer_t *w, uint8_t *buf, uint16_t size, uint8_t type, uint8_t code, uint16_t mid,
                      const uint8_t *token, uint8_t tkl);
void coap_write_option(coap_writer_t *w, uint16_t number, const uint8_t *value, uint16_t len);
void coap_write_uint_option(coap_writer_t *w, uint16_t number, uint32_t value);
/* Each "/"-separated segment of path as one option (Uri-Path, Uri-Query with '&' as separator). */
void coap_write_path_options(coap_writer_t *w, uint16_t number, const char *path, char sep);
void coap_write_payload(coap_writer_t *w, const uint8_t *data, uint16_t len);
/* Message length, or -1 when something did not fit. */
int coap_writer_finish(const coap_writer_t *w);

#endif
