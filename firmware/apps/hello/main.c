/* hello - banner, the deterministic self-test (selftest.h), then a heartbeat on the blue LED. */
#include <stdio.h>

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
    for (;;) {
        sky_leds_toggle(SKY_LED_BLUE);
        sky_clock_wait(SKY_CLOCK_HZ / 2);
    }
}
