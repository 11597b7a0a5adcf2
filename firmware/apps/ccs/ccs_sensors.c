/*
 * ccs_sensors.c — ADC12 and LEDs of the Tmote Sky (MSP430x1xx Family User's Guide, ADC12 chapter).
 * One conversion: single-channel single-conversion mode (CONSEQ 0), sample timer pulse mode (SHP)
 * from ADC12SC, result in ADC12MEM0. ADC12MCTL0 is only writable while ENC is clear.
 */
#include <msp430.h>

#include "ccs_sensors.h"
#include "sky.h"

#define ADC_INCH_LIGHT 4u
#define ADC_INCH_TEMPERATURE 10u

void ccs_sensors_init(void)
{
    ADC12CTL0 = 0;
    /* Sample-and-hold 256 ADC12CLK cycles (SHT0 = 8): the temperature diode needs >= 30 us, and
     * ADC12OSC runs at up to 6.3 MHz (>= 189 cycles). The 1.5 V reference settles in 17 ms, long
     * before the first request arrives. */
    ADC12CTL0 = SHT0_8 | ADC12ON | REFON;
    ADC12CTL1 = SHP; /* ADC12OSC, SHS = ADC12SC, single channel single conversion */
}

static uint16_t convert(uint8_t mctl)
{
    ADC12CTL0 &= ~ENC;
    ADC12MCTL0 = mctl;
    ADC12IFG = 0;
    ADC12CTL0 |= ENC | ADC12SC;
    while (!(ADC12IFG & 0x0001u)) {
    }
    ADC12CTL0 &= ~ENC;
    return ADC12MEM0; /* reading clears ADC12IFG0 */
}

uint16_t ccs_sensor_temperature_raw(void) { return convert(ADC_INCH_TEMPERATURE | SREF_1); }
uint16_t ccs_sensor_light_raw(void) { return convert(ADC_INCH_LIGHT | SREF_0); }

void ccs_leds_set(uint8_t mask)
{
    uint8_t on = (uint8_t)(((mask & CCS_LED_RED) ? SKY_LED_RED : 0) | ((mask & CCS_LED_GREEN) ? SKY_LED_GREEN : 0) |
                           ((mask & CCS_LED_BLUE) ? SKY_LED_BLUE : 0));
    sky_leds_off((uint8_t)(SKY_LED_ALL & ~on));
    sky_leds_on(on);
}

uint8_t ccs_leds_get(void)
{
    uint8_t lit = sky_leds_get();
    return (uint8_t)(((lit & SKY_LED_RED) ? CCS_LED_RED : 0) | ((lit & SKY_LED_GREEN) ? CCS_LED_GREEN : 0) |
                     ((lit & SKY_LED_BLUE) ? CCS_LED_BLUE : 0));
}
