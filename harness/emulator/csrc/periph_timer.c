/* periph_timer.c — Timer_A3 and Timer_B7 (see periph_timer.h). One implementation, two instances.
 *
 * The counter is not ticked: it is kept as (value, direction) at a known count of timer input ticks
 * (clock source ticks since div_base, divided by 2^ID), and advanced on demand (register access,
 * event, clock change). Advancing walks from one "event point" (compare match, zero, top) to the next,
 * setting flags; an event is scheduled only for the next point whose interrupt is enabled. */
#include <stdlib.h>
#include "periph.h"

#define CCTL_CM 0xC000u
#define CCTL_CCIS 0x3000u
#define CCTL_CLLD 0x0600u /* Timer_B only */
#define CCTL_CAP 0x0100u
#define CCTL_CCIE 0x0010u
#define CCTL_CCI 0x0008u
#define CCTL_COV 0x0002u
#define CCTL_CCIFG 0x0001u
#define CTL_CLR 0x0004u
#define CTL_IE 0x0002u
#define CTL_IFG 0x0001u

typedef struct {
    mote_t *m; /* its mote (DMA triggers) */
    uint8_t dma_bits; /* bit x: a DMA channel watches CCR x's CCIFG (set by timer_dma_watch_changed) */
    int which, nccr;
    uint16_t a_ctl, a_cctl, a_r, a_ccr, a_iv;
    int vec0, vec1;
    uint16_t ctl, cctl[7], ccr[7], cl[7];
    uint8_t latch_pending[7];
    uint16_t r;
    int down;
    int src;
    uint64_t div_base;   /* source tick at which the divided count is 0 */
    uint64_t last_T;     /* divided ticks at last sync */
    uint64_t src_before; /* clock change bookkeeping */
    uint8_t cci[7][2];   /* external capture input levels */
    mote_event_t ev;     /* next compare / zero with interrupt enabled */
    mote_event_t aclk_ev; /* next ACLK edge for a capture block whose input is ACLK */
    int aclk_ccr;        /* which block has ACLK as input B (TA: 2, TB: 6) */
    uint64_t aclk_half;  /* half-LFXT1-period index of the scheduled edge */
    /* Caches, exact by construction (the slow walk and schedule() stay the reference):
     * pt_T: divided tick at which advance() next reaches an event point (zero, top, compare or
     * latch value; UINT64_MAX: the counter stands), 0: unknown. Before it the counter only moves,
     * by pt_dir (+1 up, -1 down, 0 stands), so a sync needs no walk.
     * sched_ok: ev_tick (the source tick schedule() aimed ev at; ev_none: it found none) is what
     * schedule() would compute again. Moving without reaching a point keeps it (every point
     * schedule() may aim at is one of advance()'s), any other state change clears it.
     * lines_ok: l0 / l1 are the interrupt line levels of the present flags (cleared with sched_ok). */
    uint64_t pt_T;
    int pt_dir;
    int sched_ok, ev_none;
    uint64_t ev_tick;
    int lines_ok;
    unsigned l0, l1;
} tmr_t;

static tmr_t *tm(mote_t *m, int which) { return (tmr_t *)m->periph[which == TIMER_A ? PERIPH_SLOT_TIMER_A : PERIPH_SLOT_TIMER_B]; }

static int mode_of(tmr_t *t) { return (t->ctl >> 4) & 3; }
static unsigned id_of(tmr_t *t) { return (t->ctl >> 6) & 3; }
static int src_of(tmr_t *t)
{
    switch ((t->ctl >> 8) & 3) {
    case 1: return CLK_SRC_ACLK;
    case 2: return CLK_SRC_SMCLK;
    default: return CLK_SRC_NONE; /* TACLK / INCLK pins: not driven */
    }
}
static uint32_t maxval(tmr_t *t)
{
    if (t->which == TIMER_A) return 0xFFFF;
    static const uint32_t len[4] = {0xFFFF, 0x0FFF, 0x03FF, 0x00FF};
    return len[(t->ctl >> 11) & 3];
}
static uint32_t top_of(tmr_t *t) { return t->cl[0]; }

/* Period in ticks of the current mode and the phase of the counter in it; 0 = not counting. */
static uint32_t period_of(tmr_t *t)
{
    switch (mode_of(t)) {
    case 1: return top_of(t) ? top_of(t) + 1 : 0;
    case 2: return maxval(t) + 1;
    case 3: return top_of(t) ? 2 * top_of(t) : 0;
    default: return 0;
    }
}
static uint32_t phase_of(tmr_t *t)
{
    if (mode_of(t) == 3 && t->down && t->r != 0 && t->r < top_of(t)) return 2 * top_of(t) - t->r;
    return t->r;
}
static void set_phase(tmr_t *t, uint32_t p)
{
    if (mode_of(t) == 3) {
        uint32_t top = top_of(t);
        t->down = p >= top; /* the direction flips on reaching CCR0 */
        t->r = (uint16_t)(p > top ? 2 * top - p : p);
    } else {
        t->r = (uint16_t)p;
    }
}
/* ticks from phase p to phase q (1..period) */
static uint32_t dist(uint32_t p, uint32_t q, uint32_t period) { return (q + period - p - 1) % period + 1; }

/* Distance from the current phase to the next tick at which the counter reaches value v. */
static uint32_t dist_to_value(tmr_t *t, uint32_t v, uint32_t period, uint32_t p)
{
    int mode = mode_of(t);
    if (mode == 3) {
        uint32_t top = top_of(t);
        if (v > top) return UINT32_MAX;
        uint32_t d = dist(p, v, period);
        if (v != 0 && v != top) {
            uint32_t d2 = dist(p, 2 * top - v, period);
            if (d2 < d) d = d2;
        }
        return d;
    }
    if (v >= period) return UINT32_MAX;
    return dist(p, v, period);
}

static int is_compare(tmr_t *t, int x) { return !(t->cctl[x] & CCTL_CAP); }

/* Flags or compare state may have changed: lines and event target are computed again. */
static void dirty(tmr_t *t)
{
    t->sched_ok = 0;
    t->lines_ok = 0;
}

/* Timer state changed outside a plain move of the counter: every cache is recomputed. */
static void forget(tmr_t *t)
{
    t->pt_T = 0;
    dirty(t);
}

/* mote_irq_set only where a line changes (setting a line to its level is a no-op there) */
static __attribute__((noinline)) void compute_lines(tmr_t *t)
{
    _Static_assert(CCTL_CCIE == CCTL_CCIFG << 4, "CCIE & CCIFG by one shift");
    unsigned acc = 0;
    for (int x = 1; x < t->nccr; x++) acc |= t->cctl[x] & (t->cctl[x] >> 4u);
    t->l0 = t->cctl[0] & (t->cctl[0] >> 4u) & 1u;
    t->l1 = ((acc & CCTL_CCIFG) | (t->ctl & (t->ctl >> 1u) & CTL_IFG)) != 0;
    t->lines_ok = 1;
}

static inline void update_irq(mote_t *m, tmr_t *t)
{
    if (!t->lines_ok) compute_lines(t);
    if (t->l0 != ((m->irq_lines >> t->vec0) & 1u)) mote_irq_set(m, t->vec0, (int)t->l0);
    if (t->l1 != ((m->irq_lines >> t->vec1) & 1u)) mote_irq_set(m, t->vec1, (int)t->l1);
}

/* Timer_B compare latch loads at the counter value v just reached. */
static void latch_at(tmr_t *t, uint32_t v)
{
    if (t->which != TIMER_B) return;
    int mode = mode_of(t);
    for (int x = 0; x < t->nccr; x++) {
        if (!t->latch_pending[x]) continue;
        unsigned clld = (t->cctl[x] & CCTL_CLLD) >> 9;
        int load = 0;
        if ((clld == 1 || clld == 2) && v == 0) load = 1;
        if (clld == 2 && mode == 3 && v == top_of(t)) load = 1;
        if (clld == 3 && v == t->cl[x]) load = 1;
        if (load) {
            t->cl[x] = t->ccr[x];
            t->latch_pending[x] = 0;
        }
    }
}

/* Flags for the counter having just reached value r (moving in the current direction). `wrap`:
 * it reached 0 by a regular period end (up: CCR0 -> 0; continuous: max -> 0; up/down: 1 -> 0),
 * not by rolling over after CCR0 was set below the count. */
static void reach_ex(tmr_t *t, int wrap)
{
    uint32_t r = t->r;
    for (int x = 0; x < t->nccr; x++)
        if (is_compare(t, x) && t->cl[x] == r) t->cctl[x] |= CCTL_CCIFG;
    if (r == 0 && wrap) t->ctl |= CTL_IFG;
    latch_at(t, r);
}

static void reach(tmr_t *t) { reach_ex(t, 1); }

/* DMA triggers (periph_dma.h): bit x set when an enabled DMA channel watches CCR x's CCIFG (TACCR0/2,
 * TBCCR0/2); 0 when none, the usual case. The timer's own copy: its hot paths touch no DMA state. */
static inline unsigned dma_ccrs(const tmr_t *t) { return t->dma_bits; }

/* CCIFG of the watched CCRs in `was_clear` rose: a DMA trigger unless CCIE is set (the guide's
 * "DMA Trigger Operation": the flag of an enabled interrupt does not trigger). */
static __attribute__((noinline, cold)) void dma_check(tmr_t *t, unsigned was_clear)
{
    for (int x = 0; x <= 2; x += 2)
        if (((was_clear >> x) & 1u) && (t->cctl[x] & (CCTL_CCIFG | CCTL_CCIE)) == CCTL_CCIFG)
            dma_trigger(t->m, t->which == TIMER_A ? (x ? DMA_TRIG_TACCR2 : DMA_TRIG_TACCR0)
                                                  : (x ? DMA_TRIG_TBCCR2 : DMA_TRIG_TBCCR0));
}

static void advance_walk(tmr_t *t, uint64_t n, uint64_t T);

/* Advance the counter by n input ticks, to divided tick T (= last_T); sets pt_T / pt_dir. Out of
 * line: sync_to's move between points then needs no registers saved. */
static __attribute__((noinline)) void advance(tmr_t *t, uint64_t n, uint64_t T)
{
    unsigned w = dma_ccrs(t);
    unsigned was_clear = w & ((~t->cctl[0] & CCTL_CCIFG) | ((~t->cctl[2] & CCTL_CCIFG) << 2));
    advance_walk(t, n, T);
    if (__builtin_expect(was_clear != 0, 0)) dma_check(t, was_clear);
}

static inline void advance_walk(tmr_t *t, uint64_t n, uint64_t T)
{
    forget(t); /* conservative: a walk may set flags or load latches */
    while (n > 0) {
        int mode = mode_of(t);
        uint32_t period = period_of(t);
        if (period == 0) {
            t->pt_T = UINT64_MAX; /* stands until a register write (which forgets) */
            t->pt_dir = 0;
            return;
        }
        if ((mode == 1 && t->r > top_of(t)) || (mode == 2 && t->r > maxval(t))) {
            /* CCR0 (or the counter length) set below the count: the counter rolls to zero */
            t->r = 0;
            t->down = 0;
            reach_ex(t, 0);
            n--;
            continue;
        }
        if (mode == 3 && t->r > top_of(t)) {
            /* CCR0 set below the count in up/down mode: the counter counts down to it */
            uint64_t k = t->r - top_of(t);
            if (k > n) k = n;
            uint32_t lo = (uint32_t)(t->r - k);
            for (int x = 0; x < t->nccr; x++)
                if (is_compare(t, x) && t->cl[x] >= lo && t->cl[x] < t->r) t->cctl[x] |= CCTL_CCIFG;
            t->r = (uint16_t)lo;
            t->down = 1;
            n -= k;
            continue;
        }
        uint32_t p = phase_of(t);
        /* next event point: zero, top, compare values */
        uint64_t dmin = dist(p, 0, period);
        if (mode == 3) {
            uint32_t d = dist(p, top_of(t), period);
            if (d < dmin) dmin = d;
        }
        for (int x = 0; x < t->nccr; x++) {
            if (!is_compare(t, x) && !t->latch_pending[x]) continue;
            uint32_t d = dist_to_value(t, t->cl[x], period, p);
            if (d < dmin) dmin = d;
        }
        if (dmin > n) {
            set_phase(t, (uint32_t)((p + n) % period));
            t->pt_T = T + (dmin - n); /* the same point, n ticks nearer */
            t->pt_dir = mode == 3 && t->down ? -1 : 1;
            return;
        }
        set_phase(t, (uint32_t)((p + dmin) % period));
        reach(t);
        n -= dmin;
        /* flags are idempotent: skip whole periods beyond the next two */
        if (n > 2ull * period) n = n % period + period;
    }
}

static uint64_t divided_ticks_at(mote_t *m, tmr_t *t, uint64_t cycle)
{
    if (t->src == CLK_SRC_NONE) return t->last_T;
    uint64_t k = clk_ticks_at(m, t->src, cycle);
    int64_t d = (int64_t)(k - t->div_base); /* div_base may be shifted by clock changes */
    if (d < 0) return 0;
    return (uint64_t)d >> id_of(t);
}

static inline void sync_to(mote_t *m, tmr_t *t, uint64_t cycle)
{
    uint64_t T = divided_ticks_at(m, t, cycle);
    if (T > t->last_T) {
        uint64_t n = T - t->last_T;
        t->last_T = T;
        if (T < t->pt_T) {
            /* no point on the way: advance() would only move the counter (no wrap, no flag) */
            t->r = (uint16_t)(t->r + (int64_t)t->pt_dir * (int64_t)n);
            return;
        }
        advance(t, n, T);
    }
}

static void sync(mote_t *m, tmr_t *t) { sync_to(m, t, m->now); }

/* Restart the divided count at the current source tick (after a source/divider change). */
static void restart_divider(mote_t *m, tmr_t *t)
{
    t->src = src_of(t);
    t->div_base = t->src == CLK_SRC_NONE ? 0 : clk_ticks(m, t->src);
    t->last_T = 0;
    forget(t);
}

/* ev at source tick ev_tick under the current clock mapping (which a clock change may move) */
static void schedule_tick(mote_t *m, tmr_t *t)
{
    uint64_t when = clk_cycle_of_tick(m, t->src, t->ev_tick);
    if (when == UINT64_MAX) {
        mote_event_cancel(m, &t->ev);
        return;
    }
    if (when < m->now) when = m->now;
    mote_event_schedule(m, &t->ev, when);
}

static void schedule_none(mote_t *m, tmr_t *t)
{
    t->ev_none = 1;
    t->sched_ok = 1;
    mote_event_cancel(m, &t->ev);
}

static void schedule(mote_t *m, tmr_t *t)
{
    if (t->sched_ok) {
        if (t->ev_none) {
            if (mote_event_queued(&t->ev)) mote_event_cancel(m, &t->ev);
        }
        else schedule_tick(m, t);
        return;
    }
    uint32_t period = period_of(t);
    if (period == 0 || t->src == CLK_SRC_NONE) {
        schedule_none(m, t);
        return;
    }
    int mode = mode_of(t);
    uint32_t p = phase_of(t);
    uint64_t dmin = UINT64_MAX;
    int latch = 0;
    for (int x = 0; x < t->nccr; x++) latch |= t->latch_pending[x];
    if ((t->ctl & CTL_IE && !(t->ctl & CTL_IFG)) || latch || (mode == 1 && t->r > top_of(t)))
        dmin = dist(p, 0, period);
    if (latch && mode == 3) {
        uint32_t d = dist(p, top_of(t), period);
        if (d < dmin) dmin = d;
    }
    /* compares a DMA channel waits for need their event too: taken as if CCIE were set */
    uint16_t ie[7];
    const uint16_t *cctl = t->cctl;
    unsigned dw = dma_ccrs(t);
    if (__builtin_expect(dw != 0, 0)) {
        for (int x = 0; x < t->nccr; x++) ie[x] = (uint16_t)(t->cctl[x] | (((dw >> x) & 1u) ? CCTL_CCIE : 0u));
        cctl = ie;
    }
    for (int x = 0; x < t->nccr; x++) {
        if (!is_compare(t, x) || !(cctl[x] & CCTL_CCIE) || (t->cctl[x] & CCTL_CCIFG)) continue;
        uint32_t d = dist_to_value(t, t->cl[x], period, p);
        if (d < dmin) dmin = d;
    }
    if (dmin == UINT64_MAX) {
        schedule_none(m, t);
        return;
    }
    if (mode == 1 && t->r > top_of(t)) dmin = 1;
    if (mode == 3 && t->r > top_of(t)) {
        /* counting down towards CCR0: next compare passed on the way, or CCR0 itself */
        dmin = t->r - top_of(t);
        for (int x = 0; x < t->nccr; x++)
            if (is_compare(t, x) && (cctl[x] & CCTL_CCIE) && t->cl[x] >= top_of(t) && t->cl[x] < t->r &&
                (uint64_t)(t->r - t->cl[x]) < dmin)
                dmin = t->r - t->cl[x];
    }
    t->ev_tick = t->div_base + ((t->last_T + dmin) << id_of(t));
    t->ev_none = 0;
    t->sched_ok = 1;
    schedule_tick(m, t);
}

/* ---- capture ---- */

static void capture(mote_t *m, tmr_t *t, int x, uint64_t at)
{
    sync_to(m, t, at);
    forget(t);
    t->ccr[x] = t->r;
    t->cl[x] = t->r;
    unsigned was_clear = dma_ccrs(t) & ((unsigned)(~t->cctl[x] & CCTL_CCIFG) << x);
    if (t->cctl[x] & CCTL_CCIFG) t->cctl[x] |= CCTL_COV;
    t->cctl[x] |= CCTL_CCIFG;
    if (was_clear) dma_check(t, was_clear);
}

static int input_level(tmr_t *t, int x)
{
    switch ((t->cctl[x] & CCTL_CCIS) >> 12) {
    case 0: return t->cci[x][0];
    case 1: return t->cci[x][1];
    case 2: return 0;
    default: return 1;
    }
}

/* 1 when the edge captured (the only way an input change moves the timer's state) */
static int edge(mote_t *m, tmr_t *t, int x, int old, int now_level, uint64_t at)
{
    if (!(t->cctl[x] & CCTL_CAP) || old == now_level) return 0;
    unsigned cm = (t->cctl[x] & CCTL_CM) >> 14;
    if (!((now_level && (cm & 1)) || (!now_level && (cm & 2)))) return 0;
    capture(m, t, x, at);
    return 1;
}

static int aclk_capture_active(tmr_t *t)
{
    int x = t->aclk_ccr;
    return (t->cctl[x] & CCTL_CAP) && ((t->cctl[x] & CCTL_CCIS) >> 12) == 1 && (t->cctl[x] & CCTL_CM);
}

/* cycle of ACLK edge number h (even: rising, odd: falling), in half-LFXT1 periods scaled by DIVA */
static uint64_t aclk_edge_cycle(mote_t *m, uint64_t h)
{
    if (h % 2 == 0) return clk_cycle_of_tick(m, CLK_SRC_LFXT1, h / 2);
    return clk_cycle_of_lfxt1_half(m, h / 2);
}

static unsigned diva_of(mote_t *m)
{
    uint32_t f = clk_freq_hz(m, CLK_SRC_ACLK);
    unsigned d = 0;
    while (f && (CLK_LFXT1_HZ >> d) > f) d++;
    return d;
}

/* ACLK (LFXT1 / 2^d) edges in half-LFXT1-period units: rising at multiples of 2^(d+1), falling half a
 * period later. Schedules the next selected edge strictly after the last one already passed. */
static __attribute__((noinline)) void schedule_aclk_active(mote_t *m, tmr_t *t);
static inline void schedule_aclk(mote_t *m, tmr_t *t)
{
    if (!aclk_capture_active(t)) {
        if (mote_event_queued(&t->aclk_ev)) mote_event_cancel(m, &t->aclk_ev);
    }
    else
        schedule_aclk_active(m, t);
}

static void schedule_aclk_active(mote_t *m, tmr_t *t)
{
    if (clk_freq_hz(m, CLK_SRC_ACLK) == 0) {
        mote_event_cancel(m, &t->aclk_ev);
        return;
    }
    unsigned d = diva_of(m);
    uint64_t step = 1ull << (d + 1), off = step >> 1;
    uint64_t lf = clk_ticks(m, CLK_SRC_LFXT1);
    uint64_t h = 2 * lf + (clk_cycle_of_lfxt1_half(m, lf) <= m->now ? 1 : 0); /* last edge passed */
    unsigned cm = (t->cctl[t->aclk_ccr] & CCTL_CM) >> 14;
    uint64_t next = UINT64_MAX;
    if (cm & 1) next = (h / step + 1) * step;
    if (cm & 2) {
        uint64_t f = h >= off ? ((h - off) / step + 1) * step + off : off;
        if (f < next) next = f;
    }
    t->aclk_half = next;
    uint64_t when = aclk_edge_cycle(m, next);
    if (when < m->now) when = m->now;
    mote_event_schedule(m, &t->aclk_ev, when);
}

static void aclk_fire(mote_t *m, mote_event_t *ev)
{
    tmr_t *t = ev->ctx;
    uint64_t at = aclk_edge_cycle(m, t->aclk_half);
    if (at > m->now) at = m->now;
    if (aclk_capture_active(t)) capture(m, t, t->aclk_ccr, at);
    sync(m, t);
    update_irq(m, t);
    schedule(m, t);
    schedule_aclk(m, t);
}

static void ev_fire(mote_t *m, mote_event_t *ev)
{
    tmr_t *t = ev->ctx;
    sync(m, t);
    update_irq(m, t);
    schedule(m, t);
}

static void refresh(mote_t *m, tmr_t *t)
{
    update_irq(m, t);
    schedule(m, t);
    schedule_aclk(m, t);
}

/* ---- registers ---- */

static uint16_t read_iv(mote_t *m, tmr_t *t, int clear)
{
    for (int x = 1; x < t->nccr; x++) {
        if ((t->cctl[x] & CCTL_CCIFG) && (t->cctl[x] & CCTL_CCIE)) {
            if (clear) {
                t->cctl[x] &= (uint16_t)~CCTL_CCIFG;
                dirty(t);
            }
            return (uint16_t)(2 * x);
        }
    }
    if ((t->ctl & CTL_IFG) && (t->ctl & CTL_IE)) {
        if (clear) {
            t->ctl &= (uint16_t)~CTL_IFG;
            dirty(t);
        }
        return t->which == TIMER_A ? 0x0A : 0x0E;
    }
    (void)m;
    return 0;
}

static uint16_t reg_read(mote_t *m, tmr_t *t, uint16_t a)
{
    sync(m, t);
    if (a == t->a_iv) {
        uint16_t v = read_iv(m, t, 1);
        refresh(m, t);
        return v;
    }
    if (a == t->a_ctl) return t->ctl;
    if (a == t->a_r) return t->r;
    if (a >= t->a_cctl && a < t->a_cctl + 2 * t->nccr) {
        int x = (a - t->a_cctl) / 2;
        uint16_t v = (uint16_t)(t->cctl[x] & ~CCTL_CCI);
        if (input_level(t, x)) v |= CCTL_CCI;
        return v;
    }
    if (a >= t->a_ccr && a < t->a_ccr + 2 * t->nccr) return t->ccr[(a - t->a_ccr) / 2];
    return 0;
}

static void reg_write(mote_t *m, tmr_t *t, uint16_t a, uint16_t v)
{
    sync(m, t);
    forget(t);
    if (a == t->a_iv) {
        read_iv(m, t, 1);
    } else if (a == t->a_ctl) {
        uint16_t old = t->ctl;
        t->ctl = (uint16_t)(v & ~CTL_CLR);
        if (t->which == TIMER_A) t->ctl &= 0x03F3;
        if (v & CTL_CLR) {
            t->r = 0;
            t->down = 0;
            restart_divider(m, t);
        } else if ((old ^ t->ctl) & 0x03F0) {
            restart_divider(m, t);
        }
    } else if (a == t->a_r) {
        t->r = (uint16_t)(v & maxval(t));
    } else if (a >= t->a_cctl && a < t->a_cctl + 2 * t->nccr) {
        int x = (a - t->a_cctl) / 2;
        int old_in = input_level(t, x);
        uint16_t mask = t->which == TIMER_A ? 0xFBF7 : 0xFFF7; /* CCI read-only; TA bit 9 reserved */
        t->cctl[x] = (uint16_t)((t->cctl[x] & ~mask) | (v & mask));
        /* switching CCIS between GND and VCC is the software capture trick */
        edge(m, t, x, old_in, input_level(t, x), m->now);
    } else if (a >= t->a_ccr && a < t->a_ccr + 2 * t->nccr) {
        int x = (a - t->a_ccr) / 2;
        t->ccr[x] = v;
        unsigned clld = t->which == TIMER_B ? (t->cctl[x] & CCTL_CLLD) >> 9 : 0;
        if (clld == 0 || mode_of(t) == 0) {
            t->cl[x] = v;
            t->latch_pending[x] = 0;
        } else {
            t->latch_pending[x] = 1;
        }
    }
    refresh(m, t);
}

static uint16_t io_read(mote_t *m, void *ctx, uint16_t addr, int is_byte)
{
    tmr_t *t = ctx;
    uint16_t a = addr & ~1u;
    uint16_t v = reg_read(m, t, a);
    if (is_byte) return (addr & 1) ? (uint16_t)(v >> 8) : (uint16_t)(v & 0xFF);
    return v;
}

static void io_write(mote_t *m, void *ctx, uint16_t addr, uint16_t value, int is_byte)
{
    tmr_t *t = ctx;
    uint16_t a = addr & ~1u;
    if (is_byte) {
        /* byte write to a 16-bit register: the byte goes to its half, the other half is kept
         * (the registers are word-wide; the family guide asks for word access) */
        uint16_t cur = (a == t->a_iv) ? 0 : reg_read(m, t, a);
        value = (addr & 1) ? (uint16_t)((cur & 0x00FF) | (value << 8)) : (uint16_t)((cur & 0xFF00) | (value & 0xFF));
    }
    reg_write(m, t, a, value);
}

static void accept0(mote_t *m, void *ctx, int vec)
{
    (void)vec;
    tmr_t *t = ctx;
    t->cctl[0] &= (uint16_t)~CCTL_CCIFG; /* single-source vector: auto-clear */
    dirty(t);
    refresh(m, t);
}

static void clk_changed(mote_t *m, void *ctx, int phase)
{
    tmr_t *t = ctx;
    if (clk_change_is_smclk_gating(m) && t->src != CLK_SRC_SMCLK)
        return; /* its ticks and their cycles stay as they are */
    int gating = clk_change_is_gating(m); /* tick counts at now unchanged: nothing to carry */
    if (phase == 0) {
        sync(m, t);
        if (!gating) t->src_before = t->src == CLK_SRC_NONE ? 0 : clk_ticks(m, t->src);
        return;
    }
    if (t->src != CLK_SRC_NONE && !gating) {
        /* keep the divided count continuous if the source tick count jumped (divider change) */
        uint64_t after = clk_ticks(m, t->src);
        t->div_base += after - t->src_before;
        t->sched_ok = 0; /* ev_tick is a source tick: it moved with div_base */
    }
    refresh(m, t);
}

/* ---- public ---- */

void timer_capture_input(mote_t *m, int which, int x, int sel, int level)
{
    tmr_t *t = tm(m, which);
    if (!t || x < 0 || x >= t->nccr || sel < 0 || sel > 1) return;
    level = level != 0;
    int old = input_level(t, x);
    t->cci[x][sel] = (uint8_t)level;
    /* an input changed by a device event: capture at the event's cycle, not after the overshoot */
    uint64_t at = m->event_when < m->now ? m->event_when : m->now;
    if (edge(m, t, x, old, input_level(t, x), at)) /* else nothing moved: lines and events stand */
        refresh(m, t);
}

void timer_b_capture_input(mote_t *m, int ccr, int level)
{
    timer_capture_input(m, TIMER_B, ccr, 0, level);
    if (ccr != 6) timer_capture_input(m, TIMER_B, ccr, 1, level);
}

void timer_a_capture_input(mote_t *m, int ccr, int sel, int level) { timer_capture_input(m, TIMER_A, ccr, sel, level); }

uint16_t timer_counter(mote_t *m, int which)
{
    tmr_t *t = tm(m, which);
    sync(m, t);
    update_irq(m, t);
    return t->r;
}

void timer_dma_clear(mote_t *m, int which, int x)
{
    tmr_t *t = tm(m, which);
    sync(m, t);
    t->cctl[x] &= (uint16_t)~CCTL_CCIFG;
    dirty(t);
    refresh(m, t);
}

void timer_dma_watch_changed(mote_t *m)
{
    unsigned w = dma_watch(m);
    for (int which = TIMER_A; which <= TIMER_B; which++) {
        tmr_t *t = tm(m, which);
        sync(m, t);
        unsigned t0 = which == TIMER_A ? DMA_TRIG_TACCR0 : DMA_TRIG_TBCCR0;
        unsigned t2 = which == TIMER_A ? DMA_TRIG_TACCR2 : DMA_TRIG_TBCCR2;
        t->dma_bits = (uint8_t)(((w >> t0) & 1u) | (((w >> t2) & 1u) << 2));
        dirty(t);
        refresh(m, t);
    }
}

static tmr_t *make(mote_t *m, int which)
{
    tmr_t *t = calloc(1, sizeof *t);
    t->m = m;
    t->which = which;
    if (which == TIMER_A) {
        t->nccr = 3;
        t->a_ctl = 0x160; t->a_cctl = 0x162; t->a_r = 0x170; t->a_ccr = 0x172; t->a_iv = 0x12E;
        t->vec0 = VEC_TIMERA0; t->vec1 = VEC_TIMERA1;
        t->aclk_ccr = 2;
        m->periph[PERIPH_SLOT_TIMER_A] = t;
    } else {
        t->nccr = 7;
        t->a_ctl = 0x180; t->a_cctl = 0x182; t->a_r = 0x190; t->a_ccr = 0x192; t->a_iv = 0x11E;
        t->vec0 = VEC_TIMERB0; t->vec1 = VEC_TIMERB1;
        t->aclk_ccr = 6;
        m->periph[PERIPH_SLOT_TIMER_B] = t;
    }
    mote_event_init(&t->ev, which == TIMER_A ? "timer_a" : "timer_b", ev_fire, t);
    mote_event_init(&t->aclk_ev, which == TIMER_A ? "timer_a_aclk" : "timer_b_aclk", aclk_fire, t);
    mote_map_io(m, t->a_ctl, (uint16_t)(t->a_ctl + 2 + 2 * t->nccr), io_read, io_write, t);
    mote_map_io(m, t->a_r, (uint16_t)(t->a_r + 2 + 2 * t->nccr), io_read, io_write, t);
    mote_map_io(m, t->a_iv, (uint16_t)(t->a_iv + 2), io_read, io_write, t);
    mote_irq_on_accept(m, t->vec0, accept0, t);
    clk_add_listener(m, clk_changed, t);
    return t;
}

void timer_attach(mote_t *m)
{
    make(m, TIMER_A);
    make(m, TIMER_B);
}

static void reset_one(mote_t *m, tmr_t *t)
{
    t->ctl = 0;
    t->r = 0;
    t->down = 0;
    for (int x = 0; x < 7; x++) {
        t->cctl[x] = 0;
        t->ccr[x] = 0;
        t->cl[x] = 0;
        t->latch_pending[x] = 0;
    }
    restart_divider(m, t); /* forgets the caches */
    mote_event_cancel(m, &t->ev);
    mote_event_cancel(m, &t->aclk_ev);
    update_irq(m, t);
}

void timer_reset(mote_t *m, int por)
{
    (void)por;
    reset_one(m, tm(m, TIMER_A));
    reset_one(m, tm(m, TIMER_B));
}

void timer_detach(mote_t *m)
{
    free(m->periph[PERIPH_SLOT_TIMER_A]);
    free(m->periph[PERIPH_SLOT_TIMER_B]);
    m->periph[PERIPH_SLOT_TIMER_A] = m->periph[PERIPH_SLOT_TIMER_B] = NULL;
}
