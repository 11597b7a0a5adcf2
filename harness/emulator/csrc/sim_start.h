/*
 * sim_start.h — a mote that powers on later than the simulation starts (Cooja's mote start-up delay,
 * `motedelay_us`): until its start time the mote is held unpowered (CPU off, every clock gated, no
 * interrupt accepted); at the start time it gets its power-on reset and runs from the reset vector,
 * so everything it does is shifted by the start time on the simulation's timeline.
 *
 * The held stretch shows in the power tracker as CPU mode LPM4 (the only all-clocks-off mode); its
 * length is sim_start_held_ns() so a power report can leave it out.
 */
#ifndef ESSE_SIM_START_H
#define ESSE_SIM_START_H

#include <stdint.h>
#include "mote.h"

typedef struct sim_start sim_start_t;

/* Hold mote m (standing at simulated time 0, just loaded) until simulated time start_ns, then POR.
 * Returns NULL when out of memory. The handle must outlive the mote's runs (free it with the mote). */
sim_start_t *sim_start_hold(mote_t *m, uint64_t start_ns);
void sim_start_free(sim_start_t *h);
/* 1 once the mote has powered on. */
int sim_start_started(const sim_start_t *h);
/* Simulated ns from 0 to the power-on (the first MCLK cycle at or after start_ns). */
uint64_t sim_start_held_ns(const sim_start_t *h);

#endif /* ESSE_SIM_START_H */
