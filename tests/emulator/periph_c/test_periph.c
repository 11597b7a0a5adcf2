/* test_periph.c — C-level checks of the peripheral modules against the real mote framework and CPU
 * core (harness/emulator/csrc). Built and run by tests/emulator/test_periph_c.py. Registers are
 * accessed through the I/O hooks exactly as the CPU does; time advances with mote_run() while the CPU
 * spins on `jmp $` (or sleeps in LPM). Prints one line per failed check; exit status = failures. */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include "mote.h"
#include "periph.h"

#include "check.h"

/* a byte without a read hook (the SFRs) is plain memory, as the CPU reads it */
static uint16_t rd(mote_t *m, uint16_t a)
{
    if (!m->io[a].read) return (uint16_t)(m->mem[a] | m->mem[a + 1] << 8);
    return m->io[a].read(m, m->io[a].ctx, a, 0);
}
static uint8_t rd8(mote_t *m, uint16_t a) { return m->io[a].read ? (uint8_t)m->io[a].read(m, m->io[a].ctx, a, 1) : m->mem[a]; }
static void wr(mote_t *m, uint16_t a, uint16_t v) { m->io[a].write(m, m->io[a].ctx, a, v, 0); }
static void wr8(mote_t *m, uint16_t a, uint8_t v) { m->io[a].write(m, m->io[a].ctx, a, v, 1); }

/* A mote whose CPU spins at 0x4000 (jmp $) with the watchdog stopped. */
static mote_t *spin_mote(void)
{
    mote_t *m = mote_create();
    m->mem[0x4000] = 0xFF; m->mem[0x4001] = 0x3F; /* jmp $ */
    m->mem[0xFFFE] = 0x00; m->mem[0xFFFF] = 0x40;
    mote_reset(m);
    wr(m, 0x120, 0x5A80); /* WDTPW | WDTHOLD */
    return m;
}

static void run_to(mote_t *m, uint64_t until)
{
    int rc = mote_run(m, until);
    if (rc != 0) printf("mote_run rc=%d fault=%d pc=%04x\n", rc, m->fault, m->fault_pc);
}

/* ---------------------------------------------------------------- clock */
static void test_clock(void)
{
    mote_t *m = spin_mote();
    CHECK(m->mclk_hz == clk_dco_model_hz(4, 3, 0), "reset MCLK %u", m->mclk_hz);
    CHECK(m->mclk_hz > 600000 && m->mclk_hz < 1000000, "reset DCO ~800 kHz: %u", m->mclk_hz);
    /* monotonic over (RSEL, DCO, MOD) */
    uint32_t prev = 0;
    int mono = 1;
    for (int rsel = 0; rsel < 8; rsel++)
        for (int dco = 0; dco < 8; dco++)
            for (int mod = 0; mod < 32; mod++) {
                if (dco == 7 && mod) continue;
                uint32_t f = clk_dco_model_hz(rsel, dco, mod);
                if (f < prev && !(dco == 0 && mod == 0)) mono = 0;
                if (rsel == 0 && dco == 0 && mod == 0) prev = 0;
                prev = f;
            }
    CHECK(mono, "DCO monotonic in DCO/MOD within each RSEL");
    CHECK(clk_dco_model_hz(7, 7, 0) > 3900000 && clk_dco_model_hz(7, 0, 0) < 3900000, "3.9 MHz reachable at RSEL 7");
    /* ACLK: 32768 ticks = 1 s exactly, whatever the DCO does in between */
    uint64_t c1 = clk_cycle_of_tick(m, CLK_SRC_ACLK, 16384);
    run_to(m, c1);
    CHECK(clk_aclk_ticks(m) == 16384, "aclk at half second %llu", (unsigned long long)clk_aclk_ticks(m));
    wr8(m, 0x57, 0x87);       /* RSEL 7 */
    wr8(m, 0x56, 0x80 | 13); /* DCO 4, MOD 13 */
    CHECK(m->mclk_hz == clk_dco_model_hz(7, 4, 13), "mclk after change %u", m->mclk_hz);
    uint64_t c2 = m->now + clk_cycles_until_aclk_tick(m, 32768);
    run_to(m, c2);
    CHECK(clk_aclk_ticks(m) == 32768, "aclk ticks %llu", (unsigned long long)clk_aclk_ticks(m));
    uint64_t ns = clk_now_ns(m);
    CHECK(ns >= 1000000000ull && ns < 1000000000ull + 1000, "1 s of time at tick 32768: %llu ns", (unsigned long long)ns);
    /* DIVM: MCLK halves; SMCLK with DIVS */
    wr8(m, 0x58, 0x10 | 0x04); /* DIVM /2, DIVS /4 */
    CHECK(m->mclk_hz == clk_dco_model_hz(7, 4, 13) / 2, "divm");
    CHECK(clk_freq_hz(m, CLK_SRC_SMCLK) == clk_dco_model_hz(7, 4, 13) / 4, "divs");
    uint64_t s0 = clk_ticks(m, CLK_SRC_SMCLK);
    run_to(m, m->now + 1000);
    CHECK(clk_ticks(m, CLK_SRC_SMCLK) - s0 == 500, "SMCLK = MCLK/2 ticks: %llu", (unsigned long long)(clk_ticks(m, CLK_SRC_SMCLK) - s0));
    mote_destroy(m);
}

/* ---------------------------------------------------------------- Timer_A */
static void test_timer_a_up(void)
{
    mote_t *m = spin_mote();
    /* SMCLK, up mode, CCR0 = 99: period 100 SMCLK ticks; TAIFG and CCIFG0 */
    wr(m, 0x172, 99);
    wr(m, 0x162, 0x0010);                /* CCIE */
    wr(m, 0x160, 0x0200 | 0x00C0 | 0x0010 | 0x0004); /* TASSEL_2 | ID_3 | MC_1 | TACLR */
    uint64_t s0 = clk_ticks(m, CLK_SRC_SMCLK);
    /* timer ticks every 8 SMCLK ticks from s0 */
#define TICK(n) clk_cycle_of_tick(m, CLK_SRC_SMCLK, s0 + 8 * (uint64_t)(n))
    uint64_t c99 = TICK(99);
    run_to(m, c99 - 3); /* the spinning jmp may overshoot by one cycle */
    CHECK(!(m->irq_lines & (1u << VEC_TIMERA0)), "no CCR0 irq before TAR reaches 99");
    CHECK(rd(m, 0x170) == 98, "TAR %u", rd(m, 0x170));
    run_to(m, c99 + 1);
    CHECK(m->irq_lines & (1u << VEC_TIMERA0), "CCR0 irq at TAR = CCR0");
    CHECK(rd(m, 0x170) == 99, "TAR %u", rd(m, 0x170));
    CHECK(!(rd(m, 0x160) & 1), "no TAIFG yet");
    run_to(m, TICK(100));
    CHECK(rd(m, 0x170) == 0, "wrap to 0 after CCR0+1 counts: %u", rd(m, 0x170));
    CHECK(rd(m, 0x160) & 1, "TAIFG at wrap");
    /* auto-clear on acceptance */
    m->irq_accept[VEC_TIMERA0](m, m->irq_accept_ctx[VEC_TIMERA0], VEC_TIMERA0);
    CHECK(!(rd(m, 0x162) & 1), "CCIFG0 cleared by acceptance");
    CHECK(!(m->irq_lines & (1u << VEC_TIMERA0)), "line released");
    /* 10 more periods: 10 more CCR0 events */
    uint64_t n_irq = 0;
    for (int k = 1; k <= 10; k++) {
        run_to(m, TICK(100 * k + 99));
        if (m->irq_lines & (1u << VEC_TIMERA0)) {
            n_irq++;
            m->irq_accept[VEC_TIMERA0](m, m->irq_accept_ctx[VEC_TIMERA0], VEC_TIMERA0);
        }
    }
    CHECK(n_irq == 10, "one CCR0 interrupt per period: %llu", (unsigned long long)n_irq);
    mote_destroy(m);
}

static void test_timer_a_cont_iv(void)
{
    mote_t *m = spin_mote();
    /* continuous mode, ACLK: overflow after 65536 ACLK ticks = 2 s */
    wr(m, 0x164, 0x0010); wr(m, 0x174, 1000); /* CCR1 compare, CCIE */
    wr(m, 0x166, 0x0010); wr(m, 0x176, 1000); /* CCR2 same value */
    wr(m, 0x160, 0x0100 | 0x0020 | 0x0004 | 0x0002); /* ACLK, MC_2, TACLR, TAIE */
    uint64_t a0 = clk_aclk_ticks(m);
    run_to(m, clk_cycle_of_tick(m, CLK_SRC_ACLK, a0 + 1000));
    CHECK(m->irq_lines & (1u << VEC_TIMERA1), "TA1 line");
    CHECK(rd(m, 0x12E) == 2, "TAIV CCR1 first");
    CHECK(rd(m, 0x12E) == 4, "TAIV CCR2 next");
    CHECK(rd(m, 0x12E) == 0, "TAIV empty");
    CHECK(!(m->irq_lines & (1u << VEC_TIMERA1)), "TA1 line released");
    run_to(m, clk_cycle_of_tick(m, CLK_SRC_ACLK, a0 + 65536));
    CHECK(rd(m, 0x170) == 0, "TAR wrapped: %u", rd(m, 0x170));
    /* CCR1/CCR2 passed 1000 again at +66536? not yet; overflow pending */
    CHECK(rd(m, 0x12E) == 10, "TAIV overflow = 0x0A");
    uint64_t ns = clk_now_ns(m);
    CHECK(ns >= 2000000000ull && ns < 2000000000ull + 1000, "overflow after exactly 2 s: %llu", (unsigned long long)ns);
    mote_destroy(m);
}

static void test_timer_a_updown_and_capture(void)
{
    mote_t *m = spin_mote();
    wr(m, 0x172, 50);
    wr(m, 0x160, 0x0200 | 0x0030 | 0x0004 | 0x0002); /* SMCLK up/down, TAIE */
    uint64_t t0 = clk_ticks(m, CLK_SRC_SMCLK);
    run_to(m, clk_cycle_of_tick(m, CLK_SRC_SMCLK, t0 + 60));
    CHECK(rd(m, 0x170) == 40, "up/down at 60 ticks: %u", rd(m, 0x170));
    CHECK(!(rd(m, 0x160) & 1), "no TAIFG before zero");
    run_to(m, clk_cycle_of_tick(m, CLK_SRC_SMCLK, t0 + 100));
    CHECK(rd(m, 0x170) == 0 && (rd(m, 0x160) & 1), "TAIFG at zero after 2*CCR0");
    /* ACLK capture on CCI2B: SMCLK counts between rising ACLK edges = SMCLK/ACLK */
    wr(m, 0x160, 0x0200 | 0x0020 | 0x0004);          /* SMCLK continuous */
    wr(m, 0x166, 0x4000 | 0x1000 | 0x0100);          /* CM_1 rising, CCIS_1 (ACLK), CAP */
    uint64_t a = clk_aclk_ticks(m);
    run_to(m, clk_cycle_of_tick(m, CLK_SRC_ACLK, a + 1) + 2);
    uint16_t c1 = rd(m, 0x176);
    CHECK(rd(m, 0x166) & 1, "capture flag");
    wr(m, 0x166, 0x4000 | 0x1000 | 0x0100);          /* clear CCIFG */
    run_to(m, clk_cycle_of_tick(m, CLK_SRC_ACLK, a + 2) + 2);
    uint16_t c2 = rd(m, 0x176);
    uint32_t expect = clk_freq_hz(m, CLK_SRC_SMCLK) / 32768;
    uint16_t d = (uint16_t)(c2 - c1);
    CHECK(d >= expect - 1 && d <= expect + 1, "capture delta %u vs %u", d, expect);
    CHECK(!(rd(m, 0x166) & 2), "no COV");
    run_to(m, clk_cycle_of_tick(m, CLK_SRC_ACLK, a + 4) + 2);
    CHECK(rd(m, 0x166) & 2, "COV when a capture finds CCIFG set");
    mote_destroy(m);
}

static void test_timer_b_capture_and_clld(void)
{
    mote_t *m = spin_mote();
    wr(m, 0x180, 0x0200 | 0x0020 | 0x0004); /* SMCLK continuous */
    wr(m, 0x184, 0xC000 | 0x0100 | 0x0010); /* CCR1: both edges, CCI1A, CAP, CCIE */
    wr8(m, 0x1F, 0x02);                     /* P4SEL.1 */
    run_to(m, 1000);
    uint16_t r = timer_counter(m, TIMER_B);
    port_set_input(m, 4, 1, 1); /* SFD rises */
    CHECK(rd(m, 0x194) == r, "TBCCR1 captured %u vs %u", rd(m, 0x194), r);
    CHECK(m->irq_lines & (1u << VEC_TIMERB1), "TB1 line");
    CHECK(rd(m, 0x11E) == 2, "TBIV = 2");
    CHECK(port_get_pin(m, 4, 1) == 1, "P4IN.1 follows");
    /* TBCL1 latched on zero (CLLD 1): the compare keeps the old value until TBR wraps */
    wr(m, 0x180, 0x0200 | 0x00C0 | 0x1800 | 0x0020 | 0x0004); /* SMCLK /8, 8-bit counter, continuous */
    wr(m, 0x184, 0x0010);                   /* CCR1 compare, CCIE, CLLD 0 */
    wr(m, 0x194, 100);
    uint64_t s0 = clk_ticks(m, CLK_SRC_SMCLK);
    wr(m, 0x184, 0x0200 | 0x0010);          /* CLLD_1 */
    wr(m, 0x194, 200);                      /* pending until TBR counts to 0 */
    run_to(m, clk_cycle_of_tick(m, CLK_SRC_SMCLK, s0 + 8 * 101));
    CHECK(rd(m, 0x184) & 1, "old TBCL1 = 100 still compares");
    wr(m, 0x184, 0x0200 | 0x0010);
    run_to(m, clk_cycle_of_tick(m, CLK_SRC_SMCLK, s0 + 8 * 201));
    CHECK(!(rd(m, 0x184) & 1), "new value not latched before the wrap");
    run_to(m, clk_cycle_of_tick(m, CLK_SRC_SMCLK, s0 + 8 * (256 + 101)));
    CHECK(!(rd(m, 0x184) & 1), "latched 200 at the wrap: no compare at 100");
    run_to(m, clk_cycle_of_tick(m, CLK_SRC_SMCLK, s0 + 8 * (256 + 201)));
    CHECK(rd(m, 0x184) & 1, "compare at the latched 200");
    CHECK(rd(m, 0x180) & 1, "TBIFG at the 8-bit wrap");
    mote_destroy(m);
}

/* deterministic test randomness (xorshift64) */
static uint64_t rng = 88172645463325252ull;
static uint16_t r16(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return (uint16_t)rng; }

/* Reference counter ticked one input clock at a time, straight from the family guide's mode
 * descriptions, against the lazy event-driven timer. */
typedef struct {
    int mode;        /* 1 up, 2 continuous, 3 up/down */
    uint32_t max;    /* counter length mask */
    uint16_t r, ccr[3];
    int down;
    int ifg, ccifg[3];
} ref_timer_t;

static void ref_tick(ref_timer_t *t)
{
    uint32_t top = t->ccr[0];
    uint16_t before = t->r;
    if (t->mode == 1) {
        if (top == 0) return;
        t->r = (uint16_t)(t->r >= top ? 0 : t->r + 1);
        if (before == top && t->r == 0) t->ifg = 1;
    } else if (t->mode == 2) {
        t->r = (uint16_t)((t->r + 1) & t->max);
        if (t->r == 0) t->ifg = 1;
    } else {
        if (top == 0) return;
        if (!t->down && t->r >= top) t->down = 1;
        else if (t->down && t->r == 0) t->down = 0;
        t->r = (uint16_t)(t->down ? t->r - 1 : t->r + 1);
        if (t->r == top) t->down = 1;
        if (t->r == 0) { t->ifg = 1; t->down = 0; }
    }
    for (int x = 0; x < 3; x++)
        if (t->r == t->ccr[x]) t->ccifg[x] = 1;
}

static void test_timer_against_reference(void)
{
    int bad = 0;
    for (int round = 0; round < 60 && bad < 3; round++) {
        mote_t *m = spin_mote();
        int tb = round & 1;
        uint16_t ctl = tb ? 0x180 : 0x160, cctl = ctl + 2, tr = ctl + 0x10, ccr = ctl + 0x12;
        ref_timer_t ref = {0};
        ref.mode = 1 + (int)(r16() % 3);
        unsigned cntl = tb ? r16() % 4 : 0;
        static const uint32_t len[4] = {0xFFFF, 0x0FFF, 0x03FF, 0x00FF};
        ref.max = len[cntl];
        if (ref.mode == 2 && ref.max == 0xFFFF) ref.max = 0x00FF, cntl = 3; /* wraps within the test */
        if (!tb && ref.mode == 2) ref.mode = 1;
        unsigned id = r16() % 4;
        for (int x = 0; x < 3; x++) {
            ref.ccr[x] = (uint16_t)(1 + r16() % 200);
            wr(m, (uint16_t)(ccr + 2 * x), ref.ccr[x]);
        }
        int vec0 = tb ? VEC_TIMERB0 : VEC_TIMERA0, vec1 = tb ? VEC_TIMERB1 : VEC_TIMERA1;
        for (int x = 0; x < 3; x++) wr(m, (uint16_t)(cctl + 2 * x), 0x0010); /* CCIE: events are scheduled */
        wr(m, ctl, (uint16_t)((cntl << 11) | 0x0200 | (id << 6) | (ref.mode << 4) | 0x0004 | 0x0002));
        uint64_t s0 = clk_ticks(m, CLK_SRC_SMCLK);
        uint64_t done = 0;
        for (int step = 0; step < 40 && bad < 3; step++) {
            run_to(m, m->now + 1 + r16() % 900);
            uint64_t T = (clk_ticks(m, CLK_SRC_SMCLK) - s0) >> id;
            /* the interrupt lines, before any register access syncs the timer: events fired on time */
            int line0 = (m->irq_lines >> vec0) & 1, line1 = (m->irq_lines >> vec1) & 1;
            uint16_t hw_r = rd(m, tr); /* syncs the lazy timer to now */
            while (done < T) { ref_tick(&ref); done++; }
            int hw_ifg = rd(m, ctl) & 1;
            int ok = hw_r == ref.r && hw_ifg == ref.ifg;
            for (int x = 0; x < 3; x++) ok = ok && ((rd(m, (uint16_t)(cctl + 2 * x)) & 1) == ref.ccifg[x]);
            ok = ok && line0 == ref.ccifg[0] && line1 == (ref.ccifg[1] | ref.ccifg[2] | ref.ifg);
            if (!ok) {
                bad++;
                printf("timer %c mode %d id %u ccr %u %u %u after %llu ticks: r %u/%u ifg %d/%d\n", tb ? 'B' : 'A',
                       ref.mode, id, ref.ccr[0], ref.ccr[1], ref.ccr[2], (unsigned long long)T, hw_r, ref.r,
                       hw_ifg, ref.ifg);
            }
            /* software clears every flag at random times; sometimes CCR0 moves (maybe below TAR) */
            if (r16() % 2) {
                wr(m, ctl, (uint16_t)(rd(m, ctl) & ~1u));
                for (int x = 0; x < 3; x++) wr(m, (uint16_t)(cctl + 2 * x), 0x0010);
                ref.ifg = ref.ccifg[0] = ref.ccifg[1] = ref.ccifg[2] = 0;
            }
            if (r16() % 5 == 0) {
                ref.ccr[0] = (uint16_t)(1 + r16() % 200);
                wr(m, ccr, ref.ccr[0]);
            }
        }
        mote_destroy(m);
    }
    CHECK(bad == 0, "lazy timers agree with the tick-by-tick reference");
}

/* ---------------------------------------------------------------- multiplier */

static void test_mpy(void)
{
    mote_t *m = spin_mote();
    int bad = 0;
    uint32_t acc = 0;
    int32_t sacc = 0;
    wr(m, 0x13A, 0); wr(m, 0x13C, 0);
    for (int i = 0; i < 5000 && bad < 5; i++) {
        uint16_t a = r16(), b = r16();
        wr(m, 0x130, a); wr(m, 0x138, b);
        uint32_t p = (uint32_t)a * b;
        if (rd(m, 0x13A) != (uint16_t)p || rd(m, 0x13C) != (uint16_t)(p >> 16) || rd(m, 0x13E) != 0) bad++, printf("MPY %u*%u\n", a, b);
        wr(m, 0x132, a); wr(m, 0x138, b);
        int32_t sp = (int16_t)a * (int16_t)b;
        if (rd(m, 0x13A) != (uint16_t)sp || rd(m, 0x13C) != (uint16_t)((uint32_t)sp >> 16) || rd(m, 0x13E) != (sp < 0 ? 0xFFFF : 0)) bad++, printf("MPYS\n");
        wr(m, 0x13A, (uint16_t)acc); wr(m, 0x13C, (uint16_t)(acc >> 16));
        wr(m, 0x134, a); wr(m, 0x138, b);
        uint64_t s = (uint64_t)acc + p;
        if (rd(m, 0x13A) != (uint16_t)s || rd(m, 0x13C) != (uint16_t)(s >> 16) || rd(m, 0x13E) != (uint16_t)(s >> 32)) bad++, printf("MAC\n");
        acc = (uint32_t)s;
        wr(m, 0x13A, (uint16_t)sacc); wr(m, 0x13C, (uint16_t)((uint32_t)sacc >> 16));
        wr(m, 0x136, a); wr(m, 0x138, b);
        int32_t ss = (int32_t)((uint32_t)sacc + (uint32_t)sp);
        /* SUMEXT: the correct sign of the sum, also after an overflow/underflow (user's guide) */
        int64_t true_sum = (int64_t)sacc + sp;
        if (rd(m, 0x13A) != (uint16_t)ss || rd(m, 0x13C) != (uint16_t)((uint32_t)ss >> 16) || rd(m, 0x13E) != (true_sum < 0 ? 0xFFFF : 0)) bad++, printf("MACS\n");
        sacc = ss;
    }
    CHECK(bad == 0, "multiplier mismatches: %d", bad);
    mote_destroy(m);
}

/* ---------------------------------------------------------------- watchdog */
static void test_wdt(void)
{
    mote_t *m = spin_mote();
    /* interval mode, ACLK, /512: 512 ACLK ticks = 15.625 ms */
    wr(m, 0x120, 0x5A00 | 0x10 | 0x08 | 0x04 | 0x02);
    sfr_set_bits(m, SFR_IE1, SFR1_WDT);
    uint64_t a = clk_aclk_ticks(m);
    run_to(m, clk_cycle_of_tick(m, CLK_SRC_ACLK, a + 511));
    CHECK(!(sfr_get(m, SFR_IFG1) & SFR1_WDT), "no WDTIFG before 512 ticks");
    run_to(m, clk_cycle_of_tick(m, CLK_SRC_ACLK, a + 512));
    CHECK(sfr_get(m, SFR_IFG1) & SFR1_WDT, "WDTIFG at 512 ticks");
    CHECK(m->irq_lines & (1u << VEC_WDT), "WDT vector line");
    CHECK(rd(m, 0x120) == (0x6900 | 0x10 | 0x04 | 0x02), "WDTCTL reads 0x69xx, CNTCL reads 0: %04x", rd(m, 0x120));
    /* bad password: PUC */
    wr(m, 0x120, 0x1234);
    CHECK(m->puc_pending, "PUC on bad password");
    run_to(m, m->now + 10);
    CHECK(rd(m, 0x120) == 0x6900, "WDTCTL reset after PUC");
    /* watchdog mode expiry: SMCLK / 32768 */
    uint64_t s = clk_ticks(m, CLK_SRC_SMCLK) - wdt_counter(m);
    uint64_t expiry = clk_cycle_of_tick(m, CLK_SRC_SMCLK, s + 32768);
    run_to(m, expiry - 10);
    CHECK(!m->puc_pending, "no PUC early");
    sfr_clear_bits(m, SFR_IFG1, SFR1_WDT);
    run_to(m, expiry + 40);
    CHECK(sfr_get(m, SFR_IFG1) & SFR1_WDT, "WDTIFG kept across the watchdog PUC");
    mote_destroy(m);
}

/* ---------------------------------------------------------------- USART */
static uint8_t spi_last;
static uint8_t spi_dev(mote_t *m, void *ctx, uint8_t mosi)
{
    (void)m; (void)ctx;
    spi_last = mosi;
    return (uint8_t)~mosi;
}

static void test_uart(void)
{
    mote_t *m = spin_mote();
    /* DCO ~3.9 MHz: RSEL 7, DCO 4, MOD 13 -> set 115200 from SMCLK */
    wr8(m, 0x57, 0x87);
    wr8(m, 0x56, 0x80 | 13);
    uint32_t f = clk_freq_hz(m, CLK_SRC_SMCLK);
    uint32_t ubr = f / 115200;
    uint32_t frac = (uint32_t)(((uint64_t)f * 8 / 115200) - ubr * 8); /* eighths */
    static const uint8_t modpat[8] = {0x00, 0x01, 0x11, 0x25, 0x55, 0x6B, 0x77, 0x7F};
    wr8(m, 0x78, 0x11);           /* CHAR | SWRST */
    wr8(m, 0x79, 0x20);           /* SSEL SMCLK */
    wr8(m, 0x7C, (uint8_t)ubr); wr8(m, 0x7D, (uint8_t)(ubr >> 8));
    wr8(m, 0x7B, modpat[frac]);
    sfr_set_bits(m, SFR_ME2, SFR2_UTX1 | SFR2_URX1);
    wr8(m, 0x78, 0x10);           /* release SWRST */
    CHECK(sfr_get(m, SFR_IFG2) & SFR2_UTX1, "UTXIFG1 set when idle");
    uint64_t t0 = m->now;
    wr8(m, 0x7F, 'A');
    CHECK(sfr_get(m, SFR_IFG2) & SFR2_UTX1, "UTXIFG1 set again once TXBUF moved to the shifter");
    CHECK(!(rd8(m, 0x79) & 1), "TXEPT clear while sending");
    wr8(m, 0x7F, 'B');
    CHECK(!(sfr_get(m, SFR_IFG2) & SFR2_UTX1), "UTXIFG1 clear with a byte waiting");
    run_to(m, t0 + 10 * m->mclk_hz / 115200 + 200);
    uint8_t out[16];
    uint32_t n = mote_serial_take(m, 1, out, sizeof out);
    CHECK(n == 1 && out[0] == 'A', "first byte out: n=%u", n);
    run_to(m, t0 + 2 * (10 * m->mclk_hz / 115200) + 200);
    n = mote_serial_take(m, 1, out, sizeof out);
    CHECK(n == 1 && out[0] == 'B', "second byte out n=%u", n);
    CHECK(rd8(m, 0x79) & 1, "TXEPT set when idle");
    CHECK(uart_tx_count(m, 1) == 2, "2 chars");
    double us = uart_char_cycles(m, 1) * 1e6 / m->mclk_hz;
    CHECK(us > 86.8 * 0.97 && us < 86.8 * 1.03, "8N1 at 115200 = 86.8 us: %.2f", us);
    /* RX: paced queue */
    uint8_t msg[3] = {'x', 'y', 'z'};
    CHECK(uart_rx_push(m, 1, msg, 3) == 3, "queued");
    uint64_t ch = uart_char_cycles(m, 1);
    run_to(m, m->now + ch + 5);
    CHECK(sfr_get(m, SFR_IFG2) & SFR2_URX1, "URXIFG1 after one char time");
    CHECK(rd8(m, 0x7E) == 'x', "RXBUF x");
    CHECK(!(sfr_get(m, SFR_IFG2) & SFR2_URX1), "read clears URXIFG1");
    run_to(m, m->now + 2 * ch + 5);
    CHECK(rd8(m, 0x7E) == 'z', "z (y overrun)");
    CHECK(uart_rx_queued(m, 1) == 0, "queue empty");
    CHECK(uart_rx_byte(m, 1, 'q') == 0 && uart_rx_byte(m, 1, 'r') == 1, "overrun reported");
    CHECK(rd8(m, 0x7A) & 0x20, "OE set");
    rd8(m, 0x7E);
    CHECK(!(rd8(m, 0x7A) & 0x20), "OE cleared by reading RXBUF");
    /* SPI master on USART0 */
    spi_attach(m, 0, spi_dev, NULL);
    wr8(m, 0x70, 0x17);   /* CHAR SYNC MM SWRST */
    wr8(m, 0x71, 0x22);   /* SMCLK, STC */
    wr8(m, 0x74, 2); wr8(m, 0x75, 0);
    sfr_set_bits(m, SFR_ME1, SFR1_URX0);
    wr8(m, 0x70, 0x16);
    uint64_t s0 = m->now;
    wr8(m, 0x77, 0x5A);
    run_to(m, s0 + 8 * 2 * (m->mclk_hz / clk_freq_hz(m, CLK_SRC_SMCLK)) + 4);
    CHECK(spi_last == 0x5A, "device saw MOSI");
    CHECK(sfr_get(m, SFR_IFG1) & SFR1_URX0, "URXIFG0 after 8 bits");
    CHECK(rd8(m, 0x76) == 0xA5, "MISO in RXBUF");
    mote_destroy(m);
}

/* ---------------------------------------------------------------- ports */
static int out_calls;
static uint8_t out_last;
static void on_out(mote_t *m, void *ctx, int port, uint8_t out, uint8_t dir, uint8_t changed)
{
    (void)m; (void)ctx; (void)dir; (void)changed;
    if (port == 4) { out_calls++; out_last = out; }
}

static void test_ports(void)
{
    mote_t *m = spin_mote();
    port_add_output_listener(m, on_out, NULL);
    wr8(m, 0x1E, 0x64);          /* P4DIR: 2, 5, 6 */
    wr8(m, 0x1D, 0x24);          /* P4OUT: CSn high, VREG_EN high */
    CHECK(out_calls >= 1 && out_last == 0x24, "listener saw P4OUT: %02x", out_last);
    CHECK(rd8(m, 0x1C) == 0x24, "P4IN shows outputs");
    /* P1 edges */
    wr8(m, 0x24, 0x01);          /* P1IES.0 falling */
    wr8(m, 0x25, 0x09);          /* P1IE 0, 3 */
    port_set_input(m, 1, 3, 1);  /* rising on P1.3 (IES 0) */
    CHECK(rd8(m, 0x23) == 0x08, "P1IFG.3 %02x", rd8(m, 0x23));
    CHECK(m->irq_lines & (1u << VEC_PORT1), "PORT1 line");
    port_set_input(m, 1, 0, 1);  /* rising on P1.0, IES falling: no flag */
    CHECK(rd8(m, 0x23) == 0x08, "no flag on wrong edge");
    port_set_input(m, 1, 0, 0);
    CHECK(rd8(m, 0x23) == 0x09, "falling edge flag");
    wr8(m, 0x23, 0);
    CHECK(!(m->irq_lines & (1u << VEC_PORT1)), "line cleared by software");
    CHECK(rd8(m, 0x20) == 0x08, "P1IN %02x", rd8(m, 0x20));
    port_set_input(m, 2, 7, 1);
    CHECK(rd8(m, 0x2B) == 0x80, "P2IFG.7");
    CHECK(!(m->irq_lines & (1u << VEC_PORT2)), "P2 not enabled");
    mote_destroy(m);
}

/* ---------------------------------------------------------------- flash */
static void test_flash(void)
{
    mote_t *m = spin_mote();
    memset(&m->mem[0x8000], 0x00, 512);
    m->mem[0x1200] = 0xFF; m->mem[0x1201] = 0x3F; /* jmp $ in RAM */
    m->r[0] = 0x1200; /* the CPU runs from RAM */
    wr(m, 0x12A, 0xA540 | 9); /* MCLK / 10 */
    wr(m, 0x12C, 0xA500);     /* unlock */
    wr(m, 0x128, 0xA502);     /* ERASE */
    uint64_t t0 = m->now;
    flash_cpu_write(m, NULL, 0x8010, 0, 0);
    CHECK(flash_busy(m), "BUSY during erase");
    CHECK(m->mem[0x8000] == 0xFF && m->mem[0x81FF] == 0xFF && m->mem[0x8200] != 0xFF, "segment erased");
    flash_cpu_write(m, NULL, 0x8010, 0, 0);
    CHECK(rd(m, 0x12C) & 0x04, "ACCVIFG on write while busy");
    run_to(m, t0 + 4819 * 10 - 20);
    CHECK(flash_busy(m), "still busy");
    run_to(m, t0 + 4819 * 10 + 5);
    CHECK(!flash_busy(m), "erase took 4819 fFTG cycles");
    CHECK(!(rd(m, 0x128) & 0x02), "ERASE auto-cleared");
    wr(m, 0x12C, 0xA500);     /* clear ACCVIFG */
    wr(m, 0x128, 0xA540);     /* WRT */
    m->r[0] = 0x4000;         /* now from flash: the CPU is held */
    t0 = m->now;
    flash_cpu_write(m, NULL, 0x8010, 0x1234, 0);
    CHECK(m->now == t0 + 35 * 10, "CPU held 35 fFTG cycles: %llu", (unsigned long long)(m->now - t0));
    CHECK(m->mem[0x8010] == 0x34 && m->mem[0x8011] == 0x12, "word written");
    flash_cpu_write(m, NULL, 0x8010, 0xFFFF, 0);
    CHECK(m->mem[0x8010] == 0x34, "programming cannot set bits");
    wr(m, 0x12C, 0xA510);     /* LOCK */
    flash_cpu_write(m, NULL, 0x8020, 0, 1);
    CHECK(m->mem[0x8020] == 0xFF && (rd(m, 0x12C) & 0x04), "locked: ignored + ACCVIFG");
    wr(m, 0x128, 0x1234);     /* wrong key */
    CHECK(m->puc_pending && (rd(m, 0x12C) & 0x02), "KEYV + PUC");
    run_to(m, m->now + 10);
    CHECK((rd(m, 0x12C) & 0x02) && (rd(m, 0x12C) & 0x10), "KEYV kept, LOCK after PUC: %04x", rd(m, 0x12C));
    mote_destroy(m);
}

/* ---------------------------------------------------------------- ADC12 */
static void test_adc(void)
{
    mote_t *m = spin_mote();
    adc_set_channel(m, 5, 1234);
    wr8(m, 0x80 + 3, 0x80 | 5);            /* MCTL3: EOS, INCH 5 */
    wr(m, 0x1A6, 1u << 3);                 /* IE3 */
    wr(m, 0x1A2, (3u << 12) | 0x0200);     /* CSTARTADD 3, SHP, ADC12OSC, single */
    uint64_t t0 = m->now;
    wr(m, 0x1A0, 0x0010 | 0x0002 | 0x0001); /* ON ENC SC, SHT 4 clocks */
    CHECK(rd(m, 0x1A2) & 1, "ADC12BUSY");
    uint64_t conv = (uint64_t)(17) * m->mclk_hz / 5000000 + 2;
    run_to(m, t0 + conv + 2);
    CHECK(!(rd(m, 0x1A2) & 1), "done after 17 ADC12OSC clocks");
    CHECK(m->irq_lines & (1u << VEC_ADC12), "ADC12 line");
    CHECK(rd(m, 0x1A8) == 6 + 2 * 3, "ADC12IV MEM3");
    CHECK(rd(m, 0x146) == 1234, "MEM3 = channel value");
    CHECK(!(rd(m, 0x1A4) & 8), "IFG3 cleared by reading MEM3");
    /* noise mode deterministic from the seed */
    adc_set_channel_noise(m, 5, 4);
    uint16_t seq1[8], seq2[8];
    for (int pass = 0; pass < 2; pass++) {
        adc_seed(m, 42);
        for (int i = 0; i < 8; i++) {
            wr(m, 0x1A0, 0x0010 | 0x0002 | 0x0001);
            run_to(m, m->now + conv + 4);
            (pass ? seq2 : seq1)[i] = rd(m, 0x146);
        }
    }
    int same = memcmp(seq1, seq2, sizeof seq1) == 0, varies = 0, high_ok = 1;
    for (int i = 0; i < 8; i++) {
        if (seq1[i] != seq1[0]) varies = 1;
        if ((seq1[i] & ~15) != (1234 & ~15)) high_ok = 0;
    }
    CHECK(same && varies && high_ok, "noise: same seed same values, low 4 bits vary");
    mote_destroy(m);
}

/* ---------------------------------------------------------------- SFRs / NMI */
static void test_sfr_nmi(void)
{
    mote_t *m = spin_mote();
    CHECK(sfr_get(m, SFR_IFG1) & SFR1_OF, "OFIFG set after reset");
    CHECK((sfr_get(m, SFR_IFG1) & SFR1_UTX0) && (sfr_get(m, SFR_IFG2) & SFR2_UTX1), "UTXIFGx set after reset");
    CHECK(!(m->irq_lines & (1u << VEC_NMI)), "no NMI while OFIE = 0");
    wr8(m, 0x0000, SFR1_OF);  /* OFIE */
    CHECK(m->irq_lines & (1u << VEC_NMI), "OFIFG & OFIE -> NMI line");
    m->irq_accept[VEC_NMI](m, m->irq_accept_ctx[VEC_NMI], VEC_NMI);
    CHECK(!(rd8(m, 0x0000) & SFR1_OF), "acceptance clears OFIE");
    CHECK(rd8(m, 0x0002) & SFR1_OF, "OFIFG stays for software");
    CHECK(!(m->irq_lines & (1u << VEC_NMI)), "NMI line released");
    /* RST/NMI pin in NMI mode, falling edge */
    wr(m, 0x120, 0x5A80 | 0x20 | 0x40);
    wr8(m, 0x0000, SFR1_NMI);
    sfr_nmi_pin(m, 1);
    CHECK(!(rd8(m, 0x0002) & SFR1_NMI), "rising edge ignored with WDTNMIES");
    sfr_nmi_pin(m, 0);
    CHECK((rd8(m, 0x0002) & SFR1_NMI) && (m->irq_lines & (1u << VEC_NMI)), "falling edge: NMIIFG + NMI");
    mote_destroy(m);
}

int main(void)
{
    test_sfr_nmi();
    test_clock();
    test_timer_a_up();
    test_timer_a_cont_iv();
    test_timer_a_updown_and_capture();
    test_timer_b_capture_and_clld();
    test_timer_against_reference();
    test_mpy();
    test_wdt();
    test_uart();
    test_ports();
    test_flash();
    test_adc();
    printf("%d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
