/* periph_clk.h — Basic Clock module (DCOCTL 0x56, BCSCTL1 0x57, BCSCTL2 0x58) and the time base.
 *
 * m->now counts MCLK cycles. Simulated time is kept separately as an exact fixed-point value in units of
 * 2^-32 LFXT1 (32 768 Hz) periods, advanced by (cycles * 32768 * 2^32 / mclk_hz) and rebased whenever
 * the MCLK frequency changes, so 32 768 ACLK ticks are exactly one simulated second whatever the DCO
 * does. Clocks derived from the DCO (MCLK, SMCLK) are counted in the cycle domain (exact divider
 * ratios); ACLK and the ADC12 oscillator are counted in the time domain.
 *
 * DCO model (VCC 3 V, 25 C, data-sheet typical): f(RSEL, DCO = 3) = 130, 180, 280, 470, 750 kHz,
 * 1.3, 2.0, 3.2 MHz for RSEL 0..7, times 2.1^((DCO - 3) / 7) (fDCO(RSEL,7) = 2.1 x fDCO(RSEL,0));
 * 750 kHz after reset. MOD mixes f(DCO) and f(DCO+1) over 32 DCO periods (no effect at DCO = 7).
 * DCOR (external resistor) is treated as the internal resistor. MCLK and SMCLK always run from the
 * DCO: SELM/SELS are stored but XT2/LFXT1 as MCLK/SMCLK source are not modelled (the Sky has no XT2).
 * LPM clock gating follows the CPU mode: SCG1 (LPM2-4) stops SMCLK, OSCOFF (LPM4) stops ACLK. SMCLK
 * keeps its own base cycle: stopping or restarting it (every LPM3 entry and wake-up) leaves the cycle ->
 * time mapping untouched, so it is rebased only when MCLK's frequency changes or LFXT1 stops or starts
 * (a rebase floors the time at its cycle: hundreds a mote-second drifted by a few ns an hour).
 */
#ifndef ESSE_PERIPH_CLK_H
#define ESSE_PERIPH_CLK_H
#include "mote.h"

#define CLK_LFXT1_HZ 32768u
#define CLK_ADC12OSC_HZ 5000000u

enum clk_source {
    CLK_SRC_NONE = 0,  /* external pin clocks (TACLK, INCLK, UCLKI): never tick */
    CLK_SRC_ACLK,      /* LFXT1 / DIVA */
    CLK_SRC_SMCLK,     /* DCO / DIVS */
    CLK_SRC_MCLK,      /* DCO / DIVM (= one tick per m->now cycle) */
    CLK_SRC_LFXT1,     /* undivided 32 768 Hz */
    CLK_SRC_ADC12OSC,  /* ADC12 internal oscillator, 5 MHz */
    CLK_SRC_DCO        /* undivided DCO */
};

/* Current frequency of a source in Hz (rounded). m->mclk_hz == clk_freq_hz(m, CLK_SRC_MCLK). */
uint32_t clk_freq_hz(mote_t *m, int src);
/* DCO frequency for given settings (no side effects): for calibration tests. */
uint32_t clk_dco_model_hz(int rsel, int dco, int mod);
/* Ticks (rising edges) of `src` since power-on at cycle m->now. Monotonic while the source's
 * configuration is unchanged; a divider change may jump it (listeners resync). CLK_SRC_NONE: 0. */
uint64_t clk_ticks(mote_t *m, int src);
uint64_t clk_ticks_at(mote_t *m, int src, uint64_t cycle); /* cycle >= last clock change */
/* First cycle (>= last clock change) at which clk_ticks(src) >= tick; UINT64_MAX for CLK_SRC_NONE. */
uint64_t clk_cycle_of_tick(mote_t *m, int src, uint64_t tick);

/* Simulated time. */
uint64_t clk_now_ns(mote_t *m);
uint64_t clk_cycle_to_ns(mote_t *m, uint64_t cycle); /* cycle >= last clock change */
uint64_t clk_cycle_at_ns(mote_t *m, uint64_t ns);    /* first cycle whose time is >= ns */
uint64_t clk_aclk_ticks(mote_t *m);                  /* ACLK (after DIVA) ticks since power-on */
/* Cycles from now until the ACLK tick count reaches n (0 if already reached). */
uint64_t clk_cycles_until_aclk_tick(mote_t *m, uint64_t n);
/* LFXT1 half-period edge: first cycle at which time >= (k + 1/2) LFXT1 periods (falling edges). */
uint64_t clk_cycle_of_lfxt1_half(mote_t *m, uint64_t k);

/* Run the mote until simulated time `ns` exactly (the DCO may change on the way); returns mote_run's
 * code (MOTE_OK, or the fault/stop that ended the run early). */
int clk_run_until_ns(mote_t *m, uint64_t ns);

/* Clock configuration changes: every listener is called with phase 0 just before (old mapping
 * still valid: sync your counters) and with phase 1 just after (reschedule your events). */
typedef void (*clk_change_fn)(mote_t *m, void *ctx, int phase);
int clk_add_listener(mote_t *m, clk_change_fn fn, void *ctx); /* -1: full (mote_setup_error) */
/* 1 while the listeners hear an LPM gating change (SMCLK or LFXT1 stopped or started, DCO and
 * dividers unchanged): every clock's tick count at the present cycle is the same before and after,
 * so a listener need not carry counts across; its events' cycles must still be recomputed. */
int clk_change_is_gating(mote_t *m);
/* 1 while the gating change is SMCLK's alone (SCG1 set or cleared, LFXT1 running on): the cycle ->
 * time mapping, ACLK and every event scheduled by time stay as they are; only SMCLK's count stops
 * or restarts at the present cycle. A listener that does not count SMCLK has nothing to do. */
int clk_change_is_smclk_gating(mote_t *m);

void clk_attach(mote_t *m);
void clk_reset(mote_t *m, int por);
void clk_detach(mote_t *m);
#endif
