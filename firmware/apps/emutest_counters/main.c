/*
 * emutest_counters - the counter log under resets.
 *
 * At boot it finishes an interrupted identity write (as the ccs does), prints the counters read back
 * from flash and the first PSK_DN byte, then writes states that grow by (1, 4) per write, forever.
 * After each write returns, `emutest_acked` holds the state written: what a caller (the CCS) may have
 * acknowledged to the network. When the test sets `emutest_rekey_after`, that many writes later it
 * stores a new identity (PSK_DN's first byte flipped) with infomem_write_identity; the new key starts
 * with nothing acknowledged. A test resets the mote anywhere and checks the next boot.
 */
#include <stdio.h>

#include "infomem.h"
#include "sky.h"

volatile infomem_counters_t emutest_acked;
volatile uint16_t emutest_failures;
volatile uint8_t emutest_rekey_after; /* set by the test: 0 = never */
volatile uint8_t emutest_rekeyed;     /* infomem_write_identity returned */
const infomem_stats_t *volatile emutest_stats; /* where the test watches the segment erases */

static uint8_t seg[INFOMEM_SEGMENT_SIZE];

static void rekey(void)
{
    uint16_t i, crc;
    for (i = 0; i < INFOMEM_SEGMENT_SIZE; i++)
        seg[i] = *(const volatile uint8_t *)(uintptr_t)(INFOMEM_SEGMENT_B + i);
    seg[8] ^= 0x5Au; /* PSK_DN[0] */
    crc = infomem_crc16(seg, INFOMEM_SEGMENT_SIZE - 2u);
    seg[INFOMEM_SEGMENT_SIZE - 2u] = (uint8_t)crc;
    seg[INFOMEM_SEGMENT_SIZE - 1u] = (uint8_t)(crc >> 8);
    if (infomem_write_identity(seg) != 0)
        emutest_failures++;
    emutest_acked.rx_counter = 0;
    emutest_acked.tx_mark = 0;
    emutest_rekeyed = 1;
}

int main(void)
{
    infomem_counters_t c;
    infomem_identity_t id;
    uint8_t left, n = 0;
    sky_init();
    emutest_stats = infomem_stats();
    infomem_recover();
    if (infomem_read_identity(&id) != 0)
        id.psk_dn[0] = 0;
    infomem_read_counters(&c, &left);
    printf("boot rx %lu tx %lu left %u key %u\n", (unsigned long)c.rx_counter, (unsigned long)c.tx_mark,
           (unsigned)left, (unsigned)id.psk_dn[0]);
    for (;;) {
        c.rx_counter += 1u;
        c.tx_mark += 4u;
        if (infomem_write_counters(&c) != 0)
            emutest_failures++;
        emutest_acked.rx_counter = c.rx_counter;
        emutest_acked.tx_mark = c.tx_mark;
        if (emutest_rekey_after && ++n == emutest_rekey_after)
            rekey();
    }
}
