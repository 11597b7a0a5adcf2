/* periph_dma.h — the MSP430F1611 DMA controller (MSP430x1xx Family User's Guide, SLAU049, chapter
 * "DMA Controller"): DMACTL0 0x0122 (DMAxTSEL), DMACTL1 0x0124 (DMAONFETCH, ROUNDROBIN, ENNMI), and per
 * channel x = 0..2 at 0x01E0 + 8x: DMAxCTL, DMAxSA, DMAxDA, DMAxSZ. Interrupt: DMAIFG & DMAIE of any
 * channel on vector 0xFFE0 (VEC_DACDMA, shared with the DAC12; not cleared on acceptance).
 *
 * Triggers (DMAxTSEL): 0 DMAREQ, 1 TACCR2 CCIFG, 2 TBCCR2 CCIFG, 3 URXIFG0, 4 UTXIFG0, 5 DAC12IFG (no
 * DAC12: never fires), 6 ADC12IFGx, 7 TACCR0 CCIFG, 8 TBCCR0 CCIFG, 9 URXIFG1, 10 UTXIFG1, 11 multiplier
 * ready, 12/13 none, 14 DMA(x-1)IFG, 15 DMAE0 (not wired on the Sky: never fires). Triggers are rising
 * edges of the flag (DMALEVEL is taken as edge: level triggers are for DMAE0 only, per the guide).
 *
 * Transfers run between instructions with the CPU's data access path (I/O hooks, RAM mirror, the flash
 * controller), the CPU held: m->now advances by the DMA cycles (periph_dma.c has the cycle rules).
 *
 * Cost when unused: a module whose flag is a trigger tests one bit where the flag rises (the USARTs and
 * timers in a copy in their own state, kept by usart_dma_watch / timer_dma_watch_changed; the others
 * in dma_watch(m)) and calls dma_trigger() only when an enabled channel selects it.
 */
#ifndef ESSE_PERIPH_DMA_H
#define ESSE_PERIPH_DMA_H
#include "periph.h"

enum {
    DMA_TRIG_REQ = 0,
    DMA_TRIG_TACCR2 = 1,
    DMA_TRIG_TBCCR2 = 2,
    DMA_TRIG_URXIFG0 = 3,
    DMA_TRIG_UTXIFG0 = 4,
    DMA_TRIG_DAC12 = 5,
    DMA_TRIG_ADC12 = 6,
    DMA_TRIG_TACCR0 = 7,
    DMA_TRIG_TBCCR0 = 8,
    DMA_TRIG_URXIFG1 = 9,
    DMA_TRIG_UTXIFG1 = 10,
    DMA_TRIG_MPY = 11,
    DMA_TRIG_CHAIN = 14,
    DMA_TRIG_DMAE0 = 15,
};

/* Bit t set: an enabled channel selects trigger t. The first member of the module's state, so the
 * test where a flag rises is two loads and a bit test (the USARTs keep their own copy of their bits:
 * usart_dma_watch). */
static inline unsigned dma_watch(mote_t *m) { return *(const uint16_t *)m->periph[PERIPH_SLOT_DMA]; }

/* Trigger `trig` rose now (the caller saw the edge: the flag was clear and is being set). Applies the
 * guide's per-trigger rules (no trigger while the flag's interrupt enable is set) and queues the
 * transfer for the next instruction boundary. */
void dma_trigger(mote_t *m, int trig);
/* A software write to IFG1/IFG2 (periph_sfr.c) set the bits up1/up2: USART flags among them are
 * rising trigger edges. */
void dma_sfr_rose(mote_t *m, uint8_t up1, uint8_t up2);

/* Byte/word transfers done since power-on (tests, statistics). */
uint64_t dma_transfers(mote_t *m);

void dma_attach(mote_t *m);
void dma_reset(mote_t *m, int por);
void dma_detach(mote_t *m);
#endif
