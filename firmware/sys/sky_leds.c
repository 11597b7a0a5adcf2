/* sky_leds.c - the three Sky LEDs on P5.4-P5.6, lit when the pin is low. */
#include <msp430.h>

#include "energest.h"
#include "sky.h"

/* Tells energest which LEDs changed (LED i lit: state ENERGEST_LED_RED + i). */
static void leds_changed(uint8_t before)
{
    uint8_t now = sky_leds_get(), diff = (uint8_t)(now ^ before);
    for (uint8_t i = 0; i < 3; i++) {
        uint8_t bit = (uint8_t)(SKY_LED_RED << i);
        if (diff & bit) {
            if (now & bit)
                energest_on((uint8_t)(ENERGEST_LED_RED + i));
            else
                energest_off((uint8_t)(ENERGEST_LED_RED + i));
        }
    }
}

void sky_leds_init(void)
{
    P5OUT |= SKY_LED_ALL;
    P5DIR |= SKY_LED_ALL;
}

void sky_leds_on(uint8_t leds)
{
    uint8_t before = sky_leds_get();
    P5OUT &= (uint8_t)~(leds & SKY_LED_ALL);
    leds_changed(before);
}

void sky_leds_off(uint8_t leds)
{
    uint8_t before = sky_leds_get();
    P5OUT |= leds & SKY_LED_ALL;
    leds_changed(before);
}

void sky_leds_toggle(uint8_t leds)
{
    uint8_t before = sky_leds_get();
    P5OUT ^= leds & SKY_LED_ALL;
    leds_changed(before);
}

uint8_t sky_leds_get(void)
{
    return (uint8_t)(~P5OUT & SKY_LED_ALL);
}
