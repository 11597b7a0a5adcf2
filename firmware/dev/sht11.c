/* sht11.c - see sht11.h. */
#include "sht11.h"

#include <msp430.h>

#include "sky.h"

#define DATA 0x20u /* P1.5 */
#define SCK 0x40u  /* P1.6 */
#define PWR 0x80u  /* P1.7 */

static uint8_t status_copy;
static uint32_t wait_ticks;

/* P1OUT.5 stays 0: DATA is driven low by making it an output, released by making it an input. */
static void data_low(void) { P1DIR |= DATA; }
static void data_release(void) { P1DIR &= (uint8_t)~DATA; }
static int data_high(void) { return (P1IN & DATA) != 0; }
static void sck_high(void) { P1OUT |= SCK; }
static void sck_low(void) { P1OUT &= (uint8_t)~SCK; }

uint8_t sht11_reverse(uint8_t v)
{
    uint8_t r = 0;
    for (uint8_t i = 0; i < 8; i++, v >>= 1)
        r = (uint8_t)((r << 1) | (v & 1u));
    return r;
}

uint8_t sht11_crc8(uint8_t status, const uint8_t *data, uint8_t n)
{
    uint8_t crc = sht11_reverse((uint8_t)(status & 0x0Fu));
    while (n--) {
        crc ^= *data++;
        for (uint8_t k = 0; k < 8; k++)
            crc = (crc & 0x80u) ? (uint8_t)((crc << 1) ^ 0x31u) : (uint8_t)(crc << 1);
    }
    return crc;
}

void sht11_power_on(void)
{
    P1SEL &= (uint8_t)~(DATA | SCK | PWR);
    P1OUT &= (uint8_t)~(DATA | SCK);
    P1DIR = (uint8_t)((P1DIR | SCK | PWR) & ~DATA);
    P1OUT |= PWR;
    status_copy = 0; /* the register's power-up default */
}

void sht11_power_off(void)
{
    P1OUT &= (uint8_t)~(DATA | SCK | PWR);
    P1DIR = (uint8_t)((P1DIR | SCK | PWR) & ~DATA);
}

void sht11_init(void)
{
    sht11_power_on();
    sky_clock_wait(SHT11_STARTUP_TICKS);
}

static void transmission_start(void)
{
    data_release();
    sck_low();
    sck_high();
    data_low(); /* DATA falls while SCK is high */
    sck_low();
    sck_high();
    data_release(); /* DATA rises while SCK is high */
    sck_low();
}

void sht11_connection_reset(void)
{
    data_release();
    for (uint8_t i = 0; i < 9; i++) {
        sck_high();
        sck_low();
    }
}

/* Eight bits MSB first (set while SCK is low, sampled on its rising edge); 1 when acknowledged. */
static int write_byte(uint8_t b)
{
    for (uint8_t mask = 0x80u; mask; mask >>= 1) {
        if (b & mask)
            data_release();
        else
            data_low();
        sck_high();
        sck_low();
    }
    data_release();
    sck_high();
    int ack = !data_high(); /* the sensor holds DATA low from the 8th falling edge to the 9th */
    sck_low();
    return ack;
}

static uint8_t read_byte(int ack)
{
    uint8_t b = 0;
    data_release();
    for (uint8_t i = 0; i < 8; i++) {
        sck_high();
        b = (uint8_t)((b << 1) | (uint8_t)data_high());
        sck_low();
    }
    if (ack)
        data_low();
    sck_high();
    sck_low();
    data_release();
    return b;
}

static int command(uint8_t cmd)
{
    transmission_start();
    return write_byte(cmd) ? SHT11_OK : SHT11_ERR_NOACK;
}

int sht11_start(uint8_t cmd) { return command(cmd); }

int sht11_finish(uint8_t cmd, uint16_t *raw)
{
    uint32_t start = sky_clock_ticks();
    while (data_high()) { /* the sensor pulls DATA low when the measurement is done */
        if (sky_clock_ticks() - start > SHT11_TIMEOUT_TICKS)
            return SHT11_ERR_TIMEOUT;
    }
    wait_ticks = sky_clock_ticks() - start;
    uint8_t frame[3] = {cmd, 0, 0};
    frame[1] = read_byte(1);
    frame[2] = read_byte(1);
    uint8_t crc = read_byte(0); /* not acknowledged: the transfer ends */
    *raw = (uint16_t)((uint16_t)frame[1] << 8 | frame[2]);
    return sht11_crc8(status_copy, frame, 3) == sht11_reverse(crc) ? SHT11_OK : SHT11_ERR_CRC;
}

int sht11_measure(uint8_t cmd, uint16_t *raw)
{
    int rc = sht11_start(cmd);
    return rc != SHT11_OK ? rc : sht11_finish(cmd, raw);
}

uint32_t sht11_wait_ticks(void) { return wait_ticks; }

int sht11_read_status(uint8_t *status)
{
    int rc = command(SHT11_CMD_READ_STATUS);
    if (rc != SHT11_OK)
        return rc;
    uint8_t frame[2] = {SHT11_CMD_READ_STATUS, read_byte(1)};
    uint8_t crc = read_byte(0);
    *status = frame[1];
    /* the sensor seeds its CRC with the register it sends */
    if (sht11_crc8(frame[1], frame, 2) != sht11_reverse(crc))
        return SHT11_ERR_CRC;
    status_copy = frame[1];
    return SHT11_OK;
}

int sht11_write_status(uint8_t status)
{
    int rc = command(SHT11_CMD_WRITE_STATUS);
    if (rc != SHT11_OK)
        return rc;
    if (!write_byte(status))
        return SHT11_ERR_NOACK;
    status_copy = status;
    return SHT11_OK;
}

int sht11_soft_reset(void)
{
    int rc = command(SHT11_CMD_SOFT_RESET);
    if (rc == SHT11_OK) {
        status_copy = 0;
        sky_clock_wait(SHT11_STARTUP_TICKS);
    }
    return rc;
}

uint8_t sht11_status_copy(void) { return status_copy; }

int16_t sht11_temp_centi(uint16_t sot, uint8_t low_res)
{
    /* T = d1 + d2 SOT, d1 = -39.60 C at 3 V, d2 = 0.01 C (14 bit) or 0.04 C (12 bit) */
    return (int16_t)(-3960 + (int16_t)(low_res ? sot * 4u : sot));
}

int16_t sht11_rh_centi(uint16_t sorh, int16_t temp_centi, uint8_t low_res)
{
    /* u = 1e-6 %RH. RH_lin = c1 + c2 S + c3 S^2; RH_true = RH_lin + (T - 25)(t1 + t2 S), where
     * (T - 25)(t1 + t2 S) = (Tc - 2500)(125 + S) / 12500 centi (12 bit), (125 + 16 S) (8 bit). */
    int32_t s = sorh, dt = (int32_t)temp_centi - 2500, u;
    uint32_t q = (uint32_t)sorh * sorh;
    if (low_res) { /* c2 0.5872, c3 -4.0845e-4: q <= 65025, q * 40845 fits 32 bits */
        u = -2046800L + 587200L * s - (int32_t)(q * 40845u / 100u);
        u += dt * (125 + 16 * s) * 4 / 5;
    } else { /* c2 0.0367, c3 -1.5955e-6: q * 15955 needs 38 bits, so split q at 10^4 */
        u = -2046800L + 36700L * s - (int32_t)(q / 10000u * 15955u + q % 10000u * 15955u / 10000u);
        u += dt * (125 + s) * 4 / 5;
    }
    int32_t centi = u >= 0 ? (u + 5000) / 10000 : -((-u + 5000) / 10000);
    if (centi < 0)
        centi = 0;
    if (centi > 10000)
        centi = 10000;
    return (int16_t)centi;
}

int sht11_read(int16_t *temp_centi, int16_t *rh_centi)
{
    uint16_t sot, sorh;
    uint8_t low = status_copy & SHT11_STATUS_LOW_RES;
    int rc = sht11_measure(SHT11_CMD_MEASURE_T, &sot);
    if (rc == SHT11_OK)
        rc = sht11_measure(SHT11_CMD_MEASURE_RH, &sorh);
    if (rc != SHT11_OK)
        return rc;
    *temp_centi = sht11_temp_centi(sot, low);
    *rh_centi = sht11_rh_centi(sorh, *temp_centi, low);
    return SHT11_OK;
}
