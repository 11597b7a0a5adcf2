/*
 * periph.h — the on-chip peripherals of the MSP430F1611, as seen from the mote framework, from Python
 * (through cffi) and from external device models (the CC2420 radio).
 *
 * Each peripheral is its own module (periph_<name>.c + periph_<name>.h) and knows the CPU only through
 * mote.h: it maps its register addresses with mote_map_io(), drives interrupt lines with mote_irq_set(),
 * and keeps time with the mote event queue. This header gathers the whole-chip entry points and
 * includes every module header, so a user includes just "periph.h".
 *
 * Life cycle: mote_create() calls periph_attach_all(m) once (allocates state in m->periph[PERIPH_SLOT_*],
 * maps I/O, registers irq-accept callbacks and one mote_on_reset() hook that restores every register
 * on POR and PUC and cancels pending peripheral events); mote_destroy() calls periph_detach_all(m).
 * The watchdog (expiry in watchdog mode, bad WDTCTL password) and the flash controller (bad FCTLx key)
 * cause a PUC with mote_puc(m), applied by the core between instructions.
 */
#ifndef ESSE_PERIPH_H
#define ESSE_PERIPH_H

#include "mote.h"

/* Slots in m->periph[] (opaque state pointers). */
enum {
    PERIPH_SLOT_SFR = 0,
    PERIPH_SLOT_CLK,
    PERIPH_SLOT_WDT,
    PERIPH_SLOT_TIMER_A,
    PERIPH_SLOT_TIMER_B,
    PERIPH_SLOT_MPY,
    PERIPH_SLOT_USART0,
    PERIPH_SLOT_USART1,
    PERIPH_SLOT_PORTS,
    PERIPH_SLOT_FLASH,
    PERIPH_SLOT_ADC,
    PERIPH_SLOT_UNMODELLED,
    PERIPH_SLOT_DMA,
    PERIPH_NUM_SLOTS
};

/* Interrupt vector indexes (TI numbering minus one; address = 0xFFE0 + 2 * index), MSP430F1611. */
enum {
    VEC_DACDMA = 0,  /* 0xFFE0 */
    VEC_PORT2 = 1,   /* 0xFFE2 */
    VEC_USART1TX = 2, /* 0xFFE4 */
    VEC_USART1RX = 3, /* 0xFFE6 */
    VEC_PORT1 = 4,   /* 0xFFE8 */
    VEC_TIMERA1 = 5, /* 0xFFEA  TACCR1-2, TAIFG (TAIV) */
    VEC_TIMERA0 = 6, /* 0xFFEC  TACCR0 */
    VEC_ADC12 = 7,   /* 0xFFEE */
    VEC_USART0TX = 8, /* 0xFFF0 */
    VEC_USART0RX = 9, /* 0xFFF2 */
    VEC_WDT = 10,    /* 0xFFF4  watchdog in interval mode */
    VEC_COMPARATOR = 11, /* 0xFFF6 */
    VEC_TIMERB1 = 12, /* 0xFFF8 TBCCR1-6, TBIFG (TBIV) */
    VEC_TIMERB0 = 13, /* 0xFFFA TBCCR0 */
    VEC_NMI = 14,    /* 0xFFFC  NMI, oscillator fault, flash access violation */
    VEC_RESET = 15   /* 0xFFFE */
};

void periph_attach_all(mote_t *m);
void periph_detach_all(mote_t *m);
/* The reset hook (registered by periph_attach_all; exposed for tests). */
void periph_reset_all(mote_t *m, int por);

#include "periph_sfr.h"
#include "periph_clk.h"
#include "periph_wdt.h"
#include "periph_timer.h"
#include "periph_mpy.h"
#include "periph_usart.h"
#include "periph_port.h"
#include "periph_flash.h"
#include "periph_adc.h"
#include "periph_unmodelled.h"
#include "periph_dma.h"

#endif /* ESSE_PERIPH_H */
