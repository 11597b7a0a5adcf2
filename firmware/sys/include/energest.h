/*
 * energest.h - time per power state, kept by the board layer (Contiki's energest idea; our code).
 *
 * States: CPU active, radio transmitting, radio listening (RX on: searching or receiving), each LED
 * lit. LPM time is not counted separately: it is the elapsed time minus CPU time, exactly.
 * UART1 transmission is counted in bytes (each keeps the transmitter busy 10 bit times).
 *
 * Time base (two hardware timers, read together at every state change: a "stamp"):
 *  - Timer_A on ACLK (32 768 Hz, sky_clock_ticks(): 30.5 us resolution, 32 bits, wraps after
 *    36.4 h): every stretch, and the only clock while SMCLK is stopped (LPM2-4).
 *  - Timer_B on SMCLK (the calibrated DCO, ~3.9 MHz: 0.26 us resolution, 16 bits, wraps every
 *    16.8 ms): a stretch with no LPM2-4 in it and shorter than ENERGEST_FINE_MAX_TICKS is measured
 *    in SMCLK counts (wraps resolved with the ACLK delta). CPU stretches are mostly a few hundred
 *    microseconds long and start on ACLK edges (timer wake-ups): ACLK alone would drop most of them.
 *  - Boot: crt0 starts Timer_B on ACLK as its second instruction, so energest_init() (called by
 *    sky_init() once the DCO is calibrated) reads how long the boot took; the CPU never sleeps
 *    before, so that time is CPU time. Then Timer_B moves to SMCLK for good.
 * Every state keeps two cumulative counters: ACLK ticks and SMCLK counts; its time is
 * ticks / 32768 + counts / fine_hz, where fine_hz is SMCLK measured against ACLK at init.
 * Counters are uint32 and wrap: a reader takes differences modulo 2^32 between reports (SMCLK counts
 * wrap after 18 min of one state: report more often than that).
 *
 * The report line (docs/energy.md), one per energest_print():
 *   EG1 <node> <seq> <hz> <now> <cpu_t> <cpu_f> <tx_t> <tx_f> <rx_t> <rx_f> <ledr_t> <ledr_f>
 *       <ledg_t> <ledg_f> <ledb_t> <ledb_f> <uart_bytes>
 * all decimal: hz = fine_hz, now = ACLK ticks since power-on (boot included).
 */
#ifndef ESSE_ENERGEST_H
#define ESSE_ENERGEST_H

#include <stddef.h>
#include <stdint.h>

enum energest_type {
    ENERGEST_CPU = 0,
    ENERGEST_TX,
    ENERGEST_LISTEN,
    ENERGEST_LED_RED,
    ENERGEST_LED_GREEN,
    ENERGEST_LED_BLUE,
    ENERGEST_TYPES
};

/* Report period in seconds for energest_periodic() / energest_poll(); 0: no periodic reports. */
#ifndef ENERGEST_PERIOD_S
#define ENERGEST_PERIOD_S 0
#endif

#define ENERGEST_LINE_MAX 192

typedef struct {
    uint32_t ticks[ENERGEST_TYPES]; /* ACLK ticks */
    uint32_t fine[ENERGEST_TYPES];  /* SMCLK counts */
    uint32_t now;                   /* ACLK ticks since power-on */
    uint32_t fine_hz;
    uint32_t uart_bytes;
    uint16_t seq;
} energest_report_t;

void energest_init(void);             /* sky_init(): after the DCO and Timer_A are set up */
void energest_on(uint8_t type);       /* the state starts now (no effect if already on) */
void energest_off(uint8_t type);      /* the state ends now (no effect if already off) */
void energest_switch(uint8_t off, uint8_t on); /* one instant: `off` ends, `on` starts */
/* The same at an earlier instant of the current CPU stretch given as a Timer_B (SMCLK) count, e.g. a
 * capture (the CC2420's SFD falling edge: the end of a transmitted frame). */
void energest_switch_at(uint8_t off, uint8_t on, uint16_t smclk);
/* Moves `us` microseconds of counted time from one state to another (a stretch the driver knows of
 * but cannot stamp: the CC2420's automatic acknowledgements are sent from the listen state). */
void energest_move(uint8_t from, uint8_t to, uint32_t us);
void energest_sleep(uint16_t sr_bits); /* the CPU enters a low-power mode (SR bits) */
void energest_wake(void);              /* the CPU runs again (no effect if it already does) */
/* Counts the CPU stretch the last sleep ended (deferred so that the wake-up stays fast);
 * sky_sleep() calls it before masking interrupts. */
void energest_settle(void);
void energest_uart_byte(void);
/* The counters now, open stretches included (seq is the number of reports taken before). */
void energest_read(energest_report_t *r);
/* Formats the report line ('\n' included) and counts it; returns its length. */
int energest_format(char *buf, size_t size);
/* A line when ENERGEST_PERIOD_S has passed since the last one (the first at once), else 0. */
int energest_poll(char *buf, size_t size);
/* energest_poll() printed on stdout (UART1). */
void energest_periodic(void);

#endif /* ESSE_ENERGEST_H */
