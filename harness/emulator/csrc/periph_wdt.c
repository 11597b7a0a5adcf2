/* periph_wdt.c — watchdog timer (see periph_wdt.h). WDTCNT is computed from the clock source. */
#include <stdlib.h>
#include "periph.h"

#define WDTHOLD 0x80u
#define WDTNMIES 0x40u
#define WDTNMI 0x20u
#define WDTTMSEL 0x10u
#define WDTCNTCL 0x08u
#define WDTSSEL 0x04u

typedef struct {
    uint8_t ctl;
    int src;
    uint64_t base;        /* source tick at which WDTCNT was 0 */
    uint16_t held;        /* WDTCNT while WDTHOLD */
    uint64_t src_before;
    mote_event_t ev;
} wdt_t;

static wdt_t *st(mote_t *m) { return (wdt_t *)m->periph[PERIPH_SLOT_WDT]; }

static uint32_t interval(wdt_t *w)
{
    static const uint32_t iv[4] = {32768, 8192, 512, 64};
    return iv[w->ctl & 3];
}

static uint64_t count64(mote_t *m, wdt_t *w)
{
    if (w->ctl & WDTHOLD) return w->held;
    return clk_ticks(m, w->src) - w->base;
}

uint16_t wdt_counter(mote_t *m) { return (uint16_t)count64(m, st(m)); }
uint16_t wdt_ctl(mote_t *m) { return (uint16_t)(0x6900 | st(m)->ctl); }

static void update_irq(mote_t *m)
{
    int level = (sfr_get(m, SFR_IE1) & SFR1_WDT) && (sfr_get(m, SFR_IFG1) & SFR1_WDT) && (st(m)->ctl & WDTTMSEL);
    mote_irq_set(m, VEC_WDT, level);
}

static void schedule(mote_t *m, wdt_t *w)
{
    if (w->ctl & WDTHOLD) {
        mote_event_cancel(m, &w->ev);
        return;
    }
    uint64_t cnt = count64(m, w), iv = interval(w);
    uint64_t target = w->base + (cnt / iv + 1) * iv;
    uint64_t when = clk_cycle_of_tick(m, w->src, target);
    if (when == UINT64_MAX) {
        mote_event_cancel(m, &w->ev);
        return;
    }
    mote_event_schedule(m, &w->ev, when < m->now ? m->now : when);
}

static void expire(mote_t *m, mote_event_t *ev)
{
    wdt_t *w = ev->ctx;
    sfr_set_bits(m, SFR_IFG1, SFR1_WDT);
    if (!(w->ctl & WDTTMSEL)) {
        mote_puc_cause(m, MOTE_RESET_WATCHDOG); /* watchdog mode: reset; WDTIFG tells the firmware why */
        return;
    }
    update_irq(m);
    schedule(m, w);
}

static uint16_t io_read(mote_t *m, void *ctx, uint16_t addr, int is_byte)
{
    wdt_t *w = ctx;
    (void)m;
    uint16_t v = (uint16_t)(0x6900 | w->ctl);
    if (is_byte) return (addr & 1) ? 0x69 : w->ctl;
    return v;
}

static void io_write(mote_t *m, void *ctx, uint16_t addr, uint16_t value, int is_byte)
{
    wdt_t *w = ctx;
    (void)addr;
    if (is_byte || (value >> 8) != 0x5A) {
        mote_puc_cause(m, MOTE_RESET_WDT_KEY); /* password violation */
        return;
    }
    uint8_t v = (uint8_t)value;
    uint64_t cnt = count64(m, w);
    int src = (v & WDTSSEL) ? CLK_SRC_ACLK : CLK_SRC_SMCLK;
    w->ctl = (uint8_t)(v & ~WDTCNTCL);
    if (v & WDTHOLD) {
        w->held = (uint16_t)cnt;
        w->src = src;
    } else {
        w->src = src;
        w->base = clk_ticks(m, src) - ((v & WDTCNTCL) ? 0 : cnt);
    }
    update_irq(m);
    schedule(m, w);
}

static void accept(mote_t *m, void *ctx, int vec)
{
    (void)ctx;
    (void)vec;
    sfr_clear_bits(m, SFR_IFG1, SFR1_WDT); /* interval mode: single source, auto-clear */
    update_irq(m);
}

static void sfr_changed(mote_t *m, void *ctx)
{
    (void)ctx;
    update_irq(m);
}

static void clk_changed(mote_t *m, void *ctx, int phase)
{
    wdt_t *w = ctx;
    if (clk_change_is_smclk_gating(m) && (w->src != CLK_SRC_SMCLK || (w->ctl & WDTHOLD)))
        return; /* its ticks and their cycles stay as they are (held: nothing scheduled) */
    if (clk_change_is_gating(m)) { /* tick counts at now unchanged: only the cycles move */
        if (phase == 1) schedule(m, w);
        return;
    }
    if (phase == 0) {
        w->src_before = clk_ticks(m, w->src);
        return;
    }
    w->base += clk_ticks(m, w->src) - w->src_before;
    schedule(m, w);
}

void wdt_attach(mote_t *m)
{
    wdt_t *w = calloc(1, sizeof *w);
    m->periph[PERIPH_SLOT_WDT] = w;
    mote_event_init(&w->ev, "wdt", expire, w);
    mote_map_io(m, 0x120, 0x122, io_read, io_write, w);
    mote_irq_on_accept(m, VEC_WDT, accept, w);
    sfr_add_listener(m, sfr_changed, w);
    clk_add_listener(m, clk_changed, w);
}

void wdt_reset(mote_t *m, int por)
{
    (void)por;
    wdt_t *w = st(m);
    w->ctl = 0; /* watchdog mode, SMCLK, /32768, running */
    w->src = CLK_SRC_SMCLK;
    w->base = clk_ticks(m, w->src);
    w->held = 0;
    mote_event_cancel(m, &w->ev);
    schedule(m, w);
    update_irq(m);
}

void wdt_detach(mote_t *m)
{
    free(m->periph[PERIPH_SLOT_WDT]);
    m->periph[PERIPH_SLOT_WDT] = NULL;
}
