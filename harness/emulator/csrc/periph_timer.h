/* periph_timer.h — Timer_A3 (TACTL 0x160, TACCTL0-2 0x162-0x166, TAR 0x170, TACCR0-2 0x172-0x176,
 * TAIV 0x12E) and Timer_B7 (TBCTL 0x180, TBCCTL0-6 0x182-0x18E, TBR 0x190, TBCCR0-6 0x192-0x19E,
 * TBIV 0x11E). Counters are computed lazily from the clock module; only the next compare/overflow is an
 * event. Capture inputs (F1611): TA CCI0A=P1.1 CCI0B=P2.2, CCI1A=P1.2 CCI1B=CAOUT(0), CCI2A=P1.3
 * CCI2B=ACLK; TB CCIxA=CCIxB=P4.x for x=0..6 except CCI6B=ACLK. Pins reach the timer through the port
 * module when PxSEL selects the peripheral function (port_set_input); external code may also drive
 * the capture inputs directly below. */
#ifndef ESSE_PERIPH_TIMER_H
#define ESSE_PERIPH_TIMER_H
#include "mote.h"

enum { TIMER_A = 0, TIMER_B = 1 };

/* Drive capture input CCIxA (sel 0) or CCIxB (sel 1) of compare/capture block `ccr`. A capture happens
 * on the edge(s) selected by CM when CCIS selects that input and CAP = 1. */
void timer_capture_input(mote_t *m, int timer, int ccr, int sel, int level);
/* Timer_B CCIxA and CCIxB both = P4.x: the CC2420 SFD (P4.1) is ccr 1. A device wired to a pin should
 * call port_set_input() (PxIN, edge flags, and this capture input when PxSEL selects the timer);
 * calling both would count each edge twice. These entry points bypass the port. */
void timer_b_capture_input(mote_t *m, int ccr, int level);
void timer_a_capture_input(mote_t *m, int ccr, int sel, int level);
/* Current counter value (TAR / TBR) without side effects on flags other than those due by now. */
uint16_t timer_counter(mote_t *m, int timer);

/* DMA controller (periph_dma.c): clear CCIFG of ccr (0 or 2) as a transfer it triggered starts; plan
 * compare events again after the set of DMA-watched CCRs changed. */
void timer_dma_clear(mote_t *m, int timer, int ccr);
void timer_dma_watch_changed(mote_t *m);

void timer_attach(mote_t *m);
void timer_reset(mote_t *m, int por);
void timer_detach(mote_t *m);
#endif
