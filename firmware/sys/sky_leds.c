/* sky_leds.c - the three Sky LEDs on P5.4-P5.6, lit when the pin is low. */
#include <msp430.h>

#include "sky.h"

void sky_leds_init(void)
{
    P5OUT |= SKY_LED_ALL;
    P5DIR |= SKY_LED_ALL;
}

void sky_leds_on(uint8_t leds)
{
    P5OUT &= (uint8_t)~(leds & SKY_LED_ALL);
}

void sky_leds_off(uint8_t leds)
{
    P5OUT |= leds & SKY_LED_ALL;
}

void sky_leds_toggle(uint8_t leds)
{
    P5OUT ^= leds & SKY_LED_ALL;
}

uint8_t sky_leds_get(void)
{
    return (uint8_t)(~P5OUT & SKY_LED_ALL);
}
