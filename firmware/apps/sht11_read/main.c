/*
 * sht11_read - exercises the SHT11 driver (firmware/dev/sht11.h) and prints on UART1:
 *   SHT crc ...      the driver's CRC-8 over the application note's two examples
 *   SHT off/early    a command while the sensor is unpowered / within 11 ms of power-up (no ACK)
 *   SHT status/write/reset/abort/timeout   status register, soft reset, connection reset, time-out
 *   SHT hi|lo n=N    then, forever: temperature and humidity at 14/12 bit (hi) and 12/8 bit (lo)
 * Error codes are the driver's (0 ok, -1 no ACK, -2 time-out, -3 CRC).
 */
#include <stdio.h>

#include "sht11.h"
#include "sky.h"

static void reading(unsigned n, uint8_t low)
{
    uint16_t sot = 0, sorh = 0;
    if (low)
        sht11_write_status(SHT11_STATUS_LOW_RES);
    int rc_t = sht11_measure(SHT11_CMD_MEASURE_T, &sot);
    uint32_t wait_t = sht11_wait_ticks();
    int rc_rh = sht11_measure(SHT11_CMD_MEASURE_RH, &sorh);
    uint32_t wait_rh = sht11_wait_ticks();
    int16_t t = sht11_temp_centi(sot, low);
    int16_t rh = sht11_rh_centi(sorh, t, low);
    printf("SHT %s n=%u rc=%d,%d sot=%u sorh=%u t=%d rh=%d wt=%lu wrh=%lu\n", low ? "lo" : "hi", n, rc_t,
           rc_rh, sot, sorh, t, rh, (unsigned long)wait_t, (unsigned long)wait_rh);
    if (low)
        sht11_write_status(0);
}

int main(void)
{
    sky_init();
    printf("sht11_read start\n");
    /* Sensirion's CRC application note: status 0x40 read (command 07h) -> 0x93; the datasheet's
     * humidity example (command 05h, data 09h 31h) -> 0x58 */
    static const uint8_t status_example[2] = {0x07, 0x40}, rh_example[3] = {0x05, 0x09, 0x31};
    printf("SHT crc status=%02x rh=%02x\n", sht11_crc8(0, status_example, 2), sht11_crc8(0, rh_example, 3));

    uint8_t status = 0xEE;
    uint16_t raw = 0;
    sht11_power_off();
    printf("SHT off rc=%d\n", sht11_read_status(&status));
    sht11_power_on();
    printf("SHT early rc=%d\n", sht11_read_status(&status));
    sky_clock_wait(SHT11_STARTUP_TICKS);
    int rc = sht11_read_status(&status);
    printf("SHT status rc=%d value=%02x\n", rc, status);
    rc = sht11_write_status(SHT11_STATUS_LOW_RES | SHT11_STATUS_HEATER);
    int rc2 = sht11_read_status(&status);
    printf("SHT write rc=%d read rc=%d value=%02x\n", rc, rc2, status);
    rc = sht11_soft_reset();
    rc2 = sht11_read_status(&status);
    printf("SHT reset rc=%d read rc=%d value=%02x\n", rc, rc2, status);
    rc = sht11_start(SHT11_CMD_MEASURE_T); /* then a connection reset instead of waiting */
    sht11_connection_reset();
    rc2 = sht11_read_status(&status);
    printf("SHT abort rc=%d read rc=%d value=%02x\n", rc, rc2, status);
    rc = sht11_start(SHT11_CMD_MEASURE_T); /* then the power goes: no data ready */
    sht11_power_off();
    rc2 = sht11_finish(SHT11_CMD_MEASURE_T, &raw);
    printf("SHT timeout rc=%d finish rc=%d\n", rc, rc2);
    sht11_init();

    for (unsigned n = 0;; n++) {
        reading(n, 0);
        reading(n, 1);
    }
}
