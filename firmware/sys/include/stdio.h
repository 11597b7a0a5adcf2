/*
 * stdio.h - a formatted print subset (print.c) writing to one output sink.
 *
 * Conversions: %d %i %u %x %X %c %s %p %%, length l (long, 32-bit on the MSP430) and ll
 * (64-bit), flags '-' (left-justify) and '0' (zero pad), a field width (digits or '*') and a
 * precision ('.' digits or '*': minimum digits for integers, maximum characters for %s).
 * printf/putchar/puts go to the sink set with stdio_set_output() (the board layer sets the
 * UART); with no sink, output is dropped. The return value counts every character formatted.
 */
#ifndef ESSE_STDIO_H
#define ESSE_STDIO_H

#include <stdarg.h>
#include <stddef.h>

#define EOF (-1)

typedef void (*stdio_output_fn)(char c);
void stdio_set_output(stdio_output_fn fn);

int putchar(int c);
int puts(const char *s);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* The formatting core: every character goes to put(ctx, c). */
typedef void (*format_put_fn)(void *ctx, char c);
int vformat(format_put_fn put, void *ctx, const char *fmt, va_list ap);

#endif /* ESSE_STDIO_H */
