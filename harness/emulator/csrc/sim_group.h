/*
 * sim_group.h — emulated motes inside the multi-mote simulation (harness/sim): per-mote bookkeeping
 * on the simulation's nanosecond timeline and a group stepper that advances many motes together
 * without returning to Python at every engine window.
 *
 * Per mote (simm_t): UART1 bytes stamped with the simulated time their stop bit ended, and the time
 * spent in every (component, mode) since attach, from the core's power tracker (mote.h).
 *
 * Group (simg_t): conservative lookahead, extended. A frame reaches the air no earlier than
 * `lookahead_ns` (CC2420: 192 us) after the decision that made it (a TX strobe or an automatic
 * acknowledgement), and such a decision needs the mote's CPU to be running or a timed event of the
 * mote (a radio or timer event) to fire. A mote whose CPU is off with no interrupt pending cannot
 * decide anything before its next queued event. So all members may run together up to
 *   W = min over members of (earliest possible decision) + lookahead
 * where the earliest possible decision is "now" for a running CPU and the next queued event
 * otherwise: every frame decided in [now, W] starts at or after W. The stepper repeats such windows
 * until the limit the caller gives (the next medium event, paced UART byte or stop time) and returns
 * early, at a window end, after any member started a transmission (simg_note_event, called from the
 * radio's TX callback) or sent a newline or a SLIP END (0xC0: the host bridge or SSM behind a border
 * router acts on the datagram it ends) on UART1, or filled half its UART buffer.
 *
 * Lazy stepping: the members sit in one heap keyed by that earliest decision time (wake_ns), and a
 * window runs only the members that wake by its end; the others stay behind, since nothing can
 * happen to them before they wake. The group stands at the time reached; a member left behind is
 * brought there (catch-up, a jump of its clock) when the host touches it or reads it: simm_sync
 * before the host hands it a frame, a UART byte or reads its radio state, and simm_now_ns,
 * simm_mode_ns and simm_run_until_ns by themselves. simm_sync also marks the member for a new wake
 * time at the next simg_run (the host may have queued events for it). So the cost of a window is
 * that of the members that wake in it, not of all members.
 */
#ifndef ESSE_SIM_GROUP_H
#define ESSE_SIM_GROUP_H

#include <stddef.h>
#include <stdint.h>
#include "mote.h"

typedef struct simm simm_t;
typedef struct simg simg_t;

/* Attach the bookkeeping to a loaded mote (registers a UART1 TX listener; the power totals, read
 * from the core's tracker, start at the mote's present). Free it only when the mote will not run
 * again.
 * NULL when out of memory or when the mote already has one (mote_setup_error says which). */
simm_t *simm_attach(mote_t *m);
void simm_free(simm_t *s);
/* Bring a group member that stayed behind to its group's time and mark it touched (its wake time is
 * recomputed at the next simg_run): call it before the host changes or reads the mote (radio, UART,
 * memory). Returns mote_run's code (0 reached). No effect outside a group or inside simg_run. */
int simm_sync(simm_t *s);
/* Deferred work for a member that stands behind its group: the medium's channel-energy changes
 * (csrc/sim_medium.c). Applying such a change at once would bring the member to the group's time
 * first, touching a mote whose state is cold in the host's caches, only for it to run again a little
 * later; instead `fn(ctx)` runs right before the member's next run or catch-up, while it still stands
 * where it was left, and replays the changes: the mote is brought forward (clk_run_until_ns) to each
 * change's time, at most the group's time, and the change applied there, the same calls in the same
 * order as at once. Only work that cannot wake the member may be deferred (its wake time is kept).
 * Returns 1 and *at_us = the group's time (where a catch-up would bring the member) when the member
 * stands behind a group that is not running (fn is then called once before the member next moves);
 * 0 otherwise (nothing deferred: do the work now). One fn per member (the first call's). */
typedef int (*simm_deferred_fn)(void *ctx); /* returns mote_run's code (0 reached) */
int simm_defer(simm_t *s, simm_deferred_fn fn, void *ctx, uint64_t *at_us);
/* The member's mote. */
mote_t *simm_mote(simm_t *s);
/* The mote's simulated time (a group member is caught up first). */
uint64_t simm_now_ns(simm_t *s);
/* Run the mote until its simulated time is >= ns (the first cycle at or after ns). Returns mote_run's
 * code (0 reached). */
int simm_run_until_ns(simm_t *s, uint64_t ns);
/* Nanoseconds spent in (component, mode) since attach, the open stretch included (the core's
 * tracker, mote_component_ns, minus its value at attach). */
uint64_t simm_mode_ns(simm_t *s, int component, int mode);
/* UART1 bytes sent since the last take: count, their end times (ns) and values. */
size_t simm_uart_pending(simm_t *s);
size_t simm_uart_take(simm_t *s, uint64_t *t_ns, uint8_t *bytes, size_t max);
/* UART1 bytes lost because the host did not take them in time (the oldest go first). */
uint64_t simm_uart_dropped(simm_t *s);

/* PUCs (watchdog, key violations, ...) of this mote since attach, and the simulated time of the latest
 * (its cause is m->last_reset_cause). A PUC also ends the group's current window, like a line. */
uint64_t simm_resets(simm_t *s);
uint64_t simm_last_reset_ns(simm_t *s);

simg_t *simg_create(uint64_t lookahead_ns);
void simg_free(simg_t *g);
/* Add a member (members are stepped in the order added). Returns its index, -1 when full or when
 * `s` is a member already (mote_setup_error). A member shares its predecode cache with the earlier
 * members of the same flash image (mote_share_code), so members must be run from one thread. */
int simg_add(simg_t *g, simm_t *s);
/* Something observable happened inside the current run (e.g. a frame was committed to the air):
 * the run returns at the end of the current window. */
void simg_note_event(simg_t *g);
/* Advance the group from now_us (where it stands) towards limit_us. Returns 0 when limit_us was
 * reached, 1 when it stopped early at *reached_us after an observable event, or a mote fault code
 * (>= 2, mote_run's) with *fault_index = the first member (in member order) that faulted in the last
 * window (the group stands at *reached_us, the faulting one somewhere inside the last window). */
int simg_run(simg_t *g, uint64_t now_us, uint64_t limit_us, uint64_t *reached_us, int *fault_index);
/* Bring every member left behind to the group's time (e.g. before reading all of them). Returns the
 * first non-zero mote_run code, 0 when all reached it. */
int simg_sync_all(simg_t *g);
/* Members with UART1 bytes waiting: writes up to max member indices into out, returns the count. */
int simg_uart_members(simg_t *g, int *out, int max);
/* Members' PUCs since creation (one counter to poll instead of every member). */
uint64_t simg_resets(simg_t *g);
/* Windows stepped since creation (a figure for the benchmark). */
uint64_t simg_windows(simg_t *g);
/* Member runs inside those windows (the members that woke in them; a figure for the benchmark). */
uint64_t simg_runs(simg_t *g);

#endif /* ESSE_SIM_GROUP_H */
