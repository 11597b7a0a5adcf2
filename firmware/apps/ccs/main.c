/*
 * main.c — the constrained CoAP sensor on the radio: CC2420 + IEEE 802.15.4 MAC + 6LoWPAN + IPv6 +
 * CoAP (firmware/net), reached from the host through the border router. UART1 is free for printf.
 * Between events the CPU sleeps in LPM3 (the radio stays in RX): a received frame (the CC2420's
 * FIFOP interrupt) or the TICK alarm wakes it; only ACLK runs meanwhile, SMCLK restarts in the
 * interrupt handlers that need the SPI.
 */
#include <stdio.h>

#include "ccs_app.h"
#include "ccs_boot.h"
#include "ccs_rd.h"
#include "energest.h"
#include "ccs_secure.h"
#include "infomem.h"
#include "ipv6.h"
#include "mac802154.h"
#include "radio_cc2420.h"
#include "sky.h"

#define TICK (SKY_CLOCK_HZ / 16u) /* 62.5 ms: RS, CoAP retransmission and reassembly timers */

/* The provisioned node id (information flash) wins over the one the simulator wrote into node_id. */
static uint16_t own_node_id(void)
{
    infomem_identity_t id;
    if (infomem_read_identity(&id) == 0 && id.node_id != INFOMEM_NO_NODE_ID)
        return id.node_id;
    return sky_node_id();
}

int main(void)
{
    lladdr_t own;
    int rc, boot;
    uint16_t node = own_node_id();
    sky_init();
    ccs_app_init(node);
    boot = ccs_boot_init(node); /* finishes an interrupted identity write first */
    if (ccs_secure_init() == 0)
        ccs_rd_start(node);
    else if (boot < 0)
        printf("ccs %u: neither PSK_DN nor IK_d provisioned\n", node);
    ipv6_lladdr_from_node_id(node, &own); /* short address = node id */
    mac_init(NET_PAN_ID, &own);
    rc = radio_cc2420_init(NET_PAN_ID, &own);
    if (rc != 0) {
        printf("ccs %u: radio init failed (%d)\n", node, rc);
        sky_leds_on(SKY_LED_RED);
        for (;;) {
        }
    }
    ipv6_set_output(ipv6_radio_output);
    ccs_secure_reseed(); /* after the radio: with ESSE_AES_SAES the AES it uses is the CC2420's */
    printf("ccs %u up\n", node);
    for (;;) {
        radio_cc2420_poll();
        ccs_app_periodic();
        if (ccs_boot_periodic() && ccs_secure_init() == 0) { /* PSK_DN just stored: ESSE on, register */
            ccs_secure_reseed();
            ccs_rd_start(node);
        }
        ccs_rd_periodic();
        energest_periodic(); /* ENERGEST_PERIOD_S (build define; 0 = off) */
        /* a frame that arrived since the last sleep (even one the MAC held while sending) has
         * already called sky_wake_main(): this returns at once and the loop polls again */
        sky_clock_set_alarm(radio_cc2420_wakeup(sky_clock_ticks() + TICK)); /* LPL checks */
        sky_sleep(SKY_LPM3);
    }
}
