/*
 * beacon - a low-duty-cycle 802.15.4 node for multi-mote simulations (firmware/dev/cc2420.h).
 *
 * Every node: channel 26, PAN 0x22AB, short address = node id, radio always listening. Each
 * BEACON_PERIOD_MS (first one at a phase spread by the node id) it broadcasts one data frame of
 * BEACON_MPDU bytes (FCS added by the radio) without CCA or acknowledgement, and otherwise sleeps
 * in LPM3; received frames are counted in the FIFOP interrupt (cc2420 rx callback).
 * At boot it samples the Sky's light sensor (ADC12 A4) and temperature diode (INCH 10) once, so a
 * simulation can check the per-mote ADC inputs it sets. Output on UART1:
 *   "beacon node=N ready light=L temp=T"   (raw 12-bit conversions)
 *   every BEACON_REPORT sends: "STAT tx=T rx=R crc_err=E dropped=D"
 */
#include <msp430.h>
#include <stdio.h>

#include "cc2420.h"
#include "energest.h"
#include "sky.h"

#define BEACON_CHANNEL 26
#define BEACON_PAN 0x22ABu
#ifndef BEACON_PERIOD_MS
#define BEACON_PERIOD_MS 1000u
#endif
#ifndef BEACON_MPDU
#define BEACON_MPDU 30u
#endif
#ifndef BEACON_REPORT
#define BEACON_REPORT 10u
#endif
/* BEACON_ACKED=1: each frame goes to the next node id (1 -> 2 -> ... -> BEACON_ACKED_NODES -> 1)
 * with the acknowledgement request set, and the radio acknowledges frames to it by itself. */
#ifndef BEACON_ACKED
#define BEACON_ACKED 0
#endif
#ifndef BEACON_ACKED_NODES
#define BEACON_ACKED_NODES 2u
#endif

static volatile uint16_t rx_ok, rx_bad;

/* One single-channel conversion started by ADC12SC (MSP430x1xx Family User's Guide, ADC12):
 * sample-and-hold 64 ADC12CLK cycles, result in ADC12MEM0. */
static uint16_t adc_read(uint8_t mctl)
{
    ADC12CTL0 = SHT0_4 | ADC12ON | REFON;
    ADC12CTL1 = SHP;
    ADC12MCTL0 = mctl;
    ADC12IFG = 0;
    ADC12CTL0 |= ENC | ADC12SC;
    while (!(ADC12IFG & 0x0001u)) {
    }
    ADC12CTL0 &= ~ENC;
    uint16_t v = ADC12MEM0;
    ADC12CTL0 = 0; /* ADC and reference off: back to LPM3 currents */
    return v;
}

static void on_rx(void)
{
    cc2420_rx_info_t info;
    while (cc2420_read(0, 0, &info) >= 0) { /* counted, not looked into: no copy */
        if (info.crc_ok)
            rx_ok++;
        else
            rx_bad++;
    }
}

int main(void)
{
    sky_init();
    uint16_t me = sky_node_id();
    if (cc2420_init() != CC2420_OK) {
        printf("beacon node=%u cc2420_init failed\n", me);
        for (;;)
            sky_sleep(SKY_LPM3);
    }
    cc2420_set_channel(BEACON_CHANNEL);
    cc2420_set_pan_id(BEACON_PAN);
    cc2420_set_short_addr(me);
    cc2420_set_address_filter(1, BEACON_ACKED, 0);
    cc2420_set_rx_callback(on_rx);
    cc2420_on();
    uint16_t light = adc_read(INCH_4 | SREF_0);
    uint16_t temp = adc_read(INCH_10 | SREF_1);
    printf("beacon node=%u ready light=%u temp=%u\n", me, light, temp);

    const uint32_t period = (uint32_t)BEACON_PERIOD_MS * SKY_CLOCK_HZ / 1000u;
    /* phase: node ids spread over the period (97 is prime: neighbours land far apart) */
    uint32_t next = sky_clock_ticks() + (uint32_t)(me * 97u % 1000u) * period / 1000u + 1u;
    uint8_t frame[BEACON_MPDU];
    uint16_t seq = 0;
    /* data, PAN compression, short/short; ack request when acked */
    const uint16_t fcf = 0x0001u | 0x0040u | 0x0800u | 0x8000u | (BEACON_ACKED ? 0x0020u : 0u);
    const uint16_t dst = BEACON_ACKED ? (uint16_t)(me % BEACON_ACKED_NODES + 1u) : 0xFFFFu;
    for (;;) {
        energest_periodic(); /* ENERGEST_PERIOD_S (build define; 0 = off) */
        sky_clock_set_alarm(next);
        while (!sky_clock_alarm_expired())
            sky_sleep(SKY_LPM3);
        next += period;
        frame[0] = (uint8_t)fcf;
        frame[1] = (uint8_t)(fcf >> 8);
        frame[2] = (uint8_t)seq;
        frame[3] = (uint8_t)BEACON_PAN;
        frame[4] = (uint8_t)(BEACON_PAN >> 8);
        frame[5] = (uint8_t)dst;
        frame[6] = (uint8_t)(dst >> 8);
        frame[7] = (uint8_t)me;
        frame[8] = (uint8_t)(me >> 8);
        for (uint8_t i = 9; i < BEACON_MPDU; i++)
            frame[i] = (uint8_t)(seq + i);
        cc2420_send(frame, BEACON_MPDU, 0);
        seq++;
        if (seq % BEACON_REPORT == 0)
            printf("STAT tx=%u rx=%u crc_err=%u dropped=%u\n", seq, rx_ok, rx_bad, cc2420_rx_dropped());
    }
}
