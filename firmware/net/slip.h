/*
 * slip.h — SLIP framing (RFC 1055): END 0xC0 delimits packets, ESC 0xDB escapes END (ESC ESC_END 0xDC)
 * and ESC (ESC ESC_ESC 0xDD). Frames are sent with a leading END too, which flushes line noise.
 */
#ifndef SLIP_H
#define SLIP_H

#include <stdint.h>

#define SLIP_END 0xc0
#define SLIP_ESC 0xdb
#define SLIP_ESC_END 0xdc
#define SLIP_ESC_ESC 0xdd

typedef void (*slip_putc_fn)(uint8_t c);

/* Write one packet through putc. */
void slip_send(const uint8_t *data, uint16_t len, slip_putc_fn putc);

/* Encode into out (worst case 2 * len + 2 bytes). Returns the encoded length, or 0 if out is too small. */
uint16_t slip_encode(const uint8_t *data, uint16_t len, uint8_t *out, uint16_t out_size);

/* Byte-at-a-time decoder into a caller-supplied buffer. */
typedef struct {
    uint8_t *buf;
    uint16_t size;
    uint16_t len;
    uint8_t esc;     /* previous byte was ESC */
    uint8_t discard; /* frame overflowed or held a bad escape: drop it at the next END */
    uint16_t errors; /* frames dropped so far */
} slip_decoder_t;

void slip_decoder_init(slip_decoder_t *d, uint8_t *buf, uint16_t size);
/* Feed one byte. Returns the packet length when an END completes a non-empty good packet (it sits in
 * d->buf until the next call), else 0. */
uint16_t slip_decode_byte(slip_decoder_t *d, uint8_t c);

#endif
