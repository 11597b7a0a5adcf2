/*
 * main.c — the CCS attached to the host by its UART instead of the radio: IPv6 over SLIP on UART1
 * straight to the host bridge (`esse bridge --serial socket://127.0.0.1:<60000 + id>`), which gives it
 * the prefix by Router Advertisement as a border router would. Same application as `ccs`
 * (firmware/apps/ccs/ccs_app.c); useful without a radio and as the smallest IPv6 CoAP mote.
 * Nothing else may print on UART1: it carries SLIP. Between events the CPU sleeps in LPM0 (SMCLK
 * keeps the UART receiving; every received byte wakes it), at least every TICK for the timers.
 */
#include "ccs_app.h"
#include "energest.h"
#include "ipv6.h"
#include "sky.h"
#include "slipif.h"

#define TICK (SKY_CLOCK_HZ / 16u) /* 62.5 ms: RS, CoAP retransmission and reassembly timers */

static void uart_putc(uint8_t c) { sky_uart1_putc((char)c); }

/* The energest line (ENERGEST_PERIOD_S, 0 = off) in a SLIP frame of its own: the bridge keeps
 * frames that are not IPv6 as mote text. */
static void energest_slip(void)
{
    char line[ENERGEST_LINE_MAX];
    int n = energest_poll(line, sizeof line);
    if (n <= 0)
        return;
    uart_putc(0xC0);
    for (int i = 0; i < n; i++)
        uart_putc((uint8_t)line[i]);
    uart_putc(0xC0);
}

int main(void)
{
    sky_init();
    ccs_app_init(sky_node_id());
    slipif_init(uart_putc);
    ipv6_set_output(slipif_output);
    sky_uart1_set_rx_handler(slipif_rx_irq);
    for (;;) {
        if (slipif_poll())
            sky_wake_main(); /* another datagram is queued: no sleep */
        ccs_app_periodic();
        energest_slip();
        sky_clock_set_alarm(sky_clock_ticks() + TICK);
        sky_sleep(SKY_LPM0);
    }
}
