/* hello - banner, the deterministic self-test (selftest.h), then a heartbeat on the blue LED with the
 * CPU asleep in LPM3 between beats (so `esse run` shows a realistic split of time per mode). */
#include <stdio.h>

#include "energest.h"
#include "selftest.h"
#include "sky.h"

int main(void)
{
    sky_init();
    sky_leds_on(SKY_LED_GREEN);
    printf("ESSE hello node=%u dco_hz=%lu\n", sky_node_id(), (unsigned long)sky_dco_hz());
    uint32_t start = sky_clock_ticks();
    selftest_run();
    printf("T selftest_ticks=%lu\n", (unsigned long)(sky_clock_ticks() - start));
    sky_leds_off(SKY_LED_GREEN);
    uint32_t beat = sky_clock_ticks();
    for (;;) {
        energest_periodic(); /* ENERGEST_PERIOD_S (build define; 0 = off) */
        sky_leds_toggle(SKY_LED_BLUE);
        beat += SKY_CLOCK_HZ / 2;
        sky_clock_set_alarm(beat);
        while (!sky_clock_alarm_expired())
            sky_sleep(SKY_LPM3);
    }
}
