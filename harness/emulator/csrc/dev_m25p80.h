/*
 * dev_m25p80.h — the ST/Numonyx M25P80 8-Mbit SPI serial flash of the Tmote Sky, as an external device
 * of one emulated mote (written from the M25P80 datasheet).
 *
 * Wiring (Sky): USART0 SPI shared with the CC2420 (P3.1 SIMO, P3.2 SOMI, P3.3 UCLK); chip select S on
 * P4.4 and HOLD on P4.7, both active low. A select or hold pin the MCU does not drive counts as high
 * (deselected, not held), so firmware that never touches the flash never talks to it.
 *
 * Memory: 1 MB = 16 sectors of 64 KB = 4096 pages of 256 bytes, erased = FFh. Instructions (all
 * framed by S; those that change memory or state run when S goes high after a complete instruction):
 * WREN 06h, WRDI 04h, RDID 9Fh (20h 20h 14h: manufacturer ST, memory type, 8 Mbit), RDSR 05h (SRWD,
 * BP2..0, WEL, WIP), WRSR 01h, READ 03h, FAST_READ 0Bh (one dummy byte), PP 02h (<= 256 bytes within
 * one page, bits 1->0 only, the address wraps inside the page), SE D8h, BE C7h, DP B9h, RES ABh (leaves
 * deep power-down, reads the signature 13h after three dummy bytes). While a program/erase/WRSR cycle
 * runs (WIP = 1) only RDSR is accepted; WEL clears when the cycle ends. In deep power-down only RES is.
 * Block protection (BP2..0) refuses PP/SE to the protected upper sectors and BE when any BP is set.
 *
 * Timing (typical figures): tPP 1.4 ms, tSE 0.6 s, tBE 8 s, tW (WRSR) 5 ms, tDP and tRES1 3 us.
 * Not modelled: the W (write protect) pin and SRWD hardware protection, HOLD in mid-byte (a byte sent
 * while HOLD is low is ignored), the supply current.
 */
#ifndef ESSE_DEV_M25P80_H
#define ESSE_DEV_M25P80_H

#include <stdint.h>
#include <stddef.h>
#include "mote.h"

typedef struct m25p80 m25p80_t;

#define M25P80_SIZE 0x100000u
#define M25P80_PP_NS 1400000u
#define M25P80_SE_NS 600000000u
#define M25P80_BE_NS 8000000000u
#define M25P80_W_NS 5000000u
#define M25P80_DP_NS 3000u
#define M25P80_RES_NS 3000u

/* Attach to mote m (USART0 SPI device + port 4 listener). NULL when out of memory or the bus/listeners
 * are full. Free with m25p80_free() only when the mote will not run again. */
m25p80_t *m25p80_attach(mote_t *m);
void m25p80_free(m25p80_t *f);

/* Host access to the memory (no timing, no protection): e.g. preload a file system, check writes. */
void m25p80_read(const m25p80_t *f, uint32_t addr, uint8_t *out, size_t len);
void m25p80_write(m25p80_t *f, uint32_t addr, const uint8_t *data, size_t len);
/* The status register as RDSR would read it now; 1 while in deep power-down. */
uint8_t m25p80_status(m25p80_t *f);
int m25p80_deep_power_down(m25p80_t *f);
/* Completed program/erase cycles since attach: pages programmed, sectors erased, bulk erases. */
uint64_t m25p80_programs(const m25p80_t *f);
uint64_t m25p80_erases(const m25p80_t *f);

#endif /* ESSE_DEV_M25P80_H */
