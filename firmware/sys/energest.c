/*
 * energest.c - per-state time counters from Timer_A (ACLK) and Timer_B (SMCLK); see energest.h.
 *
 * Hooks: sky_sleep() (LPM entry), the SKY_WAKEUP_ISR entry/exit stubs (an interrupt taken in a
 * low-power mode runs the CPU until its RETI goes back to sleep), sky_leds_*(), sky_uart1_putc()
 * and the CC2420 driver (firmware/dev/cc2420.c: RX on, TX strobe to TX done, off).
 */
#include <msp430.h>
#include <stdio.h>

#include "energest.h"
#include "irq.h"
#include "sky.h"

extern volatile uint8_t __sky_wake_flag; /* sky_sleep.c: main() runs on after this interrupt */

/* Stretches shorter than this (and without LPM2-4 inside) are measured in SMCLK counts: the ACLK
 * delta then picks the number of Timer_B wraps, right while the estimate from the calibrated ratio
 * is off by less than half a wrap (0.25 s x 0.3 % calibration error << 32768 counts). */
#define ENERGEST_FINE_MAX_TICKS 8192u
/* Below this many ACLK ticks (7.8 ms < one 16.8 ms Timer_B wrap at up to 4.2 MHz) no wrap can hide. */
#define ENERGEST_NO_WRAP_TICKS 256u

/* CPU cycles the stamps cannot see, which the core counts as active (cycle counts of the code
 * paths, MSP430 instruction timings; checked on the emulator): from interrupt acceptance (6 cycles)
 * to the stub's TBR read (WAKE); from __energest_isr()'s TBR read to the end of the stub's RETI
 * (ISR_SLEEP); from energest_sleep()'s TBR read to the BIS that enters the low-power mode (MAIN_SLEEP). */
#define ENERGEST_WAKE_CYCLES 21u
#define ENERGEST_ISR_SLEEP_CYCLES 58u
#define ENERGEST_MAIN_SLEEP_CYCLES 131u

typedef struct {
    uint32_t t;     /* ACLK ticks since power-on */
    uint16_t f;     /* TBR (SMCLK) */
    uint16_t epoch; /* LPM2-4 entries so far: Timer_B stood still in between when they differ */
} stamp_t;

static uint8_t running, active;    /* active: bit per state */
static uint16_t epoch;
static uint32_t clock_base;        /* sky_clock_ticks() + clock_base = ticks since power-on */
static uint32_t fine_hz, per_tick; /* per_tick: SMCLK counts per ACLK tick x 256 */
static uint32_t ticks[ENERGEST_TYPES], fine[ENERGEST_TYPES], uart_bytes;
static stamp_t since[ENERGEST_TYPES];
/* The CPU stretch that the last sleep ended, accounted later (outside the interrupts-off window
 * before the LPM entry, so interrupts are served as fast as without energest). */
static stamp_t pending_from, pending_to;
static uint8_t pending;
static uint16_t seq;
static uint32_t next_report;

static void stamp(stamp_t *s)
{
    s->f = TBR;
    s->t = sky_clock_ticks() + clock_base;
    s->epoch = epoch;
}

/* What the stretch [*a, *now) adds to a state's counters: ACLK ticks, or Timer_B (SMCLK) counts. */
static void span_counts(const stamp_t *a, const stamp_t *now, uint32_t *add_ticks, uint32_t *add_fine)
{
    uint32_t dt = now->t - a->t;
    *add_ticks = *add_fine = 0;
    if (now->epoch != a->epoch || dt >= ENERGEST_FINE_MAX_TICKS) {
        *add_ticks = dt;
        return;
    }
    uint16_t f = (uint16_t)(now->f - a->f);
    uint32_t counts = f;
    if (dt >= ENERGEST_NO_WRAP_TICKS) {
        uint32_t estimate = (dt * per_tick) >> 8;
        if (estimate + 32768u > f)
            counts += ((estimate + 32768u - f) >> 16) << 16;
    }
    *add_fine = counts;
}

/* Adds the stretch [*a, *now) to the state's counters (interrupts off). */
static void account_span(uint8_t type, const stamp_t *a, const stamp_t *now)
{
    uint32_t add_ticks, add_fine;
    span_counts(a, now, &add_ticks, &add_fine);
    ticks[type] += add_ticks;
    fine[type] += add_fine;
}

static void account(uint8_t type, const stamp_t *now) { account_span(type, &since[type], now); }

/* The CPU stretch the last sleep closed, if not counted yet (interrupts off). */
static void settle(void)
{
    if (pending) {
        /* counted, then marked counted: RAM read between the two (the host's energest probe stops
         * the mote at any instruction) shows the stretch twice for a few instructions, where the
         * other order hid it for the whole of account_span */
        account_span(ENERGEST_CPU, &pending_from, &pending_to);
        pending = 0;
    }
}

static void set_on(uint8_t type, const stamp_t *now)
{
    uint8_t bit = (uint8_t)(1u << type);
    if (!(active & bit)) {
        active |= bit;
        since[type] = *now;
    }
}

void energest_init(void)
{
    uint16_t sr = irq_save_disable();
    uint32_t now = sky_clock_ticks();
    uint32_t boot = sky_boot_ticks(); /* the boot never slept: all CPU time */
    TBCTL = TBSSEL_2 | MC_2 | TBCLR; /* Timer_B counts SMCLK from here on */
    fine_hz = sky_dco_hz() ? sky_dco_hz() : SKY_DCO_TARGET_HZ;
    per_tick = fine_hz >> 7; /* x 256 / 32768 */
    clock_base = boot - now; /* ticks since power-on = sky_clock_ticks() + clock_base */
    for (uint8_t i = 0; i < ENERGEST_TYPES; i++)
        ticks[i] = fine[i] = 0;
    ticks[ENERGEST_CPU] = boot;
    active = 0;
    pending = 0;
    uart_bytes = 0;
    seq = 0;
    epoch = 0;
    stamp_t s;
    stamp(&s);
    set_on(ENERGEST_CPU, &s);
    uint8_t leds = sky_leds_get();
    for (uint8_t i = 0; i < 3; i++)
        if (leds & (SKY_LED_RED << i))
            set_on((uint8_t)(ENERGEST_LED_RED + i), &s);
    next_report = s.t;
    running = 1;
    irq_restore(sr);
}

#define NO_STATE 0xFFu

/* `off` ends and `on` starts (NO_STATE: none) at one stamp, taken now or, with `at_smclk`, at the
 * Timer_B count `smclk` of the current CPU stretch. Interrupts are off only for the stamp and the
 * state bits, and again for the final additions: the span arithmetic in between takes longer than
 * one UART1 character at 115200 baud (87 us, one byte of buffer), and a border router receiving SLIP
 * while it switched its radio from TX to listen lost a byte of the host's datagram (an overrun). */
static void transition(uint8_t off, uint8_t on, int at_smclk, uint16_t smclk)
{
    if (!running || (off != NO_STATE && off >= ENERGEST_TYPES) || (on != NO_STATE && on >= ENERGEST_TYPES))
        return;
    uint16_t sr = irq_save_disable();
    stamp_t s, from;
    uint8_t closed = 0;
    stamp(&s);
    if (at_smclk)
        s.f = smclk; /* a few microseconds back: the ACLK part stays within its one-tick resolution */
    if (off != NO_STATE && (active & (1u << off))) {
        active &= (uint8_t)~(1u << off);
        from = since[off];
        closed = 1;
    }
    if (on != NO_STATE)
        set_on(on, &s);
    irq_restore(sr);
    if (closed) {
        uint32_t add_ticks, add_fine;
        span_counts(&from, &s, &add_ticks, &add_fine);
        sr = irq_save_disable();
        ticks[off] += add_ticks;
        fine[off] += add_fine;
        irq_restore(sr);
    }
}

void energest_on(uint8_t type) { transition(NO_STATE, type, 0, 0); }

void energest_off(uint8_t type) { transition(type, NO_STATE, 0, 0); }

void energest_switch(uint8_t off, uint8_t on) { transition(off, on, 0, 0); }

void energest_switch_at(uint8_t off, uint8_t on, uint16_t smclk) { transition(off, on, 1, smclk); }

void energest_move(uint8_t from, uint8_t to, uint32_t us)
{
    if (!running || from >= ENERGEST_TYPES || to >= ENERGEST_TYPES)
        return;
    uint32_t counts = us * (fine_hz / 1000u) / 1000u;
    uint16_t sr = irq_save_disable();
    fine[from] -= counts;
    fine[to] += counts;
    irq_restore(sr);
}

/* Called with interrupts off, right before the instruction that enters the low-power mode: a stamp,
 * nothing else (the stretch is counted after the wake-up). */
void energest_sleep(uint16_t sr_bits)
{
    if (!running || !(active & (1u << ENERGEST_CPU)))
        return;
    settle(); /* normally done already by energest_settle() */
    stamp(&pending_to);
    pending_from = since[ENERGEST_CPU];
    pending = 1;
    active &= (uint8_t)~(1u << ENERGEST_CPU);
    fine[ENERGEST_CPU] += ENERGEST_MAIN_SLEEP_CYCLES;
    if (sr_bits & SCG1)
        epoch++; /* SMCLK stops: Timer_B stands still until the next wake-up */
}

void energest_settle(void)
{
    if (running)
        settle(); /* main() with the CPU on: interrupts now leave the CPU counters alone */
}

void energest_wake(void)
{
    if (!running)
        return;
    uint16_t sr = irq_save_disable();
    if (!(active & (1u << ENERGEST_CPU))) {
        stamp_t s;
        stamp(&s);
        set_on(ENERGEST_CPU, &s);
    }
    irq_restore(sr);
}

/* The SKY_WAKEUP_ISR stub calls this after the handler's body, with the status register the
 * interrupt saved and the TBR value at entry. An interrupt taken in a low-power mode ran the CPU from
 * its acceptance: either main() runs on (the CPU stretch starts at entry) or the RETI goes back to
 * sleep (the handler's cycles are added at once). */
void __energest_isr(uint16_t saved_sr, uint16_t tbr_entry);
void __energest_isr(uint16_t saved_sr, uint16_t tbr_entry)
{
    if (!running || !(saved_sr & CPUOFF))
        return;
    if (__sky_wake_flag) {
        stamp_t s;
        stamp(&s);
        s.f = tbr_entry;
        set_on(ENERGEST_CPU, &s);
        fine[ENERGEST_CPU] += ENERGEST_WAKE_CYCLES;
    } else {
        fine[ENERGEST_CPU] += (uint16_t)(TBR - tbr_entry) + ENERGEST_WAKE_CYCLES + ENERGEST_ISR_SLEEP_CYCLES;
    }
}

void energest_uart_byte(void)
{
    uart_bytes++;
}

void energest_read(energest_report_t *r)
{
    uint16_t sr = irq_save_disable();
    settle();
    stamp_t s;
    stamp(&s);
    for (uint8_t i = 0; i < ENERGEST_TYPES; i++) {
        uint32_t t = ticks[i], f = fine[i];
        if (running && (active & (1u << i))) {
            /* the open stretch, as if it ended now */
            uint32_t t0 = ticks[i], f0 = fine[i];
            account(i, &s);
            t = ticks[i];
            f = fine[i];
            ticks[i] = t0;
            fine[i] = f0;
        }
        r->ticks[i] = t;
        r->fine[i] = f;
    }
    r->now = s.t;
    r->fine_hz = fine_hz;
    r->uart_bytes = uart_bytes;
    r->seq = seq;
    irq_restore(sr);
}

int energest_format(char *buf, size_t size)
{
    energest_report_t r;
    energest_read(&r);
    seq++;
    return snprintf(buf, size,
                    "EG1 %x %x %lx %lx %lx %lx %lx %lx %lx %lx %lx %lx %lx %lx %lx %lx %lx\n",
                    sky_node_id(), r.seq, (unsigned long)r.fine_hz, (unsigned long)r.now,
                    (unsigned long)r.ticks[ENERGEST_CPU], (unsigned long)r.fine[ENERGEST_CPU],
                    (unsigned long)r.ticks[ENERGEST_TX], (unsigned long)r.fine[ENERGEST_TX],
                    (unsigned long)r.ticks[ENERGEST_LISTEN], (unsigned long)r.fine[ENERGEST_LISTEN],
                    (unsigned long)r.ticks[ENERGEST_LED_RED], (unsigned long)r.fine[ENERGEST_LED_RED],
                    (unsigned long)r.ticks[ENERGEST_LED_GREEN], (unsigned long)r.fine[ENERGEST_LED_GREEN],
                    (unsigned long)r.ticks[ENERGEST_LED_BLUE], (unsigned long)r.fine[ENERGEST_LED_BLUE],
                    (unsigned long)r.uart_bytes);
}

int energest_poll(char *buf, size_t size)
{
#if ENERGEST_PERIOD_S > 0
    uint32_t now = sky_clock_ticks() + clock_base;
    if (!running || (int32_t)(now - next_report) < 0)
        return 0;
    /* from this report, not from the last due time: after a long busy stretch (a self-test) the
     * reports would otherwise come at every poll until the schedule caught up */
    next_report = now + (uint32_t)ENERGEST_PERIOD_S * SKY_ACLK_HZ;
    return energest_format(buf, size);
#else
    (void)buf;
    (void)size;
    return 0;
#endif
}

void energest_periodic(void)
{
    char line[ENERGEST_LINE_MAX];
    if (energest_poll(line, sizeof line) > 0)
        printf("%s", line);
}
