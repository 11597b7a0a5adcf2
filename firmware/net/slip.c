/* slip.c — see slip.h. */
#include "slip.h"

void slip_send(const uint8_t *data, uint16_t len, slip_putc_fn putc)
{
    uint16_t i;
    putc(SLIP_END);
    for (i = 0; i < len; i++) {
        uint8_t c = data[i];
        if (c == SLIP_END) {
            putc(SLIP_ESC);
            putc(SLIP_ESC_END);
        } else if (c == SLIP_ESC) {
            putc(SLIP_ESC);
            putc(SLIP_ESC_ESC);
        } else {
            putc(c);
        }
    }
    putc(SLIP_END);
}

uint16_t slip_encode(const uint8_t *data, uint16_t len, uint8_t *out, uint16_t out_size)
{
    uint16_t i, n = 0;
    if (out_size < 2)
        return 0;
    out[n++] = SLIP_END;
    for (i = 0; i < len; i++) {
        uint8_t c = data[i];
        if (c == SLIP_END || c == SLIP_ESC) {
            if (n + 2 > out_size - 1)
                return 0;
            out[n++] = SLIP_ESC;
            out[n++] = c == SLIP_END ? SLIP_ESC_END : SLIP_ESC_ESC;
        } else {
            if (n + 1 > out_size - 1)
                return 0;
            out[n++] = c;
        }
    }
    out[n++] = SLIP_END;
    return n;
}

void slip_decoder_init(slip_decoder_t *d, uint8_t *buf, uint16_t size)
{
    d->buf = buf;
    d->size = size;
    d->len = 0;
    d->esc = 0;
    d->discard = 0;
    d->errors = 0;
}

uint16_t slip_decode_byte(slip_decoder_t *d, uint8_t c)
{
    if (c == SLIP_END) {
        uint16_t n = d->len;
        uint8_t bad = d->discard || d->esc;
        d->len = 0;
        d->esc = 0;
        d->discard = 0;
        if (bad) {
            d->errors++;
            return 0;
        }
        return n;
    }
    if (d->discard)
        return 0;
    if (d->esc) {
        d->esc = 0;
        if (c == SLIP_ESC_END)
            c = SLIP_END;
        else if (c == SLIP_ESC_ESC)
            c = SLIP_ESC;
        else {
            d->discard = 1; /* protocol violation: RFC 1055 leaves it open, we drop the frame */
            return 0;
        }
    } else if (c == SLIP_ESC) {
        d->esc = 1;
        return 0;
    }
    if (d->len >= d->size) {
        d->discard = 1;
        return 0;
    }
    d->buf[d->len++] = c;
    return 0;
}
