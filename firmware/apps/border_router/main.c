/*
 * main.c — the border router: IPv6 between SLIP on UART1 (towards the host bridge, `esse bridge`)
 * and 6LoWPAN on the CC2420. Forwarding, RA relay and RS: firmware/net/router.c. UART1 carries SLIP,
 * after one status line at start-up ("border_router N up" or "... radio init failed"): the bridge
 * takes that text, before the first SLIP END, as a non-IPv6 frame, and a Cooja test script can
 * see whether the router started without a host on the line. Between events the CPU sleeps in LPM0 (SMCLK keeps UART1 receiving;
 * every received byte, every radio frame (FIFOP) and the TICK alarm wake it); the radio stays in RX.
 */
#include <stdio.h>
#include "lladdr.h"
#include "mac802154.h"
#include "netstack.h"
#include "ipv6.h"
#include "radio_cc2420.h"
#include "router.h"
#include "sky.h"
#include "slipif.h"

#define TICK (SKY_CLOCK_HZ / 16u) /* 62.5 ms: RA period, reassembly timeouts */

static void uart_putc(uint8_t c) { sky_uart1_putc((char)c); }

int main(void)
{
    lladdr_t own;
    sky_init();
    netstack_init(sky_node_id());
    ipv6_lladdr_from_node_id(sky_node_id(), &own); /* short address = node id */
    mac_init(NET_PAN_ID, &own);
    int rc = radio_cc2420_init(NET_PAN_ID, &own);
    if (rc != 0) {
        printf("border_router %u: radio init failed (%d)\n", sky_node_id(), rc);
        sky_leds_on(SKY_LED_RED); /* no radio: nothing to route */
        for (;;) {
        }
    }
    printf("border_router %u up\n", sky_node_id());
    router_init(uart_putc);
    sky_uart1_set_rx_handler(slipif_rx_irq);
    for (;;) {
        int more = slipif_poll(); /* one datagram from the host, then the radio's frames */
        radio_cc2420_poll();
        router_periodic();
        if (more)
            sky_wake_main(); /* the next datagram is queued already: no sleep */
        sky_clock_set_alarm(sky_clock_ticks() + TICK);
        sky_sleep(SKY_LPM0);
    }
}
