/*
 * sky_clock.c - DCO calibration and the monotonic clock, both on Timer_A.
 *
 * Calibration (MSP430x1xx family user's guide, Basic Clock module and Timer_A capture): with
 * ACLK divided by 8, Timer_A counts SMCLK (= DCO) and captures on every rising edge of ACLK/8
 * (CCI2B), so two captures are SMCLK_HZ / 4096 counts apart. DCOCTL (DCOx + MODx, treated as
 * one 8-bit step) moves up or down one step per measurement, carrying into RSEL at either end,
 * until the count is within tolerance of the target; a search that keeps reversing direction
 * has bracketed the target and stops there.
 */
#include <msp430.h>

#include "irq.h"
#include "sky.h"

#define ACLK_DIV8_HZ (SKY_ACLK_HZ / 8u)
#define DCO_TARGET_COUNT ((uint16_t)(SKY_DCO_TARGET_HZ / ACLK_DIV8_HZ))
#define DCO_TOLERANCE 3u     /* counts: about 0.3 % */
#define DCO_MAX_STEPS 4096u  /* about one second of ACLK/8 periods */
#define DCO_MAX_REVERSALS 6u
#define CAPTURE_MAX_POLLS 20000u

static uint32_t dco_hz;
static uint32_t boot_ticks;   /* ACLK ticks from power-on to the end of the calibration */
static uint16_t aclk8_edges;  /* ACLK/8 rising edges the calibration saw */
static volatile uint16_t clock_overflows;
static sky_timera_ccr_fn ccr_handler;
static volatile uint8_t alarm_armed, alarm_expired;
static uint32_t alarm_at;

/* Waits for the next ACLK/8 capture; 0 when none comes (no 32 kHz crystal running). One
 * period is about 1 000 polls at 3.9 MHz, fewer at lower DCO settings. */
static int wait_capture(uint16_t *at)
{
    for (uint16_t polls = 0; polls < CAPTURE_MAX_POLLS; polls++) {
        if (TACCTL2 & CCIFG) {
            aclk8_edges += (TACCTL2 & COV) ? 2u : 1u; /* COV: one edge went by unread */
            TACCTL2 &= (uint16_t)~(CCIFG | COV);
            *at = TACCR2;
            return 1;
        }
    }
    return 0;
}

static void dco_step(int up)
{
    uint8_t rsel = BCSCTL1 & (RSEL2 | RSEL1 | RSEL0);
    if (up) {
        if (DCOCTL != 0xFFu) {
            DCOCTL++;
        } else if (rsel < 7u) {
            BCSCTL1 = (uint8_t)((BCSCTL1 & ~(RSEL2 | RSEL1 | RSEL0)) | (rsel + 1u));
            DCOCTL = 0;
        }
    } else {
        if (DCOCTL != 0u) {
            DCOCTL--;
        } else if (rsel > 0u) {
            BCSCTL1 = (uint8_t)((BCSCTL1 & ~(RSEL2 | RSEL1 | RSEL0)) | (rsel - 1u));
            DCOCTL = 0xFFu;
        }
    }
}

uint32_t sky_dco_calibrate(void)
{
    uint16_t sr = irq_save_disable();
    uint16_t tb_start = TBR; /* Timer_B has counted ACLK since crt0 (power-on) */
    aclk8_edges = 0;
    BCSCTL1 = (uint8_t)(XT2OFF | DIVA_3 | (BCSCTL1 & (RSEL2 | RSEL1 | RSEL0)));
    BCSCTL2 = 0; /* MCLK = SMCLK = DCO, undivided */
    TACTL = TASSEL_2 | MC_2 | TACLR;
    TACCTL2 = CM_1 | CCIS_1 | SCS | CAP;

    uint16_t last, now, count = 0;
    int last_dir = 0;
    unsigned reversals = 0;
    int ok = wait_capture(&last);
    for (unsigned step = 0; ok && step < DCO_MAX_STEPS; step++) {
        ok = wait_capture(&now);
        if (!ok)
            break;
        count = (uint16_t)(now - last);
        last = now;
        if (count + DCO_TOLERANCE >= DCO_TARGET_COUNT && count <= DCO_TARGET_COUNT + DCO_TOLERANCE)
            break;
        int dir = count < DCO_TARGET_COUNT ? 1 : -1;
        if (last_dir != 0 && dir != last_dir && ++reversals >= DCO_MAX_REVERSALS)
            break;
        last_dir = dir;
        dco_step(dir > 0);
        ok = wait_capture(&last); /* the period straddling the change is not a clean measurement */
    }

    TACCTL2 = 0;
    TACTL = TACLR;
    BCSCTL1 &= (uint8_t)~DIVA_3; /* ACLK back to 32 768 Hz */
    /* Boot length for energest: the ACLK divider counts LFXT1 edges since power-on, so ACLK/8 edges
     * fall on multiples of 8 ticks: the first one after tb_start, then one per capture seen. The few
     * microseconds from the last capture to here are left out (less than a tick). */
    boot_ticks = tb_start;
    if (aclk8_edges)
        boot_ticks = (tb_start | 7u) + 1u + 8ul * (aclk8_edges - 1u);
    dco_hz = ok ? (uint32_t)count * ACLK_DIV8_HZ : 0;
    irq_restore(sr);
    return dco_hz;
}

uint32_t sky_dco_hz(void)
{
    return dco_hz;
}

uint32_t sky_boot_ticks(void)
{
    return boot_ticks + sky_clock_ticks();
}

void sky_clock_start(void)
{
    clock_overflows = 0;
    TACTL = TASSEL_1 | MC_2 | TACLR | TAIE;
}

/* TAR runs from ACLK, asynchronous to MCLK: take a value only once two reads agree. */
static uint16_t read_tar(void)
{
    uint16_t a, b;
    do {
        a = TAR;
        b = TAR;
    } while (a != b);
    return a;
}

uint32_t sky_clock_ticks(void)
{
    uint16_t sr = irq_save_disable();
    uint16_t hi = clock_overflows;
    uint16_t lo = read_tar();
    if ((TACTL & TAIFG) && lo < 0x8000u)
        hi++; /* wrapped, interrupt not served yet */
    irq_restore(sr);
    return ((uint32_t)hi << 16) | lo;
}

void sky_clock_wait(uint32_t ticks)
{
    uint32_t start = sky_clock_ticks();
    while (sky_clock_ticks() - start < ticks) {
    }
}

void sky_timera_set_ccr_handler(sky_timera_ccr_fn fn)
{
    ccr_handler = fn;
}

/* Fires the alarm if its instant has come; interrupts are off. */
static void alarm_check(void)
{
    if (alarm_armed && (int32_t)(sky_clock_ticks() - alarm_at) >= 0) {
        alarm_armed = 0;
        alarm_expired = 1;
        TACCTL1 = 0;
        sky_wake_main();
    }
}

void sky_clock_set_alarm(uint32_t at)
{
    uint16_t sr = irq_save_disable();
    alarm_at = at;
    alarm_expired = 0;
    alarm_armed = 1;
    TACCR1 = (uint16_t)at; /* matches once per 2 s wrap; alarm_check() tells which is due */
    TACCTL1 = CCIE;
    alarm_check(); /* already due, or TAR passed the compare value while arming */
    irq_restore(sr);
}

void sky_clock_cancel_alarm(void)
{
    uint16_t sr = irq_save_disable();
    alarm_armed = 0;
    TACCTL1 = 0;
    irq_restore(sr);
}

int sky_clock_alarm_expired(void)
{
    return alarm_expired;
}

SKY_WAKEUP_ISR(SKY_VECTOR_TIMERA1, sky_timera1_isr)
{
    uint16_t iv = TAIV; /* reading TAIV clears the flag it reports */
    if (iv == 0x0Au)
        clock_overflows++;
    else if (iv == 0x02u)
        alarm_check();
    else if (iv != 0 && ccr_handler)
        ccr_handler(iv);
}
