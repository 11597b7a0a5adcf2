/*
 * dev_sht11.h — the Sensirion SHT11 temperature/humidity sensor of the Tmote Sky, as an external device
 * of one emulated mote (written from the Sensirion SHT1x datasheet V4.3, May 2010, and Sensirion's
 * application note "CRC Checksum Calculation" for SHTxx).
 *
 * Wiring (Sky): DATA on P1.5, SCK on P1.6, VDD on P1.7 (the sensor is powered while the MCU drives
 * P1.7 high). DATA is open drain with a pull-up: the MCU pulls it low with P1DIR.5 = 1, P1OUT.5 = 0 and
 * releases it with P1DIR.5 = 0; the sensor pulls it low for its ACKs, data ready and 0 bits. The level
 * both see is the wired AND. SCK is high only while the MCU drives P1.6 high.
 *
 * Protocol: a Transmission Start (DATA falls while SCK is high, SCK pulses low, DATA rises while SCK is
 * high) opens a command: 3 address bits 000 and 5 command bits, MSB first, sampled on SCK rising
 * edges; the sensor ACKs (DATA low from the 8th SCK falling edge to the 9th). Commands: 03h measure
 * temperature, 05h measure humidity, 07h read status, 06h write status, 1Eh soft reset; any other is
 * not acknowledged. A measurement ends with DATA pulled low (data ready); then 2 bytes MSB first and a
 * CRC byte, each acknowledged by the MCU (DATA low during the 9th clock); a byte not acknowledged ends
 * the transfer. Nine or more SCK rising edges with DATA high reset the interface (status kept).
 *
 * Timing: measurement time is the datasheet's maximum, 20/80/320 ms for 8/12/14 bits (the datasheet
 * says the time "can be lower by up to 30%": a driver must wait for data ready, not for a fixed time);
 * 11 ms after power-up and after a soft reset before a command is acknowledged.
 *
 * Status register: bit 0 low resolution (12-bit T / 8-bit RH instead of 14 / 12), bit 1 no OTP
 * reload, bit 2 heater (stored, its heating is not modelled), bit 6 end of battery (read only, 0:
 * the Sky's VDD is ~3 V > 2.47 V). Reset value 0.
 *
 * CRC-8 over the command and the data bytes: x^8 + x^5 + x^4 + 1, MSB first, initial value the status
 * register's low nibble bit-reversed (s0 s1 s2 s3 0000); the sensor sends the CRC bit-reversed.
 *
 * Values: the sensor reports the raw SOT / SORH whose conversion (datasheet V4 coefficients, VDD 3 V:
 * T = -39.6 + d2 SOT, d2 0.01 (14 bit) / 0.04 (12 bit); RH_lin = c1 + c2 SORH + c3 SORH^2 with
 * 12 bit: -2.0468, 0.0367, -1.5955e-6; 8 bit: -2.0468, 0.5872, -4.0845e-4; RH_true = (T - 25)(t1 +
 * t2 SORH) + RH_lin, t1 0.01, t2 0.00008 (12 bit) / 0.00128 (8 bit)) is nearest to the environment set
 * with sht11_set_env (the RH inversion uses T as converted from the SOT of the same resolution, as a
 * driver computes it), clamped to the raw range (below -39.6 C the sensor reads -39.6 C).
 */
#ifndef ESSE_DEV_SHT11_H
#define ESSE_DEV_SHT11_H

#include <stdint.h>
#include "mote.h"

typedef struct sht11 sht11_t;

#define SHT11_CMD_MEASURE_T 0x03u
#define SHT11_CMD_MEASURE_RH 0x05u
#define SHT11_CMD_READ_STATUS 0x07u
#define SHT11_CMD_WRITE_STATUS 0x06u
#define SHT11_CMD_SOFT_RESET 0x1Eu
#define SHT11_STATUS_LOW_RES 0x01u
#define SHT11_STATUS_WRITABLE 0x07u
#define SHT11_STARTUP_NS 11000000u   /* power-up and soft reset: 11 ms to sleep state */
#define SHT11_MEAS_8BIT_NS 20000000u /* datasheet maxima */
#define SHT11_MEAS_12BIT_NS 80000000u
#define SHT11_MEAS_14BIT_NS 320000000u
#define SHT11_T_MIN_CENTI (-4000)    /* operating range (datasheet), centi-degrees C */
#define SHT11_T_MAX_CENTI 12380

/* Attach to mote m with ambient temperature temp_c (C) and relative humidity rh (%). NULL when out of
 * memory, the port listeners are full or the values are out of range (-40..123.8 C, 0..100 %RH). */
sht11_t *sht11_attach(mote_t *m, double temp_c, double rh);
void sht11_free(sht11_t *s);
/* Set the environment: 0, or -1 (nothing changed) for a value out of range. */
int sht11_set_env(sht11_t *s, double temp_c, double rh);
/* The raw value a measurement reports now: kind 0 temperature (SOT), 1 humidity (SORH); low_res as
 * status bit 0. */
uint16_t sht11_raw(const sht11_t *s, int kind, int low_res);
/* The SHT1x CRC-8 over n bytes with the initial value from status (see above), not reversed. */
uint8_t sht11_crc8(uint8_t status, const uint8_t *data, int n);
uint8_t sht11_status(const sht11_t *s);
/* Test hook: XOR mask into byte idx of the next measurement (0 MSB, 1 LSB, 2 CRC) or status read
 * (0 status, 1 CRC; a larger idx is the CRC) sent, once: a transmission error the driver's CRC check
 * must catch. The CRC is computed before. */
void sht11_corrupt_next(sht11_t *s, int idx, uint8_t mask);
/* Counters: commands acknowledged, measurements completed, transfers aborted by a missing ACK,
 * interface resets (9 clocks with DATA high) and soft resets. */
uint64_t sht11_acks(const sht11_t *s);
uint64_t sht11_measurements(const sht11_t *s);
uint64_t sht11_nacked(const sht11_t *s);
uint64_t sht11_interface_resets(const sht11_t *s);
uint64_t sht11_soft_resets(const sht11_t *s);
/* Simulated ns of the last measurement's command ACK end and data ready (0: none yet). */
uint64_t sht11_last_meas_start_ns(const sht11_t *s);
uint64_t sht11_last_meas_ready_ns(const sht11_t *s);

#endif /* ESSE_DEV_SHT11_H */
