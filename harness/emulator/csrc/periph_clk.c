/* periph_clk.c — Basic Clock module and the exact time base (see periph_clk.h). */
#include <stdlib.h>
#include "periph.h"

typedef unsigned __int128 u128;

#define CLK_MAX_LISTENERS 16
/* time unit: 2^-32 LFXT1 periods -> one second = 32768 * 2^32 units */
#define T_PER_SEC ((u128)CLK_LFXT1_HZ << 32)

typedef struct {
    uint8_t dcoctl, bcsctl1, bcsctl2;
    uint32_t dco_hz;
    unsigned divm, divs, diva;
    /* mapping valid from cycle base_c on */
    uint64_t base_c;
    u128 base_t;          /* simulated time at base_c */
    uint64_t sm_base;     /* SMCLK-domain DCO periods elapsed at sm_base_c (frozen while SMCLK is off) */
    uint64_t sm_base_c;   /* SMCLK's own base cycle: its gating moves it, not the time base */
    int smclk_on;         /* SCG1 = 0 */
    int lfxt_on;          /* OSCOFF = 0 */
    u128 lfxt_lost;       /* time LFXT1 spent stopped (ACLK ticks derive from time - lost) */
    u128 lfxt_frozen_t;   /* while stopped: LFXT1 time at the stop */
    struct { clk_change_fn fn; void *ctx; } lis[CLK_MAX_LISTENERS];
    int nlis;
    uint64_t run_target_ns; /* clk_run_until_ns in progress: the time it must stop at; 0: none */
    u128 run_target_t;      /* ns_to_t(run_target_ns) */
    int gating;             /* clk_mode_hook is notifying: 1, or 2 for SMCLK alone (clk_change_is_gating) */
    uint32_t gen;           /* bumped whenever the cycle -> time mapping changes (rebase) */
    /* time_at without a division: 2^47 = rq * rf + rr, rinv = (2^64 - 1) / rf (rf: the MCLK they
     * were computed for, 0: none yet) */
    uint32_t rf;
    uint64_t rq, rr, rinv;
    /* the last time_at result, for (cycle, gen, MCLK) (an LPM change asks for now's time several
     * times: the power tracker, the rebase, a timer) */
    uint64_t tc_c;
    uint32_t tc_gen, tc_f;
    u128 tc_t;
} clk_state_t;

static clk_state_t *st(mote_t *m) { return (clk_state_t *)m->periph[PERIPH_SLOT_CLK]; }

/* Typical f(RSEL, DCO = 3) at 3 V, 25 C from the MSP430F14x/F16x data sheets (Hz), and the DCO step
 * ratio from fDCO(RSEL,7) = 2.1 x fDCO(RSEL,0): 2.1^(1/7) per DCO step. */
static const double dco3_hz[8] = {130e3, 180e3, 280e3, 470e3, 750e3, 1.3e6, 2.0e6, 3.2e6};
#define DCO_STEP 1.11178 /* 2.1 ** (1 / 7) */
/* DCO_STEP ** (DCO - 3) for DCO = 0..7 (no libm needed) */
static const double dco_scale[8] = {1.0 / (DCO_STEP * DCO_STEP * DCO_STEP), 1.0 / (DCO_STEP * DCO_STEP),
                                    1.0 / DCO_STEP, 1.0, DCO_STEP, DCO_STEP * DCO_STEP,
                                    DCO_STEP * DCO_STEP * DCO_STEP,
                                    DCO_STEP * DCO_STEP * DCO_STEP * DCO_STEP};

uint32_t clk_dco_model_hz(int rsel, int dco, int mod)
{
    double f0 = dco3_hz[rsel & 7] * dco_scale[dco & 7];
    if (dco >= 7 || mod == 0) return (uint32_t)(f0 + 0.5);
    double f1 = f0 * DCO_STEP;
    /* MOD of 32 DCO periods use f(DCO+1), the others f(DCO) */
    double period = ((32 - mod) / f0 + mod / f1) / 32.0;
    return (uint32_t)(1.0 / period + 0.5);
}

/* n / d, the same quotient as the 128-bit division: long division in two 64-bit steps, the second a
 * single DIVQ (its dividend's high word, a remainder, is below d, so it cannot overflow). The generic
 * __udivti3 this replaces ran several times per member run and event (clock conversions). */
static inline u128 udiv128_64(u128 n, uint64_t d)
{
#if defined(__x86_64__)
    uint64_t hi = (uint64_t)(n >> 64), lo = (uint64_t)n, qhi = 0, qlo, rem;
    if (hi >= d) {
        qhi = hi / d;
        hi %= d;
    }
    __asm__("divq %[d]" : "=a"(qlo), "=d"(rem) : "a"(lo), "d"(hi), [d] "rm"(d) : "cc");
    (void)rem;
    return (u128)qhi << 64 | qlo;
#else
    return n / d;
#endif
}

static void set_recip(clk_state_t *s, uint32_t f)
{
    s->rf = f;
    s->rq = ((uint64_t)1 << 47) / f;
    s->rr = ((uint64_t)1 << 47) % f;
    s->rinv = UINT64_MAX / f;
}

/* x / f for the f of set_recip: the reciprocal's quotient is at most 2 short (x < 2^64), the
 * remainder then says by how much. */
static inline uint64_t div_recip(const clk_state_t *s, uint64_t x)
{
    uint64_t q = (uint64_t)(((u128)x * s->rinv) >> 64), r = x - q * s->rf;
    while (r >= s->rf) {
        q++;
        r -= s->rf;
    }
    return q;
}

/* Time at cycle c: base_t + floor(d * 2^47 / f) with d = c - base_c. Per member run and event this
 * ran a 128-bit division; d * 2^47 = d * rq * f + d * rr gives the same quotient from one 64-bit
 * reciprocal division while d * rr fits 64 bits (d < 2^40 cycles since the last clock change, f
 * below 2^24 Hz), the division otherwise. */
static u128 time_at(clk_state_t *s, mote_t *m, uint64_t c)
{
    if (c <= s->base_c) return s->base_t; /* d = 0 */
    uint32_t f = m->mclk_hz;
    if (c == s->tc_c && s->gen == s->tc_gen && f == s->tc_f) return s->tc_t;
    uint64_t d = c - s->base_c;
    if (__builtin_expect(f != s->rf, 0)) set_recip(s, f);
    u128 t;
    if (d < ((uint64_t)1 << 40) && f < (1u << 24))
        t = s->base_t + (u128)d * s->rq + div_recip(s, d * s->rr);
    else
        t = s->base_t + udiv128_64((u128)d * T_PER_SEC, f);
    s->tc_c = c;
    s->tc_gen = s->gen;
    s->tc_f = f;
    s->tc_t = t;
    return t;
}

/* first cycle >= base_c whose time is >= t */
static uint64_t cycle_at(clk_state_t *s, mote_t *m, u128 t)
{
    if (t <= s->base_t) return s->base_c;
    u128 num = (t - s->base_t) * m->mclk_hz;
    u128 d = (num + T_PER_SEC - 1) / T_PER_SEC;
    return s->base_c + (uint64_t)d;
}

static u128 lfxt_time_at(clk_state_t *s, mote_t *m, uint64_t c)
{
    if (!s->lfxt_on) return s->lfxt_frozen_t;
    return time_at(s, m, c) - s->lfxt_lost;
}

static uint64_t smclk_dco_at(clk_state_t *s, uint64_t c)
{
    if (c < s->sm_base_c) c = s->sm_base_c;
    return s->sm_base + (s->smclk_on ? ((c - s->sm_base_c) << s->divm) : 0);
}

uint64_t clk_ticks_at(mote_t *m, int src, uint64_t c)
{
    clk_state_t *s = st(m);
    switch (src) {
    case CLK_SRC_ACLK: return (uint64_t)(lfxt_time_at(s, m, c) >> 32) >> s->diva;
    case CLK_SRC_LFXT1: return (uint64_t)(lfxt_time_at(s, m, c) >> 32);
    case CLK_SRC_SMCLK: return smclk_dco_at(s, c) >> s->divs;
    case CLK_SRC_MCLK: return c;
    case CLK_SRC_DCO: return c << s->divm; /* approximate across DIVM changes; monotonic within one */
    case CLK_SRC_ADC12OSC: return (uint64_t)(time_at(s, m, c) * CLK_ADC12OSC_HZ / T_PER_SEC);
    default: return 0;
    }
}

uint64_t clk_ticks(mote_t *m, int src) { return clk_ticks_at(m, src, m->now); }

uint64_t clk_cycle_of_tick(mote_t *m, int src, uint64_t tick)
{
    clk_state_t *s = st(m);
    switch (src) {
    case CLK_SRC_ACLK:
    case CLK_SRC_LFXT1: {
        if (!s->lfxt_on) return UINT64_MAX;
        unsigned sh = src == CLK_SRC_ACLK ? s->diva : 0;
        return cycle_at(s, m, ((u128)tick << (32 + sh)) + s->lfxt_lost);
    }
    case CLK_SRC_SMCLK: {
        uint64_t target = tick << s->divs;
        if (target <= s->sm_base) return s->sm_base_c;
        if (!s->smclk_on) return UINT64_MAX;
        uint64_t need = target - s->sm_base, step = 1ull << s->divm;
        return s->sm_base_c + (need + step - 1) / step;
    }
    case CLK_SRC_MCLK: return tick;
    case CLK_SRC_DCO: return (tick + (1ull << s->divm) - 1) >> s->divm;
    case CLK_SRC_ADC12OSC:
        return cycle_at(s, m, udiv128_64((u128)tick * T_PER_SEC + CLK_ADC12OSC_HZ - 1, CLK_ADC12OSC_HZ));
    default: return UINT64_MAX;
    }
}

uint32_t clk_freq_hz(mote_t *m, int src)
{
    clk_state_t *s = st(m);
    switch (src) {
    case CLK_SRC_ACLK: return s->lfxt_on ? CLK_LFXT1_HZ >> s->diva : 0;
    case CLK_SRC_LFXT1: return s->lfxt_on ? CLK_LFXT1_HZ : 0;
    case CLK_SRC_SMCLK: return s->smclk_on ? s->dco_hz >> s->divs : 0;
    case CLK_SRC_MCLK: return m->mclk_hz;
    case CLK_SRC_DCO: return s->dco_hz;
    case CLK_SRC_ADC12OSC: return CLK_ADC12OSC_HZ;
    default: return 0;
    }
}

uint64_t clk_cycle_to_ns(mote_t *m, uint64_t cycle)
{
    return (uint64_t)(time_at(st(m), m, cycle) * 1000000000u / T_PER_SEC);
}

uint64_t clk_now_ns(mote_t *m) { return clk_cycle_to_ns(m, m->now); }

/* ceil(ns * T_PER_SEC / 10^9), the time unit count of ns: T_PER_SEC / 10^9 = 2^38 / 5^9, and with
 * ns = a * 5^9 + b that is a * 2^38 + ceil(b * 2^38 / 5^9), whose divisions by a constant the
 * compiler turns into multiplications. */
static u128 ns_to_t(uint64_t ns)
{
    const uint64_t p5 = 1953125u; /* 5^9 */
    uint64_t a = ns / p5, b = ns % p5;
    return ((u128)a << 38) + ((b << 38) + p5 - 1) / p5;
}

uint64_t clk_cycle_at_ns(mote_t *m, uint64_t ns) { return cycle_at(st(m), m, ns_to_t(ns)); }

uint64_t clk_aclk_ticks(mote_t *m) { return clk_ticks(m, CLK_SRC_ACLK); }

uint64_t clk_cycles_until_aclk_tick(mote_t *m, uint64_t n)
{
    uint64_t c = clk_cycle_of_tick(m, CLK_SRC_ACLK, n);
    if (c == UINT64_MAX) return UINT64_MAX;
    return c > m->now ? c - m->now : 0;
}

uint64_t clk_cycle_of_lfxt1_half(mote_t *m, uint64_t k)
{
    clk_state_t *s = st(m);
    if (!s->lfxt_on) return UINT64_MAX;
    return cycle_at(s, m, ((u128)k << 32) + ((u128)1 << 31) + s->lfxt_lost);
}

int clk_add_listener(mote_t *m, clk_change_fn fn, void *ctx)
{
    clk_state_t *s = st(m);
    if (s->nlis >= CLK_MAX_LISTENERS)
        return mote_setup_fail("clk_add_listener: all %d listener slots taken", CLK_MAX_LISTENERS);
    s->lis[s->nlis].fn = fn;
    s->lis[s->nlis].ctx = ctx;
    s->nlis++;
    return 0;
}

int clk_change_is_gating(mote_t *m) { return st(m)->gating != 0; }

int clk_change_is_smclk_gating(mote_t *m) { return st(m)->gating == 2; }

static void notify(mote_t *m, int phase)
{
    clk_state_t *s = st(m);
    for (int i = 0; i < s->nlis; i++) s->lis[i].fn(m, s->lis[i].ctx, phase);
    if (phase == 1 && s->run_target_ns) {
        /* mote_run() stops at a cycle computed at the old setting: move the stop to the cycle of the
         * same simulated time, so the run ends exactly at its target whatever the firmware does (SMCLK
         * gating keeps the mapping, and with it the stop). */
        if (s->gating != 2) {
            uint64_t c = cycle_at(s, m, s->run_target_t); /* = clk_cycle_at_ns(m, run_target_ns) */
            m->run_until = c > m->now ? c : m->now;
        }
        m->next_check = 0; /* re-evaluate the limit before the next instruction */
    }
}

/* now's time is below ns exactly when now is below the first cycle at ns (cycle_at), so one
 * conversion per pass decides both; a run that reached its limit under an unchanged mapping (gen)
 * stands at that cycle, and after a change notify() moved the limit to the new one (a PUC's
 * clk_reset does not: the pass is repeated). */
int clk_run_until_ns(mote_t *m, uint64_t ns)
{
    clk_state_t *s = st(m);
    int rc = MOTE_OK;
    u128 t = ns_to_t(ns);
    s->run_target_ns = ns;
    s->run_target_t = t;
    for (;;) {
        uint64_t c = cycle_at(s, m, t);
        if (m->now >= c)
            break;
        uint32_t gen = s->gen;
        rc = mote_run(m, c);
        if (rc != MOTE_OK || s->gen == gen)
            break;
    }
    s->run_target_ns = 0;
    return rc;
}

/* Move the base to now under the old mapping, so a new mapping can start here. */
/* SMCLK's count restarts from its value at cycle c (before a gating or a divider change). */
static void smclk_rebase(clk_state_t *s, uint64_t c)
{
    s->sm_base = smclk_dco_at(s, c);
    s->sm_base_c = c;
}

static void rebase(clk_state_t *s, mote_t *m)
{
    uint64_t c = m->now;
    s->base_t = time_at(s, m, c);
    smclk_rebase(s, c);
    s->base_c = c;
    s->gen++;
}

static void apply_regs(clk_state_t *s, mote_t *m)
{
    int rsel = s->bcsctl1 & 7, dco = s->dcoctl >> 5, mod = s->dcoctl & 31;
    s->dco_hz = clk_dco_model_hz(rsel, dco, mod);
    s->diva = (s->bcsctl1 >> 4) & 3;
    s->divm = (s->bcsctl2 >> 4) & 3;
    s->divs = (s->bcsctl2 >> 1) & 3;
    m->mclk_hz = s->dco_hz >> s->divm;
    if (m->mclk_hz == 0) m->mclk_hz = 1;
}

static void reconfigure(mote_t *m, uint8_t dcoctl, uint8_t bcsctl1, uint8_t bcsctl2)
{
    clk_state_t *s = st(m);
    notify(m, 0);
    rebase(s, m);
    s->dcoctl = dcoctl;
    s->bcsctl1 = bcsctl1;
    s->bcsctl2 = bcsctl2;
    apply_regs(s, m);
    notify(m, 1);
}

static uint16_t clk_read(mote_t *m, void *ctx, uint16_t addr, int is_byte)
{
    (void)ctx;
    clk_state_t *s = st(m);
    uint8_t regs[4] = {s->dcoctl, s->bcsctl1, s->bcsctl2, 0};
    unsigned i = addr - 0x56u;
    uint16_t v = i < 4 ? regs[i] : 0;
    if (!is_byte && i + 1 < 4) v |= (uint16_t)(regs[i + 1] << 8);
    return v;
}

static void clk_write(mote_t *m, void *ctx, uint16_t addr, uint16_t value, int is_byte)
{
    (void)ctx;
    clk_state_t *s = st(m);
    uint8_t regs[4] = {s->dcoctl, s->bcsctl1, s->bcsctl2, 0};
    unsigned i = addr - 0x56u;
    if (i < 3) regs[i] = (uint8_t)value;
    if (!is_byte && i + 1 < 3) regs[i + 1] = (uint8_t)(value >> 8);
    reconfigure(m, regs[0], regs[1], regs[2]);
}

/* LPM clock gating: SCG1 (LPM2-4) stops SMCLK, OSCOFF (LPM4) stops LFXT1/ACLK. SMCLK alone (AM or
 * LPM0/1 <-> LPM2/3, every wake-up of a sleeping mote) freezes or restarts SMCLK's own count at now
 * and leaves the cycle -> time mapping as it is (gating 2: listeners that do not count SMCLK have
 * nothing to do); LFXT1 stopping or starting rebases the time base (gating 1). */
static void clk_mode_hook(mote_t *m, void *ctx, int component, int old_mode, int new_mode)
{
    (void)ctx;
    (void)old_mode;
    if (component != 0) return;
    clk_state_t *s = st(m);
    int sm_on = !(new_mode == CPU_MODE_LPM2 || new_mode == CPU_MODE_LPM3 || new_mode == CPU_MODE_LPM4);
    int lf_on = new_mode != CPU_MODE_LPM4;
    if (sm_on == s->smclk_on && lf_on == s->lfxt_on) return;
    int smclk_only = lf_on == s->lfxt_on;
    s->gating = smclk_only ? 2 : 1;
    notify(m, 0);
    if (smclk_only) {
        smclk_rebase(s, m->now);
    } else {
        rebase(s, m);
        u128 t = s->base_t;
        if (!lf_on) s->lfxt_frozen_t = t - s->lfxt_lost;
        else s->lfxt_lost = t - s->lfxt_frozen_t;
        s->lfxt_on = lf_on;
    }
    s->smclk_on = sm_on;
    notify(m, 1);
    s->gating = 0;
}

void clk_attach(mote_t *m)
{
    clk_state_t *s = calloc(1, sizeof *s);
    m->periph[PERIPH_SLOT_CLK] = s;
    mote_map_io(m, 0x56, 0x59, clk_read, clk_write, NULL);
    mote_on_mode_change(m, clk_mode_hook, NULL);
    m->time_ns = clk_now_ns; /* the power tracker's nanoseconds come from this time base */
    s->dcoctl = 0x60;
    s->bcsctl1 = 0x84;
    s->smclk_on = s->lfxt_on = 1;
    apply_regs(s, m);
}

void clk_reset(mote_t *m, int por)
{
    clk_state_t *s = st(m);
    if (por && m->now == 0) {
        /* power-on at cycle 0: simulated time starts at 0 too (otherwise time stays continuous) */
        s->base_c = 0;
        s->base_t = 0;
        s->gen++;
        s->sm_base = 0;
        s->sm_base_c = 0;
        s->lfxt_lost = 0;
        s->smclk_on = s->lfxt_on = 1;
    }
    if (!s->smclk_on || !s->lfxt_on) {
        /* a PUC leaves active mode: clocks run again */
        rebase(s, m);
        if (!s->lfxt_on) s->lfxt_lost = s->base_t - s->lfxt_frozen_t;
        s->smclk_on = s->lfxt_on = 1;
    }
    rebase(s, m);
    s->dcoctl = 0x60;
    s->bcsctl1 = 0x84;
    s->bcsctl2 = 0x00;
    apply_regs(s, m);
}

void clk_detach(mote_t *m)
{
    m->time_ns = NULL;
    free(m->periph[PERIPH_SLOT_CLK]);
    m->periph[PERIPH_SLOT_CLK] = NULL;
}
