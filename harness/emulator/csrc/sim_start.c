/* sim_start.c — see sim_start.h. */
#include "sim_start.h"

#include <stdlib.h>

#ifndef MOTE_NO_PERIPH
#include "cpu.h"
#include "periph_clk.h"

struct sim_start {
    mote_event_t ev;
    uint64_t held_ns;
    int started;
};

static void power_on(mote_t *m, mote_event_t *ev)
{
    sim_start_t *h = ev->ctx;
    h->started = 1;
    mote_reset(m); /* POR: peripherals to their reset values, PC from the reset vector */
}

sim_start_t *sim_start_hold(mote_t *m, uint64_t start_ns)
{
    sim_start_t *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    mote_event_init(&h->ev, "power-on", power_on, h);
    uint64_t cycle = clk_cycle_at_ns(m, start_ns);
    h->held_ns = clk_cycle_to_ns(m, cycle);
    if (cycle == 0) {
        h->started = 1;
        return h;
    }
    /* Unpowered: LPM4 (CPUOFF + OSCOFF + SCG0/1 gate MCLK, SMCLK and ACLK, so the watchdog and the
     * timers stand still) with GIE clear; the only thing left to happen is the power-on event. */
    uint16_t old = m->r[2];
    m->r[2] = SR_CPUOFF | SR_OSCOFF | SR_SCG0 | SR_SCG1;
    cpu_sr_written(m, old);
    mote_event_schedule(m, &h->ev, cycle);
    return h;
}

void sim_start_free(sim_start_t *h) { free(h); }

int sim_start_started(const sim_start_t *h) { return h->started; }

uint64_t sim_start_held_ns(const sim_start_t *h) { return h->held_ns; }

#endif /* MOTE_NO_PERIPH */
