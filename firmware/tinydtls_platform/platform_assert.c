/*
 * platform_assert.c - where a failed TinyDTLS assertion ends when built without NDEBUG:
 * report it on the console and stop with all LEDs lit.
 */
#include <stdio.h>

#include "sky.h"

void tinydtls_assert_failed(const char *file, int line) __attribute__((noreturn));

void tinydtls_assert_failed(const char *file, int line)
{
    printf("tinydtls: assertion failed at %s:%d\n", file, line);
    sky_leds_on(SKY_LED_ALL);
    for (;;) {
    }
}
