/* periph_sfr.h — special function registers IE1/IE2/IFG1/IFG2/ME1/ME2 (0x0000-0x0005) and the NMI line.
 * Several modules keep their enable/flag bits here (USART0/1, watchdog, oscillator fault, flash ACCV,
 * NMI pin); they use this small API instead of touching memory, and register a listener to recompute
 * their interrupt lines when software writes an SFR. */
#ifndef ESSE_PERIPH_SFR_H
#define ESSE_PERIPH_SFR_H
#include "mote.h"

enum { SFR_IE1 = 0, SFR_IE2 = 1, SFR_IFG1 = 2, SFR_IFG2 = 3, SFR_ME1 = 4, SFR_ME2 = 5, SFR_COUNT = 6 };
/* IE1 / IFG1 bits */
#define SFR1_WDT 0x01u    /* WDTIE / WDTIFG */
#define SFR1_OF 0x02u     /* OFIE / OFIFG (oscillator fault, NMI vector) */
#define SFR1_NMI 0x10u    /* NMIIE / NMIIFG */
#define SFR1_ACCV 0x20u   /* ACCVIE (IE1 only; the flag ACCVIFG is in FCTL3) */
#define SFR1_URX0 0x40u   /* URXIE0 / URXIFG0 ; ME1: URXE0 / USPIE0 */
#define SFR1_UTX0 0x80u   /* UTXIE0 / UTXIFG0 ; ME1: UTXE0 */
/* IE2 / IFG2 / ME2 bits */
#define SFR2_URX1 0x10u   /* URXIE1 / URXIFG1 ; ME2: URXE1 / USPIE1 */
#define SFR2_UTX1 0x20u   /* UTXIE1 / UTXIFG1 ; ME2: UTXE1 */

/* IE1/IFG1 bits the NMI line depends on. */
#define SFR1_NMI_BITS (SFR1_NMI | SFR1_OF | SFR1_ACCV)

uint8_t sfr_get(mote_t *m, int reg);
/* The six SFR bytes (index SFR_IE1..): they live at their addresses, m->mem[SFR_IE1..SFR_ME2], so the
 * CPU reads them as memory (no read hook). */
static inline const uint8_t *sfr_regs(mote_t *m) { return m->mem; }
/* The NMI line from IE1/IFG1 and the pending ACCV (called by the two below when it can move). */
void sfr_update_nmi(mote_t *m);
/* Hardware sets / clears flags (no listener call). Inline: the USARTs call them for every SPI byte. */
static inline void sfr_set_bits(mote_t *m, int reg, uint8_t bits)
{
    m->mem[reg] |= bits;
    if ((bits & SFR1_NMI_BITS) && (reg == SFR_IFG1 || reg == SFR_IE1)) sfr_update_nmi(m);
}
static inline void sfr_clear_bits(mote_t *m, int reg, uint8_t bits)
{
    m->mem[reg] &= (uint8_t)~bits;
    if ((bits & SFR1_NMI_BITS) && (reg == SFR_IFG1 || reg == SFR_IE1)) sfr_update_nmi(m);
}

/* Called after every software write to an SFR byte, so owners recompute their interrupt lines. */
typedef void (*sfr_listener_fn)(mote_t *m, void *ctx);
int sfr_add_listener(mote_t *m, sfr_listener_fn fn, void *ctx); /* -1: full (mote_setup_error) */

/* Extra NMI sources outside the SFRs (flash ACCVIFG): the owner reports its pending level here. */
void sfr_set_accv_pending(mote_t *m, int pending);

/* Drive the RST/NMI pin (only meaningful when WDTNMI selects NMI; edge per WDTNMIES). */
void sfr_nmi_pin(mote_t *m, int level);

/* internal: called by the framework through periph.c */
void sfr_attach(mote_t *m);
void sfr_reset(mote_t *m, int por);
void sfr_detach(mote_t *m);
#endif
