/* sim_medium.c — see sim_medium.h; the rules are harness/sim/medium.py's docstring. */
#include "sim_medium.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "periph_clk.h"

#ifndef MOTE_NO_PERIPH

#define PA_LEVEL_MAX 31
#define RSSI_STRONG_DBM (-10.0)
#define RSSI_WEAK_DBM (-95.0)
#define NO_ENERGY_DBM (-128)
#define MAX_LEVELS 16 /* distinct channels a radio hears at once (more: the extra ones are dropped) */

typedef struct {
    int slot;
    double rssi;
    uint8_t corrupted;
} rec_t;

typedef struct tx {
    int64_t seq, start_us, end_us;
    int sender, channel, power;
    unsigned len;
    uint8_t frame[128];
    int *e_slot; /* energy: every radio within interference range, ascending id */
    double *e_rssi;
    int ne;
    int *heard; /* radios on its channel it disturbs */
    int nheard;
    rec_t *rec; /* receptions */
    int nrec;
} tx_t;

typedef struct {
    int n;
    int ch[MAX_LEVELS];
    double lv[MAX_LEVELS];
} levels_t;

/* A channel-energy change held for a mote that stands behind its group (simm_defer): applied at
 * t_us, when the mote next moves. */
typedef struct {
    uint64_t t_us;
    int8_t ch, dbm;
} energy_op_t;
#define PORT_OPS 64 /* held changes per radio (a full queue is replayed at once) */

struct med_port {
    cc2420_t *r;
    simm_t *sim;
    energy_op_t ops[PORT_OPS]; /* deferred cc2420_set_channel_energy calls, in order */
    int nops;
    uint64_t held; /* changes held since creation (med_port_held) */
    int8_t set_dbm[16]; /* the model's channel energy as set (channels 11..26) */
    uint8_t has_dbm[16];
    int64_t marks[CC2420_MAX_AIR]; /* start_us of receptions marked corrupted, not yet delivered */
    int nmarks;
    uint64_t late;
};

typedef struct {
    int id;
    med_port_t *port;
    int *near; /* neighbours at full power (NULL: not set) */
    double *dist;
    int nnear;
    tx_t *lock;         /* the frame it is locked onto */
    tx_t *transmitting; /* its own frame on the air */
    int heard_count;    /* frames on the air whose `heard` holds it */
    levels_t sent;      /* the levels last signalled */
    levels_t now;       /* scratch of med_signal */
    uint8_t touched;
    uint64_t rx_ok, rx_bad; /* frames med_finish reported received whole / corrupted */
} radio_t;

struct med {
    double tx_range, int_range, srx;
    med_radio_fn fn;
    void *ctx;
    radio_t *radios;
    int n, cap;
    tx_t **active;
    int nactive, capactive;
    int *touched;
    int ntouched;
    int *draw_slot; /* receivers of the last med_start still to draw for */
    double *draw_prob;
    int ndraw;
    const levels_t *cb_levels;
    int err_slot, err_code;
    /* id order without comparisons for the many-radio sorts (a frame's receivers, touched radios):
     * slot -> rank by id and back, a bitmap over ranks (all clear between uses), rec_t scratch.
     * ranks: 0 stale (a radio was added), 1 valid, -1 ids not unique (qsort as before). */
    int *slot_rank, *rank_slot;
    uint64_t *rank_bits;
    rec_t *rec_tmp;
    int ranks;
};

med_t *med_create(double transmitting_range, double interference_range, double success_ratio_rx,
                  med_radio_fn fn, void *ctx)
{
    med_t *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->tx_range = transmitting_range;
    m->int_range = interference_range;
    m->srx = success_ratio_rx;
    m->fn = fn;
    m->ctx = ctx;
    m->err_slot = -1;
    return m;
}

static void tx_free(tx_t *t)
{
    if (!t)
        return;
    free(t->e_slot);
    free(t->e_rssi);
    free(t->heard);
    free(t->rec);
    free(t);
}

void med_free(med_t *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->n; i++) {
        free(m->radios[i].near);
        free(m->radios[i].dist);
    }
    for (int i = 0; i < m->nactive; i++)
        tx_free(m->active[i]);
    free(m->radios);
    free(m->active);
    free(m->touched);
    free(m->draw_slot);
    free(m->draw_prob);
    free(m->slot_rank);
    free(m->rank_slot);
    free(m->rank_bits);
    free(m->rec_tmp);
    free(m);
}

static void clear_near(med_t *m)
{
    for (int i = 0; i < m->n; i++) {
        free(m->radios[i].near);
        free(m->radios[i].dist);
        m->radios[i].near = NULL;
        m->radios[i].dist = NULL;
        m->radios[i].nnear = 0;
    }
}

/* Resize the array *pp to cap elements (it keeps its old block when that fails: -1). */
static int resize(void **pp, int cap, size_t size)
{
    void *p = realloc(*pp, (size_t)cap * size);
    if (!p)
        return -1;
    *pp = p;
    return 0;
}

int med_add_radio(med_t *m, int mote_id, med_port_t *port)
{
    if (m->n == m->cap) {
        int cap = m->cap ? 2 * m->cap : 16;
        if (resize((void **)&m->radios, cap, sizeof *m->radios) ||
            resize((void **)&m->touched, cap, sizeof *m->touched) ||
            resize((void **)&m->draw_slot, cap, sizeof *m->draw_slot) ||
            resize((void **)&m->draw_prob, cap, sizeof *m->draw_prob) ||
            resize((void **)&m->slot_rank, cap, sizeof *m->slot_rank) ||
            resize((void **)&m->rank_slot, cap, sizeof *m->rank_slot) ||
            resize((void **)&m->rec_tmp, cap, sizeof *m->rec_tmp) ||
            resize((void **)&m->rank_bits, (cap + 63) / 64, sizeof *m->rank_bits))
            return -1;
        memset(m->rank_bits, 0, (size_t)((cap + 63) / 64) * sizeof *m->rank_bits);
        m->cap = cap;
    }
    m->ranks = 0;
    clear_near(m);
    radio_t *r = &m->radios[m->n];
    memset(r, 0, sizeof *r);
    r->id = mote_id;
    r->port = port;
    return m->n++;
}

int med_n(const med_t *m) { return m->n; }

int med_set_near(med_t *m, int slot, const int *slots, const double *dist, int n)
{
    if (slot < 0 || slot >= m->n)
        return -1;
    radio_t *r = &m->radios[slot];
    int *s = malloc((size_t)(n ? n : 1) * sizeof *s);
    double *d = malloc((size_t)(n ? n : 1) * sizeof *d);
    if (!s || !d) {
        free(s);
        free(d);
        return -1;
    }
    memcpy(s, slots, (size_t)n * sizeof *s);
    memcpy(d, dist, (size_t)n * sizeof *d);
    free(r->near);
    free(r->dist);
    r->near = s;
    r->dist = d;
    r->nnear = n;
    return 0;
}

int med_has_near(const med_t *m, int slot) { return slot >= 0 && slot < m->n && m->radios[slot].near != NULL; }

/* ---- a port: the rules for feeding one CC2420 model */

med_port_t *med_port_create(cc2420_t *r)
{
    med_port_t *p = calloc(1, sizeof *p);
    if (p)
        p->r = r;
    return p;
}

void med_port_free(med_port_t *p) { free(p); }

void med_port_set_sim(med_port_t *p, simm_t *sim) { p->sim = sim; }

static void sync(med_port_t *p)
{
    if (p->sim)
        simm_sync(p->sim);
}

int med_port_listening(const med_port_t *p)
{
    /* the model itself decides at the SFD, 160 us into a frame: RX calibration (e.g. the 12 symbols
     * after sending, while an acknowledgement is on its way) counts as listening */
    int s = cc2420_state(p->r);
    return s == CC2420_RX_CALIBRATE || s == CC2420_RX_SEARCH || s == CC2420_RX_FRAME;
}

int med_port_rx_start(med_port_t *p, const uint8_t *frame, unsigned len, double rssi, int64_t start_us)
{
    sync(p);
    return cc2420_receive(p->r, frame, len, cc2420_channel(p->r), (int)nearbyint(rssi), MED_RX_CORRELATION,
                          (uint64_t)start_us * 1000u);
}

int med_port_corrupt(med_port_t *p, int64_t start_us)
{
    sync(p);
    if (!cc2420_corrupt(p->r, (uint64_t)start_us * 1000u))
        return 0;
    if (p->nmarks == CC2420_MAX_AIR) { /* never with the medium (one reception per radio at a time) */
        memmove(&p->marks[0], &p->marks[1], (CC2420_MAX_AIR - 1) * sizeof p->marks[0]);
        p->nmarks--;
    }
    p->marks[p->nmarks++] = start_us;
    return 1;
}

void med_port_deliver(med_port_t *p, int64_t start_us, int crc_ok)
{
    sync(p);
    /* the model received the frame byte by byte; a corruption is normally marked when it happened */
    for (int i = 0; i < p->nmarks; i++)
        if (p->marks[i] == start_us) {
            memmove(&p->marks[i], &p->marks[i + 1], (size_t)(p->nmarks - i - 1) * sizeof p->marks[0]);
            p->nmarks--;
            return;
        }
    if (!crc_ok && !cc2420_corrupt(p->r, (uint64_t)start_us * 1000u))
        p->late++;
}

/* Replay the held changes (simm_deferred_fn): the mote stands where it was left, at or before the
 * first one; each is applied once the mote reached its time, as med_port_energy would have then. */
static int port_replay(void *ctx)
{
    med_port_t *p = ctx;
    mote_t *m = simm_mote(p->sim);
    int rc = MOTE_OK;
    uint64_t at = UINT64_MAX;
    for (int i = 0; i < p->nops && rc == MOTE_OK; i++) {
        const energy_op_t *op = &p->ops[i];
        if (op->t_us != at) {
            at = op->t_us;
            rc = clk_run_until_ns(m, at * 1000u);
        }
        if (rc == MOTE_OK)
            cc2420_set_channel_energy(p->r, op->ch, op->dbm);
    }
    p->nops = 0;
    return rc;
}

/* The model's energy on channel ch becomes dbm: now, or held for a mote behind its group (*defer:
 * 1 held, 0 applied at once, -1 not decided yet). A change is held only while the CCA pin cannot
 * interrupt (then it cannot wake the mote: its wake time stays) and the queue has room; the first
 * change that is not held brings the mote to the group's time (replaying the held ones) first. */
static void set_energy(med_port_t *p, int *defer, uint64_t *at_us, int ch, int dbm)
{
    if (*defer < 0) {
        *defer = p->sim && p->nops < PORT_OPS - 16 && !cc2420_cca_can_irq(p->r) &&
                 simm_defer(p->sim, port_replay, p, at_us);
        if (!*defer)
            sync(p);
    }
    if (*defer) {
        p->ops[p->nops++] = (energy_op_t){*at_us, (int8_t)ch, (int8_t)dbm};
        p->held++;
        return;
    }
    cc2420_set_channel_energy(p->r, ch, dbm);
}

void med_port_energy(med_port_t *p, const int *channels, const double *levels, int n)
{
    int defer = -1;
    uint64_t at_us = 0;
    uint8_t has[16] = {0};
    for (int i = 0; i < n; i++) {
        int ch = channels[i];
        if (ch < 11 || ch > 26)
            continue;
        int dbm = (int)nearbyint(levels[i]);
        has[ch - 11] = 1;
        if (!p->has_dbm[ch - 11] || p->set_dbm[ch - 11] != dbm) {
            set_energy(p, &defer, &at_us, ch, dbm);
            p->set_dbm[ch - 11] = (int8_t)dbm;
        }
    }
    for (int c = 0; c < 16; c++) {
        if (p->has_dbm[c] && !has[c])
            set_energy(p, &defer, &at_us, c + 11, NO_ENERGY_DBM);
        p->has_dbm[c] = has[c];
    }
    if (defer < 0)
        sync(p); /* nothing changed: as before, the mote is brought to the group's time */
}

uint64_t med_port_late(const med_port_t *p) { return p->late; }

uint64_t med_port_held(const med_port_t *p) { return p->held; }

/* ---- the radios: a CC2420 model through its port, any other through the callback */

static int radio_channel(med_t *m, int slot)
{
    radio_t *r = &m->radios[slot];
    return r->port ? cc2420_channel(r->port->r) : m->fn(m->ctx, MED_OP_CHANNEL, slot, 0, 0.0, 0);
}

static int radio_listening(med_t *m, int slot)
{
    radio_t *r = &m->radios[slot];
    return r->port ? med_port_listening(r->port) : m->fn(m->ctx, MED_OP_LISTENING, slot, 0, 0.0, 0) != 0;
}

static int radio_rx_start(med_t *m, tx_t *t, int slot, double rssi)
{
    radio_t *r = &m->radios[slot];
    if (!r->port)
        return m->fn(m->ctx, MED_OP_RX_START, slot, t->seq, rssi, 0), 0;
    int rc = med_port_rx_start(r->port, t->frame, t->len, rssi, t->start_us);
    if (rc != 0) {
        m->err_slot = slot;
        m->err_code = rc;
        return -2;
    }
    return 0;
}

static void radio_corrupt(med_t *m, tx_t *t, rec_t *rec)
{
    radio_t *r = &m->radios[rec->slot];
    if (r->port)
        med_port_corrupt(r->port, t->start_us);
    else
        m->fn(m->ctx, MED_OP_CORRUPT, rec->slot, t->start_us, 0.0, 0);
}

static void radio_deliver(med_t *m, tx_t *t, rec_t *rec)
{
    radio_t *r = &m->radios[rec->slot];
    int ok = !rec->corrupted;
    if (r->port)
        med_port_deliver(r->port, t->start_us, ok);
    else
        m->fn(m->ctx, MED_OP_DELIVER, rec->slot, t->seq, rec->rssi, ok);
}

static void radio_energy(med_t *m, int slot, const levels_t *lv)
{
    radio_t *r = &m->radios[slot];
    if (r->port) {
        med_port_energy(r->port, lv->ch, lv->lv, lv->n);
        return;
    }
    m->cb_levels = lv;
    m->fn(m->ctx, MED_OP_ENERGY, slot, 0, 0.0, 0);
    m->cb_levels = NULL;
}

/* ---- frames */

static tx_t *find_active(med_t *m, int64_t seq)
{
    for (int i = 0; i < m->nactive; i++)
        if (m->active[i]->seq == seq)
            return m->active[i];
    return NULL;
}

static rec_t *find_rec(tx_t *t, int slot)
{
    for (int i = 0; i < t->nrec; i++)
        if (t->rec[i].slot == slot)
            return &t->rec[i];
    return NULL;
}

static void touch(med_t *m, int slot)
{
    if (!m->radios[slot].touched) {
        m->radios[slot].touched = 1;
        m->touched[m->ntouched++] = slot;
    }
}

/* Reception of `t` at `slot` is spoilt (delivered at its end with a bad CRC). */
static void corrupt(med_t *m, tx_t *t, int slot)
{
    rec_t *rec = find_rec(t, slot);
    if (!rec || rec->corrupted)
        return;
    rec->corrupted = 1;
    radio_corrupt(m, t, rec);
}

static int lock(med_t *m, tx_t *t, int slot, double rssi)
{
    rec_t *rec = &t->rec[t->nrec++];
    rec->slot = slot;
    rec->rssi = rssi;
    rec->corrupted = 0;
    m->radios[slot].lock = t;
    return radio_rx_start(m, t, slot, rssi);
}

/* Cooja's UDGM success probability at distance d for PA level `power` (medium.py _rx_probability). */
static double rx_probability(const med_t *m, double d, int power)
{
    double r = m->tx_range * power / PA_LEVEL_MAX;
    if (r <= 0.0)
        return 0.0;
    double ratio = pow(d, 2.0) / pow(r, 2.0);
    if (ratio > 1.0)
        return 0.0;
    return 1.0 - ratio * (1.0 - m->srx);
}

int med_start(med_t *m, int64_t seq, int sender, const uint8_t *frame, unsigned len, int channel,
              int power, int64_t start_us, int64_t end_us, int lost)
{
    m->ndraw = 0;
    m->err_slot = -1;
    if (sender < 0 || sender >= m->n || len > sizeof ((tx_t *)0)->frame)
        return -1;
    radio_t *me = &m->radios[sender];
    int nn = me->nnear;
    tx_t *t = calloc(1, sizeof *t);
    if (!t)
        return -1;
    t->e_slot = malloc((size_t)(nn ? nn : 1) * sizeof *t->e_slot);
    t->e_rssi = malloc((size_t)(nn ? nn : 1) * sizeof *t->e_rssi);
    t->heard = malloc((size_t)(nn ? nn : 1) * sizeof *t->heard);
    t->rec = malloc((size_t)(nn ? nn : 1) * sizeof *t->rec);
    if (m->nactive == m->capactive) {
        int cap = m->capactive ? 2 * m->capactive : 16;
        if (!resize((void **)&m->active, cap, sizeof *m->active))
            m->capactive = cap;
    }
    if (!t->e_slot || !t->e_rssi || !t->heard || !t->rec || m->nactive == m->capactive) {
        tx_free(t);
        return -1;
    }
    t->seq = seq;
    t->sender = sender;
    t->channel = channel;
    t->power = power;
    t->start_us = start_us;
    t->end_us = end_us;
    t->len = len;
    memcpy(t->frame, frame, len);

    /* Half duplex: a sender locked onto a reception spoils it. */
    tx_t *own = me->lock;
    if (own) {
        me->lock = NULL;
        corrupt(m, own, sender);
    }
    me->transmitting = t;
    m->active[m->nactive++] = t;
    if (lost)
        return 0;

    double scale = (double)power / PA_LEVEL_MAX;
    double tx_range = m->tx_range * scale;
    double int_range = (m->int_range > m->tx_range ? m->int_range : m->tx_range) * scale;
    if (tx_range <= 0.0)
        return 0;
    for (int i = 0; i < nn; i++) {
        int rid = me->near[i];
        double d = me->dist[i];
        if (d > int_range)
            continue;
        radio_t *r = &m->radios[rid];
        double rssi = d >= tx_range ? RSSI_WEAK_DBM
                                    : RSSI_STRONG_DBM + (d / tx_range) * (RSSI_WEAK_DBM - RSSI_STRONG_DBM);
        t->e_slot[t->ne] = rid;
        t->e_rssi[t->ne++] = rssi;
        touch(m, rid);
        if (radio_channel(m, rid) != channel)
            continue;
        int clear = r->heard_count == 0;
        t->heard[t->nheard++] = rid;
        r->heard_count++;
        if (r->lock) {
            corrupt(m, r->lock, rid); /* collision at this receiver */
            continue;
        }
        if (d > tx_range || r->transmitting || !radio_listening(m, rid) || !clear)
            continue;
        double prob = rx_probability(m, d, power);
        if (prob < 1.0) {
            m->draw_slot[m->ndraw] = rid;
            m->draw_prob[m->ndraw++] = prob;
            continue;
        }
        if (lock(m, t, rid, rssi) != 0)
            return -2;
    }
    return 0;
}

int med_draws(const med_t *m, int *slots, double *prob, int max)
{
    int n = m->ndraw < max ? m->ndraw : max;
    memcpy(slots, m->draw_slot, (size_t)n * sizeof *slots);
    memcpy(prob, m->draw_prob, (size_t)n * sizeof *prob);
    return n;
}

int med_lock(med_t *m, int64_t seq, int slot)
{
    m->err_slot = -1;
    tx_t *t = find_active(m, seq);
    if (!t || slot < 0 || slot >= m->n)
        return -1;
    for (int i = 0; i < t->ne; i++)
        if (t->e_slot[i] == slot)
            return lock(m, t, slot, t->e_rssi[i]);
    return -1;
}

int med_error_slot(const med_t *m) { return m->err_slot; }
int med_error_code(const med_t *m) { return m->err_code; }

static const med_t *sort_med; /* qsort has no context argument */

static int by_id(const void *a, const void *b)
{
    int x = sort_med->radios[*(const int *)a].id, y = sort_med->radios[*(const int *)b].id;
    return (x > y) - (x < y);
}

static int rec_by_id(const void *a, const void *b)
{
    int x = sort_med->radios[((const rec_t *)a)->slot].id, y = sort_med->radios[((const rec_t *)b)->slot].id;
    return (x > y) - (x < y);
}

/* The ranks are valid (recomputed after radios were added); 0: ids not unique. */
static int ranks_ok(med_t *m)
{
    if (m->ranks == 0) {
        for (int i = 0; i < m->n; i++)
            m->rank_slot[i] = i;
        sort_med = m;
        qsort(m->rank_slot, (size_t)m->n, sizeof *m->rank_slot, by_id);
        m->ranks = 1;
        for (int i = 0; i < m->n; i++) {
            m->slot_rank[m->rank_slot[i]] = i;
            if (i && m->radios[m->rank_slot[i]].id == m->radios[m->rank_slot[i - 1]].id)
                m->ranks = -1;
        }
    }
    return m->ranks > 0;
}

/* Mark slot s in the rank bitmap; 0 if it was marked already (a repeated slot: not a set). */
static int mark_rank(med_t *m, int s)
{
    int k = m->slot_rank[s];
    uint64_t bit = 1ull << (k & 63);
    if (m->rank_bits[k >> 6] & bit)
        return 0;
    m->rank_bits[k >> 6] |= bit;
    return 1;
}

static void clear_ranks(med_t *m) { memset(m->rank_bits, 0, (size_t)((m->n + 63) / 64) * sizeof *m->rank_bits); }

/* The lowest marked rank from word *wd on, unmarked as it is taken (taking every marked one leaves the
 * bitmap clear). */
static int take_rank(med_t *m, int *wd)
{
    while (!m->rank_bits[*wd])
        (*wd)++;
    uint64_t b = m->rank_bits[*wd];
    m->rank_bits[*wd] = b & (b - 1);
    return *wd * 64 + __builtin_ctzll(b);
}

/* Receptions in id order: a bitmap over ranks when there are many (unique ids and slots), else qsort. */
static void sort_rec(med_t *m, rec_t *rec, int n)
{
    if (n > 16 && ranks_ok(m)) {
        int i = 0;
        for (; i < n && mark_rank(m, rec[i].slot); i++)
            m->rec_tmp[m->slot_rank[rec[i].slot]] = rec[i];
        if (i == n) {
            int wd = 0;
            for (int j = 0; j < n; j++)
                rec[j] = m->rec_tmp[take_rank(m, &wd)];
            return;
        }
        clear_ranks(m); /* a repeated slot */
    }
    sort_med = m;
    qsort(rec, (size_t)n, sizeof *rec, rec_by_id);
}

/* Slots (unique: the touched flag) in id order, the same way. */
static void sort_slots(med_t *m, int *slots, int n)
{
    if (n > 16 && ranks_ok(m)) {
        for (int i = 0; i < n; i++)
            mark_rank(m, slots[i]);
        int wd = 0;
        for (int j = 0; j < n; j++)
            slots[j] = m->rank_slot[take_rank(m, &wd)];
        return;
    }
    sort_med = m;
    qsort(slots, (size_t)n, sizeof *slots, by_id);
}

int med_finish(med_t *m, int64_t seq, int *out_slots, int *out_ok)
{
    tx_t *t = find_active(m, seq);
    if (!t)
        return -1;
    for (int i = 0; i < m->nactive; i++)
        if (m->active[i] == t) {
            memmove(&m->active[i], &m->active[i + 1], (size_t)(m->nactive - i - 1) * sizeof *m->active);
            m->nactive--;
            break;
        }
    radio_t *me = &m->radios[t->sender];
    if (me->transmitting == t)
        me->transmitting = NULL;
    for (int i = 0; i < t->nheard; i++)
        m->radios[t->heard[i]].heard_count--;
    for (int i = 0; i < t->ne; i++)
        touch(m, t->e_slot[i]);
    if (t->nrec > 1)
        sort_rec(m, t->rec, t->nrec);
    int n = t->nrec;
    for (int i = 0; i < n; i++) {
        rec_t *rec = &t->rec[i];
        radio_t *r = &m->radios[rec->slot];
        if (r->lock == t)
            r->lock = NULL;
        out_slots[i] = rec->slot;
        out_ok[i] = !rec->corrupted;
        if (rec->corrupted)
            r->rx_bad++;
        else
            r->rx_ok++;
        radio_deliver(m, t, rec);
    }
    tx_free(t);
    return n;
}

/* Level of channel `ch` in `lv` raised to at least `rssi` (added when absent). */
static void raise_level(levels_t *lv, int ch, double rssi)
{
    for (int i = 0; i < lv->n; i++)
        if (lv->ch[i] == ch) {
            if (rssi > lv->lv[i])
                lv->lv[i] = rssi;
            return;
        }
    if (lv->n < MAX_LEVELS) {
        lv->ch[lv->n] = ch;
        lv->lv[lv->n++] = rssi;
    }
}

static int same_levels(const levels_t *a, const levels_t *b)
{
    if (a->n != b->n)
        return 0;
    for (int i = 0; i < a->n; i++) {
        int found = 0;
        for (int j = 0; j < b->n; j++)
            if (b->ch[j] == a->ch[i]) {
                found = a->lv[i] == b->lv[j];
                break;
            }
        if (!found)
            return 0;
    }
    return 1;
}

int med_signal(med_t *m)
{
    int k = m->ntouched;
    if (!k)
        return 0;
    /* the new levels of the touched radios, in one pass over the frames on the air */
    for (int i = 0; i < k; i++)
        m->radios[m->touched[i]].now.n = 0;
    for (int a = 0; a < m->nactive; a++) {
        tx_t *t = m->active[a];
        for (int i = 0; i < t->ne; i++) {
            radio_t *r = &m->radios[t->e_slot[i]];
            if (r->touched)
                raise_level(&r->now, t->channel, t->e_rssi[i]);
        }
    }
    if (k > 1)
        sort_slots(m, m->touched, k);
    for (int i = 0; i < k; i++) {
        int s = m->touched[i];
        radio_t *r = &m->radios[s];
        r->touched = 0;
        if (!same_levels(&r->now, &r->sent)) {
            r->sent = r->now;
            radio_energy(m, s, &r->sent);
        }
    }
    m->ntouched = 0;
    return k;
}

int med_cb_levels(const med_t *m, int *channels, double *levels, int max)
{
    const levels_t *lv = m->cb_levels;
    if (!lv)
        return 0;
    int n = lv->n < max ? lv->n : max;
    for (int i = 0; i < n; i++) {
        channels[i] = lv->ch[i];
        levels[i] = lv->lv[i];
    }
    return n;
}

int med_energy_at(const med_t *m, int slot, int *channels, double *levels, int max)
{
    levels_t lv = {0};
    for (int a = 0; a < m->nactive; a++) {
        tx_t *t = m->active[a];
        for (int i = 0; i < t->ne; i++)
            if (t->e_slot[i] == slot)
                raise_level(&lv, t->channel, t->e_rssi[i]);
    }
    int n = lv.n < max ? lv.n : max;
    for (int i = 0; i < n; i++) {
        channels[i] = lv.ch[i];
        levels[i] = lv.lv[i];
    }
    return n;
}

uint64_t med_rx_count(const med_t *m, int slot, int ok)
{
    if (slot < 0 || slot >= m->n)
        return 0;
    return ok ? m->radios[slot].rx_ok : m->radios[slot].rx_bad;
}

uint64_t med_late_corruptions(const med_t *m, int slot)
{
    return slot >= 0 && slot < m->n && m->radios[slot].port ? m->radios[slot].port->late : 0;
}

#endif /* MOTE_NO_PERIPH */
