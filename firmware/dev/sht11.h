/*
 * sht11.h - driver for the Sensirion SHT11 temperature/humidity sensor of the Tmote Sky (written from the
 * SHT1x datasheet V4.3 and Sensirion's "CRC Checksum Calculation" application note).
 *
 * Wiring: DATA P1.5 (open drain, pulled up: driven low with P1DIR.5 = 1 and P1OUT.5 = 0, released with
 * P1DIR.5 = 0), SCK P1.6, VDD P1.7 (the sensor is powered while P1.7 is driven high). Bit-banged: at
 * ~3.9 MHz every port write lasts ~1 us, so SCK stays below the sensor's 1 MHz limit without delays.
 * The driver owns these three pins; it uses sky_clock_ticks() (Timer_A, sky_init) for its waits.
 *
 * Every transfer is CRC-checked (CRC-8 x^8 + x^5 + x^4 + 1 over the command and the data bytes, started
 * from the status register's low nibble bit-reversed; the sensor sends the CRC bit-reversed). The
 * driver keeps a copy of the status register (what it last wrote or read; 0 after power-up or a soft
 * reset) for the CRC and the resolution.
 *
 * Conversion, integer only (datasheet V4 coefficients, VDD = 3 V): centi-degrees C and centi-%RH with
 * the temperature compensation of the humidity, rounded to nearest, humidity clamped to 0..100 %RH.
 */
#ifndef ESSE_SHT11_H
#define ESSE_SHT11_H

#include <stdint.h>

#define SHT11_OK 0
#define SHT11_ERR_NOACK (-1)   /* the sensor did not acknowledge the command (off, starting up, absent) */
#define SHT11_ERR_TIMEOUT (-2) /* no data ready within SHT11_TIMEOUT_TICKS */
#define SHT11_ERR_CRC (-3)     /* the received CRC does not match the data */

#define SHT11_CMD_MEASURE_T 0x03u
#define SHT11_CMD_MEASURE_RH 0x05u
#define SHT11_CMD_READ_STATUS 0x07u
#define SHT11_CMD_WRITE_STATUS 0x06u
#define SHT11_CMD_SOFT_RESET 0x1Eu
#define SHT11_STATUS_LOW_RES 0x01u /* 12-bit temperature / 8-bit humidity instead of 14 / 12 */
#define SHT11_STATUS_HEATER 0x04u

#define SHT11_STARTUP_TICKS 394u  /* 12 ms of ACLK: the sensor needs 11 ms after power-up or soft reset */
#define SHT11_TIMEOUT_TICKS 13108u /* 400 ms: the longest measurement (14 bit) takes at most 320 ms */

/* Power the sensor and wait until it accepts commands (SHT11_STARTUP_TICKS). */
void sht11_init(void);
void sht11_power_on(void);  /* without the wait */
void sht11_power_off(void); /* VDD, SCK and DATA low/released: nothing powers the sensor */
/* Connection reset: 9 SCK clocks with DATA high (ends a transfer; the status register is kept). */
void sht11_connection_reset(void);

/* A measurement (SHT11_CMD_MEASURE_T or _RH) in one call, or started and finished apart (the sensor
 * holds the result until it is read). raw: SOT / SORH. */
int sht11_measure(uint8_t cmd, uint16_t *raw);
int sht11_start(uint8_t cmd);
int sht11_finish(uint8_t cmd, uint16_t *raw);
/* ACLK ticks sht11_finish waited for data ready the last time. */
uint32_t sht11_wait_ticks(void);

int sht11_read_status(uint8_t *status);
int sht11_write_status(uint8_t status);
int sht11_soft_reset(void); /* waits SHT11_STARTUP_TICKS after the command */
uint8_t sht11_status_copy(void);

/* Temperature and humidity in one go at the current resolution: centi-degrees C, centi-%RH. */
int sht11_read(int16_t *temp_centi, int16_t *rh_centi);

/* Conversions and the checksum, pure functions. */
int16_t sht11_temp_centi(uint16_t sot, uint8_t low_res);
int16_t sht11_rh_centi(uint16_t sorh, int16_t temp_centi, uint8_t low_res);
uint8_t sht11_crc8(uint8_t status, const uint8_t *data, uint8_t n);
uint8_t sht11_reverse(uint8_t v);

#endif /* ESSE_SHT11_H */
