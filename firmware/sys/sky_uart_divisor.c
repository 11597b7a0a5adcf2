/* sky_uart_divisor.c - baud-rate divisor and modulation pattern (portable: host-tested). */
#include "sky.h"

void sky_uart_divisor(uint32_t clock_hz, uint32_t baud, uint16_t *ubr, uint8_t *umctl)
{
    uint32_t whole = clock_hz / baud;
    uint32_t frac = clock_hz - whole * baud; /* fraction of a bit time, in units of 1/baud */
    uint32_t acc = 0;
    uint8_t mod = 0, bit = 1;
    for (int i = 0; i < 8; i++, bit <<= 1) {
        acc += frac;
        if (acc >= baud) {
            acc -= baud;
            mod |= bit;
        }
    }
    *ubr = (uint16_t)whole;
    *umctl = mod;
}
