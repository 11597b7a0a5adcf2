/*
 * emutest_counters - the counter log under resets.
 *
 * At boot it prints the counters read back from flash, then writes states that grow by (1, 4) per
 * write, forever. After each write returns, `emutest_acked` holds the state written: what a caller
 * (the CCS) may have acknowledged to the network. A test resets the mote anywhere and checks that
 * the counters printed at the next boot are at least the last acknowledged state.
 */
#include <stdio.h>

#include "infomem.h"
#include "sky.h"

volatile infomem_counters_t emutest_acked;
volatile uint16_t emutest_failures;
const infomem_stats_t *volatile emutest_stats; /* where the test watches the segment erases */

int main(void)
{
    infomem_counters_t c;
    uint8_t left;
    sky_init();
    emutest_stats = infomem_stats();
    infomem_read_counters(&c, &left);
    printf("boot rx %lu tx %lu left %u\n", (unsigned long)c.rx_counter, (unsigned long)c.tx_mark,
           (unsigned)left);
    for (;;) {
        c.rx_counter += 1u;
        c.tx_mark += 4u;
        if (infomem_write_counters(&c) != 0)
            emutest_failures++;
        emutest_acked.rx_counter = c.rx_counter;
        emutest_acked.tx_mark = c.tx_mark;
    }
}
