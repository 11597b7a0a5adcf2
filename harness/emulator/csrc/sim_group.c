/* sim_group.c — see sim_group.h. */
#include "sim_group.h"

#include <stdlib.h>
#include <string.h>

#ifndef MOTE_NO_PERIPH
#include "periph_clk.h"
#include "periph_usart.h"

#define SIMM_UART_CAP 4096u /* bytes buffered per mote between two takes */
#define SIMG_MAX_MEMBERS 4096

struct simm {
    mote_t *m;
    simg_t *group;
    /* power: the core's ns per (component, mode) at attach (totals are reported from there) */
    uint64_t base_ns[MOTE_MAX_COMPONENTS][MOTE_MAX_MODES];
    /* UART1 output ring */
    uint64_t uart_t[SIMM_UART_CAP];
    uint8_t uart_b[SIMM_UART_CAP];
    size_t uart_head, uart_len;
    uint64_t uart_dropped;
    uint64_t wake_ns;   /* group: earliest decision time after its last run (UINT64_MAX: never) */
    uint64_t resets, last_reset_ns; /* PUCs since attach and when the latest happened */
};

struct simg {
    uint64_t lookahead_ns;
    simm_t **members;
    int n, cap;
    int event; /* something observable happened in the current window */
    uint64_t windows;
    uint64_t resets; /* members' PUCs since creation */
};

/* ---------------------------------------------------------------- per mote */

static void on_uart_tx(mote_t *m, void *ctx, int usart, uint8_t byte, uint64_t cycle)
{
    simm_t *s = ctx;
    if (usart != 1)
        return;
    if (s->uart_len == SIMM_UART_CAP) { /* the host did not drain: drop the oldest */
        s->uart_head = (s->uart_head + 1) % SIMM_UART_CAP;
        s->uart_len--;
        s->uart_dropped++;
    }
    size_t at = (s->uart_head + s->uart_len) % SIMM_UART_CAP;
    s->uart_t[at] = clk_cycle_to_ns(m, cycle);
    s->uart_b[at] = byte;
    s->uart_len++;
    if (s->group && (byte == '\n' || s->uart_len >= SIMM_UART_CAP / 2))
        s->group->event = 1;
}

/* A PUC is an event of the simulation: stamp it and end the group's window (sim_group.h). */
static void on_reset(mote_t *m, void *ctx, int por)
{
    simm_t *s = ctx;
    if (por)
        return;
    s->resets++;
    s->last_reset_ns = clk_now_ns(m);
    if (s->group) {
        s->group->resets++;
        s->group->event = 1;
    }
}

uint64_t simm_resets(simm_t *s) { return s->resets; }
uint64_t simm_last_reset_ns(simm_t *s) { return s->last_reset_ns; }
uint64_t simg_resets(simg_t *g) { return g->resets; }

simm_t *simm_attach(mote_t *m)
{
    simm_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->m = m;
    for (int c = 0; c < m->ncomp && c < MOTE_MAX_COMPONENTS; c++)
        for (int k = 0; k < MOTE_MAX_MODES; k++)
            s->base_ns[c][k] = mote_component_ns(m, c, k);
    /* UART1's TX listener is this bookkeeping's: a second attach fails (mote_setup_error) */
    if (uart_set_tx_listener(m, 1, on_uart_tx, s) != 0) {
        free(s);
        return NULL;
    }
    if (mote_on_reset(m, on_reset, s) != 0) {
        uart_set_tx_listener(m, 1, NULL, NULL);
        free(s);
        return NULL;
    }
    return s;
}

void simm_free(simm_t *s) { free(s); }

uint64_t simm_now_ns(simm_t *s) { return clk_now_ns(s->m); }

int simm_run_until_ns(simm_t *s, uint64_t ns) { return clk_run_until_ns(s->m, ns); }

uint64_t simm_mode_ns(simm_t *s, int component, int mode)
{
    if (component < 0 || component >= MOTE_MAX_COMPONENTS || mode < 0 || mode >= MOTE_MAX_MODES)
        return 0;
    return mote_component_ns(s->m, component, mode) - s->base_ns[component][mode];
}

size_t simm_uart_pending(simm_t *s) { return s->uart_len; }

uint64_t simm_uart_dropped(simm_t *s) { return s->uart_dropped; }

size_t simm_uart_take(simm_t *s, uint64_t *t_ns, uint8_t *bytes, size_t max)
{
    size_t n = 0;
    while (n < max && s->uart_len) {
        t_ns[n] = s->uart_t[s->uart_head];
        bytes[n] = s->uart_b[s->uart_head];
        s->uart_head = (s->uart_head + 1) % SIMM_UART_CAP;
        s->uart_len--;
        n++;
    }
    return n;
}

/* ---------------------------------------------------------------- group */

simg_t *simg_create(uint64_t lookahead_ns)
{
    simg_t *g = calloc(1, sizeof *g);
    if (g)
        g->lookahead_ns = lookahead_ns;
    return g;
}

void simg_free(simg_t *g)
{
    /* Members keep a pointer to their group: the Python side frees a group only together with
     * (or after) its members, and never touches members here (they may be gone already). */
    if (!g)
        return;
    free(g->members);
    free(g);
}

int simg_add(simg_t *g, simm_t *s)
{
    if (g->n >= SIMG_MAX_MEMBERS)
        return mote_setup_fail("simg_add: the group is full (%d members)", SIMG_MAX_MEMBERS);
    for (int i = 0; i < g->n; i++)
        if (g->members[i] == s)
            return mote_setup_fail("simg_add: mote %d is already a member", i);
    if (g->n == g->cap) {
        int cap = g->cap ? 2 * g->cap : 16;
        simm_t **p = realloc(g->members, (size_t)cap * sizeof *p);
        if (!p)
            return -1;
        g->members = p;
        g->cap = cap;
    }
    s->group = g;
    g->members[g->n] = s;
    return g->n++;
}

void simg_note_event(simg_t *g) { g->event = 1; }

uint64_t simg_windows(simg_t *g) { return g->windows; }

/* Earliest simulated time at which this mote could decide a transmission. */
static uint64_t earliest_decision_ns(mote_t *m)
{
    if (!(m->r[2] & SR_CPUOFF) || m->irq_lines || m->puc_pending || m->fault)
        return clk_now_ns(m);
    if (!m->nheap)
        return UINT64_MAX;
    uint64_t when = m->heap[0]->when;
    return when <= m->now ? clk_now_ns(m) : clk_cycle_to_ns(m, when);
}

static uint64_t window_bound_us(simg_t *g, uint64_t e_ns)
{
    return e_ns == UINT64_MAX ? UINT64_MAX : (e_ns + g->lookahead_ns) / 1000u;
}

int simg_run(simg_t *g, uint64_t now_us, uint64_t limit_us, uint64_t *reached_us, int *fault_index)
{
    g->event = 0;
    *fault_index = -1;
    /* The bound of the next window, from every member's state (the host may have changed it since
     * the last call: frames handed to radios, UART bytes); then kept up to date after each run. */
    uint64_t next_w = UINT64_MAX;
    for (int i = 0; i < g->n; i++) {
        simm_t *s = g->members[i];
        s->wake_ns = earliest_decision_ns(s->m);
        uint64_t b = window_bound_us(g, s->wake_ns);
        if (b < next_w)
            next_w = b;
    }
    int rc = MOTE_OK;
    while (now_us < limit_us) {
        uint64_t w = next_w < limit_us ? next_w : limit_us;
        if (w <= now_us) /* a member overshot its window by part of an instruction */
            w = now_us + 1;
        uint64_t w_ns = w * 1000u;
        next_w = UINT64_MAX;
        for (int i = 0; i < g->n; i++) {
            simm_t *s = g->members[i];
            /* A member asleep with nothing queued before its wake time cannot change inside this
             * window: leave it behind (it catches up below, before the host sees it). */
            if (s->wake_ns > w_ns) {
                uint64_t b = window_bound_us(g, s->wake_ns);
                if (b < next_w)
                    next_w = b;
                continue;
            }
            rc = simm_run_until_ns(s, w_ns);
            if (rc != MOTE_OK) {
                *fault_index = i;
                *reached_us = w;
                return rc < 2 ? 2 : rc;
            }
            /* Members run one after the other inside a window, but none can affect another before
             * the window ends (frames start at or after it), so each one's state at the end of its
             * run is its state at the window end. */
            s->wake_ns = earliest_decision_ns(s->m);
            uint64_t b = window_bound_us(g, s->wake_ns);
            if (b < next_w)
                next_w = b;
        }
        g->windows++;
        now_us = w;
        if (g->event)
            break;
    }
    /* Bring the members left behind to the time reached (nothing happens to them on the way). */
    for (int i = 0; i < g->n; i++) {
        rc = simm_run_until_ns(g->members[i], now_us * 1000u);
        if (rc != MOTE_OK) {
            *fault_index = i;
            *reached_us = now_us;
            return rc < 2 ? 2 : rc;
        }
    }
    *reached_us = now_us;
    return g->event ? 1 : 0;
}

int simg_uart_members(simg_t *g, int *out, int max)
{
    int k = 0;
    for (int i = 0; i < g->n && k < max; i++)
        if (g->members[i]->uart_len)
            out[k++] = i;
    return k;
}

#endif /* MOTE_NO_PERIPH */
