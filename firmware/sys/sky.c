/* sky.c - board bring-up (see sky.h for the order). */
#include <stdio.h>

#include "energest.h"
#include "irq.h"
#include "sky.h"

static void stdout_to_uart(char c)
{
    sky_uart1_putc(c);
}

void sky_init(void)
{
    sky_leds_init();
    uint32_t hz = sky_dco_calibrate();
    if (hz == 0) { /* no ACLK: keep going on a guess, red LED on as the warning */
        hz = SKY_DCO_TARGET_HZ;
        sky_leds_on(SKY_LED_RED);
    }
    sky_clock_start();
    energest_init(); /* reads the boot time from Timer_B, then moves it to SMCLK */
    sky_uart1_init(hz, SKY_UART_BAUD);
    stdio_set_output(stdout_to_uart);
    irq_enable();
}
