/*
 * entropy_adc12.c - raw entropy from the ADC12 (MSP430x1xx Family User's Guide, SLAU049,
 * chapter "ADC12"). Register addresses and bits are written out here from that chapter.
 *
 * Two independent noise sources per sample:
 *   - the least significant bits of a conversion of the internal temperature diode (INCH 10)
 *     against the 1.5 V internal reference: thermal and reference noise;
 *   - the number of CPU loop iterations (CPU on the DCO) until the conversion ends, the ADC12
 *     being clocked by its own oscillator ADC12OSC: jitter between two free-running RC
 *     oscillators.
 * The ADC12 and the reference are switched off again afterwards.
 */
#include <stdint.h>

#include "sky.h"
#include "tinydtls_platform.h"

/* 16-bit peripheral registers */
#define ADC12CTL0 (*(volatile uint16_t *)0x01A0u)
#define ADC12CTL1 (*(volatile uint16_t *)0x01A2u)
#define ADC12IFG (*(volatile uint16_t *)0x01A4u)
#define ADC12IE (*(volatile uint16_t *)0x01A6u)
#define ADC12MEM0 (*(volatile uint16_t *)0x0140u)
/* 8-bit conversion memory control register 0 */
#define ADC12MCTL0 (*(volatile uint8_t *)0x0080u)

/* ADC12CTL0 */
#define CTL0_ADC12SC 0x0001u  /* start conversion */
#define CTL0_ENC 0x0002u      /* enable conversion */
#define CTL0_ADC12ON 0x0010u
#define CTL0_REFON 0x0020u    /* reference generator on; REF2_5V (0x0040) clear: 1.5 V */
#define CTL0_SHT0_256 0x0800u /* SHT0x = 1000b: 256 ADC12CLK cycles of sampling (> 30 us for the diode) */
/* ADC12CTL1: CSTARTADDx = 0, SHSx = 00 (ADC12SC), SHP = 1 (sampling timer), ADC12DIVx = 0,
 * ADC12SSELx = 00 (ADC12OSC), CONSEQx = 00 (single channel, single conversion) */
#define CTL1_SHP 0x0200u
/* ADC12MCTLx */
#define MCTL_INCH_TEMP 0x0Au /* INCHx = 1010b: temperature diode */
#define MCTL_SREF_VREF 0x10u /* SREFx = 001b: VR+ = VREF+, VR- = AVss */

#define REF_SETTLE_TICKS 600u  /* 17 ms reference settling (user's guide) at 32 768 Hz, rounded up */
#define CONVERSION_SPIN_MAX 20000u /* give up on a sample that never completes */

uint16_t tinydtls_entropy_collect(void (*sink)(void *ctx, uint16_t sample), void *ctx, uint16_t count)
{
    uint16_t changes = 0;
    uint16_t previous = 0;

    ADC12CTL0 &= (uint16_t)~CTL0_ENC; /* control bits may only change with ENC = 0 */
    ADC12IE = 0;
    ADC12CTL0 = CTL0_SHT0_256 | CTL0_REFON | CTL0_ADC12ON;
    ADC12CTL1 = CTL1_SHP;
    ADC12MCTL0 = MCTL_SREF_VREF | MCTL_INCH_TEMP;
    sky_clock_wait(REF_SETTLE_TICKS);

    for (uint16_t i = 0; i < count; i++) {
        uint16_t spins = 0;
        ADC12CTL0 |= CTL0_ENC | CTL0_ADC12SC;
        while (!(ADC12IFG & 0x0001u) && spins < CONVERSION_SPIN_MAX) {
            spins++;
        }
        uint16_t result = ADC12MEM0 & 0x0FFFu; /* reading clears ADC12IFG0 */
        uint16_t sample = (uint16_t)(result ^ (uint16_t)(spins << 12) ^ (uint16_t)(spins >> 4));
        if (i > 0 && sample != previous) {
            changes++;
        }
        previous = sample;
        sink(ctx, sample);
    }

    ADC12CTL0 &= (uint16_t)~CTL0_ENC;
    ADC12CTL0 = 0; /* ADC12 and reference off */
    return changes;
}
