/*
 * dev_ds2411.h — the Maxim/Dallas DS2411 silicon serial number of the Tmote Sky on its 1-Wire pin, as an
 * external device of one emulated mote (written from the DS2411 datasheet).
 *
 * Wiring (Sky): I/O on P2.4 with a pull-up: the MCU drives the line low with P2DIR.4 = 1 and P2OUT.4 = 0
 * and releases it with P2DIR.4 = 0; the DS2411 pulls it low (open drain) for its presence pulse and for
 * the 0 bits it sends. The pin reads low when either side pulls it low.
 *
 * Protocol (standard speed): a low pulse of at least 480 us (tRSTL) resets the device; it answers
 * 30 us after the line is released (tPDH 15..60 us) with a 120 us presence pulse (tPDL 60..240 us).
 * Then 8 write slots carry a ROM command, LSB first: a slot is a falling edge by the master; the device
 * samples the line 30 us later (15..60 us window), so a release before then writes 1, a longer low
 * writes 0. Read ROM (33h, or the legacy 0Fh) makes the device send its 64-bit registration number in
 * the next 64 read slots, LSB first: family code 01h, the 48-bit serial number, the CRC-8 of those
 * seven bytes (polynomial x^8 + x^5 + x^4 + 1, Dallas/Maxim). For a 0 bit the device holds the line
 * low for 30 us from the master's falling edge (the master samples within 15 us). Other ROM commands
 * (Search, Match, Skip, overdrive) are not modelled: the device stays quiet until the next reset.
 */
#ifndef ESSE_DEV_DS2411_H
#define ESSE_DEV_DS2411_H

#include <stdint.h>
#include "mote.h"

typedef struct ds2411 ds2411_t;

#define DS2411_FAMILY 0x01u
#define DS2411_RESET_MIN_NS 480000u
#define DS2411_PRESENCE_WAIT_NS 30000u
#define DS2411_PRESENCE_NS 120000u
#define DS2411_SAMPLE_NS 30000u
#define DS2411_READ0_NS 30000u

/* Attach to mote m with the 48-bit serial number serial[0..5] (serial[0] is sent first, right after
 * the family code). NULL when out of memory or the port listeners are full. */
ds2411_t *ds2411_attach(mote_t *m, const uint8_t *serial);
void ds2411_free(ds2411_t *d);
/* The 8-byte registration number as sent: family, serial[0..5], CRC. */
void ds2411_rom(const ds2411_t *d, uint8_t *out);
/* Dallas/Maxim CRC-8 (x^8 + x^5 + x^4 + 1, LSB first, initial value 0) of n bytes. */
uint8_t ds2411_crc8(const uint8_t *data, int n);
/* Resets answered with a presence pulse, ROM reads completed (all 64 bits sent). */
uint64_t ds2411_presences(const ds2411_t *d);
uint64_t ds2411_rom_reads(const ds2411_t *d);

#endif /* ESSE_DEV_DS2411_H */
