/*
 * sim_medium.h — the per-frame work of the simulation's UDGM radio medium (harness/sim/medium.py) in
 * C: who hears a frame that starts (energy, locks, collisions), which receivers get it and with what
 * verdict when it ends, and what every radio hears per channel (CCA pin, RSSI register). The rules
 * are written down once, in harness/sim/medium.py's docstring; Python keeps the configuration, the
 * pending frames, the random draws, the statistics and the events (logs, pcap).
 *
 * Radios are slots 0..n-1 in the order added, each with its mote id (every list that the rules
 * order by id is ordered by it). An emulated radio (a CC2420 model of a mote) is fed directly through
 * its port (med_port_*, below), which holds the rules for feeding a model; any other radio (a Python
 * SimRadio) is asked through the callback given to med_create (op MED_OP_*; the medium's Python side
 * answers).
 *
 * Transmissions are identified by the sequence number Python gives them. Per medium event Python
 * calls med_finish for every frame ending (in (end, sender) order), med_start for every frame
 * starting (in (start, sender) order), then med_signal once.
 */
#ifndef ESSE_SIM_MEDIUM_H
#define ESSE_SIM_MEDIUM_H

#include <stdint.h>

#include "dev_cc2420.h"
#include "sim_group.h"

typedef struct med med_t;

/* ---- a port: the medium's side of one CC2420 model
 * The one home of the rules for feeding a model, used by the medium (med_add_radio) and by host code
 * that drives a radio directly (harness/emulator/radio.py SkyRadio): which states can sync to a
 * frame, RSSI and energy levels rounded to whole dBm, a collision marked in the model while it still
 * can be, and a verdict of "corrupted" the model could no longer take counted as late. The port
 * remembers the channel energy it set, the receptions it marked (up to CC2420_MAX_AIR, the oldest
 * forgotten first) and the late corruptions. Times are the medium's microseconds. */
enum { MED_RX_CORRELATION = 110 }; /* correlation reported for a clean reception (datasheet typical) */
typedef struct med_port med_port_t;

med_port_t *med_port_create(cc2420_t *r); /* NULL out of memory */
void med_port_free(med_port_t *p);
/* The mote's simulation bookkeeping (NULL: none): the mote is brought to its group's time (simm_sync)
 * before the port touches the model. */
void med_port_set_sim(med_port_t *p, simm_t *sim);
int med_port_listening(const med_port_t *p); /* 1: the model can still sync to a frame's SFD */
/* A frame the radio locked onto begins (preamble at start_us) at level rssi dBm: into the model's
 * receiver on its current channel. 0, or cc2420_receive's code (-1 length, -2 too many on the air). */
int med_port_rx_start(med_port_t *p, const uint8_t *frame, unsigned len, double rssi, int64_t start_us);
/* The reception that began at start_us collided: 1 marked (CRC-OK = 0), 0 too late or unknown. */
int med_port_corrupt(med_port_t *p, int64_t start_us);
/* The verdict at the frame's end: a bad one the port did not mark and the model cannot take is late. */
void med_port_deliver(med_port_t *p, int64_t start_us, int crc_ok);
/* What the radio hears: {channels[i]: levels[i] dBm}; channels outside 11..26 are ignored. A mote behind
 * its group gets the changes when it next moves, at the same simulated times (sim_group.h simm_defer). */
void med_port_energy(med_port_t *p, const int *channels, const double *levels, int n);
uint64_t med_port_late(const med_port_t *p); /* corruptions too late for the model to mark */
/* Channel-energy changes held for the mote while it stood behind its group (replayed before it next
 * moved, sim_group.h simm_defer): a figure for tests and benchmarks. */
uint64_t med_port_held(const med_port_t *p);

/* ops of the callback for radios without a C model */
enum {
    MED_OP_CHANNEL = 0,   /* return the radio's channel */
    MED_OP_LISTENING = 1, /* return 1 when it can sync to a frame now */
    MED_OP_RX_START = 2,  /* frame `seq` begins at it; rssi = its level */
    MED_OP_CORRUPT = 3,   /* the reception that began at `arg` (us) collided */
    MED_OP_ENERGY = 4,    /* what it hears changed: med_cb_levels() has the new levels */
    MED_OP_DELIVER = 5    /* frame `arg` (seq) ends; rssi = its level, flag = CRC ok */
};
typedef int (*med_radio_fn)(void *ctx, int op, int slot, int64_t arg, double rssi, int flag);

/* ranges in metres, success_ratio_rx within [0, 1] */
med_t *med_create(double transmitting_range, double interference_range, double success_ratio_rx,
                  med_radio_fn fn, void *ctx);
void med_free(med_t *m);

/* A radio at slot med_n() (returned, -1 out of memory). port NULL: asked through the callback (the
 * port must outlive the medium). Clears every neighbour list. */
int med_add_radio(med_t *m, int mote_id, med_port_t *port);
int med_n(const med_t *m);

/* The radios a frame of `slot` can reach at full power, ascending mote id, with their distance. */
int med_set_near(med_t *m, int slot, const int *slots, const double *dist, int n);
int med_has_near(const med_t *m, int slot);

/* A frame starts: the sender's own reception is spoilt, the frame goes on the air, and unless
 * `lost` (its TX draw failed) every radio within range hears it. Receivers with a success
 * probability below 1 are not locked yet: med_draws() lists them (ascending id) with their
 * probability; Python draws and calls med_lock for the ones that get the frame.
 * Returns 0, -1 out of memory, -2 a radio refused the frame (med_error_slot, med_error_code:
 * cc2420_receive's code). */
int med_start(med_t *m, int64_t seq, int sender, const uint8_t *frame, unsigned len, int channel,
              int power, int64_t start_us, int64_t end_us, int lost);
int med_draws(const med_t *m, int *slots, double *prob, int max);
int med_lock(med_t *m, int64_t seq, int slot);
int med_error_slot(const med_t *m);
int med_error_code(const med_t *m);

/* A frame ends: every receiver gets it with its verdict (ascending id); out_* (room for med_n)
 * get each receiver's slot and whether its CRC is good. Returns the number of receivers. */
int med_finish(med_t *m, int64_t seq, int *out_slots, int *out_ok);

/* Tell every radio touched since the last call what it hears, those whose levels changed. */
int med_signal(med_t *m);

/* The levels of the ENERGY callback in progress: channels and dBm, returns how many. */
int med_cb_levels(const med_t *m, int *channels, double *levels, int max);
/* What radio `slot` hears now: {channel: strongest level} of the frames on the air. */
int med_energy_at(const med_t *m, int slot, int *channels, double *levels, int max);
/* Corruptions the medium saw too late for the CC2420 model to mark (its last byte was in): its
 * port's count, whoever drove it (0 for a radio without a port). */
uint64_t med_late_corruptions(const med_t *m, int slot);
/* Frames med_finish reported for radio `slot`: received whole (`ok` != 0) or corrupted (the
 * medium's received / corrupted counters, read on demand instead of counted per reception). */
uint64_t med_rx_count(const med_t *m, int slot, int ok);

#endif /* ESSE_SIM_MEDIUM_H */
