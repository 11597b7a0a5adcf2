/*
 * print.c - the formatted print subset declared in stdio.h. Decimal conversion uses the
 * narrowest division that holds the value (16-bit divisions are much cheaper on the MSP430);
 * hexadecimal uses only masks and constant shifts.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static stdio_output_fn output;

void stdio_set_output(stdio_output_fn fn)
{
    output = fn;
}

int putchar(int c)
{
    if (output)
        output((char)c);
    return (unsigned char)c;
}

int puts(const char *s)
{
    while (*s)
        putchar(*s++);
    putchar('\n');
    return 1;
}

/* Digits of v in reverse order into buf; returns how many. */
static int utoa_rev(char *buf, uint64_t v, int is64, int base, int upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    int n = 0;
    if (base == 16) {
        do {
            buf[n++] = digits[v & 15u];
            v >>= 4;
        } while (v);
    } else if (is64 && (v >> 32) != 0) {
        do {
            buf[n++] = digits[v % 10u];
            v /= 10u;
        } while (v);
    } else {
        uint32_t w = (uint32_t)v;
        while (w > 0xFFFFu) {
            buf[n++] = digits[w % 10u];
            w /= 10u;
        }
        uint16_t h = (uint16_t)w;
        do {
            buf[n++] = digits[h % 10u];
            h /= 10u;
        } while (h);
    }
    return n;
}

struct spec {
    int left, zero, width, prec;
};

static int emit_padding(format_put_fn put, void *ctx, char c, int n)
{
    int count = 0;
    for (; n > 0; n--, count++)
        put(ctx, c);
    return count;
}

static int emit_number(format_put_fn put, void *ctx, const struct spec *sp, uint64_t mag, int negative,
                       int is64, int base, int upper, const char *prefix)
{
    char buf[24];
    int nd = utoa_rev(buf, mag, is64, base, upper);
    if (sp->prec == 0 && mag == 0)
        nd = 0; /* C: "%.0d" of zero prints no digits */
    int zeros = sp->prec > nd ? sp->prec - nd : 0;
    int plen = (negative ? 1 : 0) + (int)strlen(prefix);
    int body = plen + zeros + nd;
    int pad = sp->width > body ? sp->width - body : 0;
    int count = 0;
    if (sp->zero && !sp->left && sp->prec < 0) {
        zeros += pad;
        pad = 0;
    }
    if (!sp->left)
        count += emit_padding(put, ctx, ' ', pad);
    if (negative) {
        put(ctx, '-');
        count++;
    }
    for (; *prefix; prefix++, count++)
        put(ctx, *prefix);
    count += emit_padding(put, ctx, '0', zeros);
    while (nd > 0) {
        put(ctx, buf[--nd]);
        count++;
    }
    if (sp->left)
        count += emit_padding(put, ctx, ' ', pad);
    return count;
}

static int emit_text(format_put_fn put, void *ctx, const struct spec *sp, const char *s, int len)
{
    int pad = sp->width > len ? sp->width - len : 0;
    int count = 0;
    if (!sp->left)
        count += emit_padding(put, ctx, ' ', pad);
    for (int i = 0; i < len; i++, count++)
        put(ctx, s[i]);
    if (sp->left)
        count += emit_padding(put, ctx, ' ', pad);
    return count;
}

int vformat(format_put_fn put, void *ctx, const char *fmt, va_list ap)
{
    int count = 0;
    while (*fmt) {
        char c = *fmt++;
        if (c != '%') {
            put(ctx, c);
            count++;
            continue;
        }
        struct spec sp = {0, 0, 0, -1};
        for (;; fmt++) {
            if (*fmt == '-')
                sp.left = 1;
            else if (*fmt == '0')
                sp.zero = 1;
            else
                break;
        }
        if (*fmt == '*') {
            sp.width = va_arg(ap, int);
            if (sp.width < 0) {
                sp.left = 1;
                sp.width = -sp.width;
            }
            fmt++;
        } else {
            while (*fmt >= '0' && *fmt <= '9')
                sp.width = sp.width * 10 + (*fmt++ - '0');
        }
        if (*fmt == '.') {
            fmt++;
            sp.prec = 0;
            if (*fmt == '*') {
                sp.prec = va_arg(ap, int);
                fmt++;
            } else {
                while (*fmt >= '0' && *fmt <= '9')
                    sp.prec = sp.prec * 10 + (*fmt++ - '0');
            }
        }
        int longs = 0;
        while (*fmt == 'l' || *fmt == 'h') {
            if (*fmt == 'l')
                longs++;
            fmt++;
        }
        char conv = *fmt;
        if (conv == 0)
            break;
        fmt++;
        switch (conv) {
        case 'd':
        case 'i': {
            int64_t v = longs >= 2 ? va_arg(ap, long long) : longs == 1 ? va_arg(ap, long) : va_arg(ap, int);
            uint64_t mag = v < 0 ? 0u - (uint64_t)v : (uint64_t)v;
            count += emit_number(put, ctx, &sp, mag, v < 0, longs >= 2, 10, 0, "");
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            uint64_t v = longs >= 2   ? va_arg(ap, unsigned long long)
                         : longs == 1 ? va_arg(ap, unsigned long)
                                      : va_arg(ap, unsigned int);
            count += emit_number(put, ctx, &sp, v, 0, longs >= 2, conv == 'u' ? 10 : 16, conv == 'X', "");
            break;
        }
        case 'p': {
            uintptr_t v = (uintptr_t)va_arg(ap, void *);
            count += emit_number(put, ctx, &sp, v, 0, sizeof(v) > 4, 16, 0, "0x");
            break;
        }
        case 'c': {
            char ch = (char)va_arg(ap, int);
            count += emit_text(put, ctx, &sp, &ch, 1);
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (s == NULL)
                s = "(null)";
            int len = sp.prec >= 0 ? (int)strnlen(s, (size_t)sp.prec) : (int)strlen(s);
            count += emit_text(put, ctx, &sp, s, len);
            break;
        }
        case '%':
            put(ctx, '%');
            count++;
            break;
        default: /* unknown conversion: show it as written */
            put(ctx, '%');
            put(ctx, conv);
            count += 2;
            break;
        }
    }
    return count;
}

static void put_output(void *ctx, char c)
{
    (void)ctx;
    putchar(c);
}

int vprintf(const char *fmt, va_list ap)
{
    return vformat(put_output, NULL, fmt, ap);
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

struct buffer {
    char *buf;
    size_t size, len;
};

static void put_buffer(void *ctx, char c)
{
    struct buffer *b = ctx;
    if (b->len + 1 < b->size)
        b->buf[b->len] = c;
    b->len++;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct buffer b = {buf, size, 0};
    int n = vformat(put_buffer, &b, fmt, ap);
    if (size > 0)
        buf[b.len < size ? b.len : size - 1] = 0;
    return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
