/* sim_group.c — see sim_group.h. */
#include "sim_group.h"

#include <stdlib.h>
#include <string.h>

#ifndef MOTE_NO_PERIPH
#include "periph_clk.h"
#include "periph_usart.h"

#define SIMM_UART_CAP 4096u /* bytes buffered per mote between two takes */
#define SIMG_MAX_MEMBERS 4096
#define SIMG_MAX_IMAGES 8 /* flash images whose members share a predecode cache (more: private) */

struct simm {
    /* what a window reads of every member it runs, first (one host cache line) */
    mote_t *m;
    simg_t *group;
    int index;       /* group: member index */
    int dirty;       /* group: its wake time must be recomputed (the host touched it) */
    uint64_t at_us;  /* group: the group time it was last brought to */
    int on_uart_list;
    simm_deferred_fn dfn; /* deferred work (simm_defer), due before the member next moves */
    void *dctx;
    int dpending;
    /* power: the core's ns per (component, mode) at attach (totals are reported from there) */
    uint64_t base_ns[MOTE_MAX_COMPONENTS][MOTE_MAX_MODES];
    /* UART1 output ring */
    uint64_t uart_t[SIMM_UART_CAP];
    uint8_t uart_b[SIMM_UART_CAP];
    size_t uart_head, uart_len;
    uint64_t uart_dropped;
    uint64_t resets, last_reset_ns; /* PUCs since attach and when the latest happened */
};

/* A wake heap entry: a member's earliest decision time after its last run (UINT64_MAX: never) and its
 * index. The key lives in the heap's own array, so sifting touches no member (1000 members' records
 * are far apart in memory: every comparison through them was a host cache miss). */
typedef struct {
    uint64_t wake;
    int index;
} hent_t;

struct simg {
    uint64_t lookahead_ns;
    simm_t **members;
    int n, cap;
    int event; /* something observable happened in the current window */
    uint64_t windows;
    uint64_t runs;   /* member runs inside windows (windows x members when nothing is lazy) */
    uint64_t resets; /* members' PUCs since creation */
    uint64_t now_us;  /* the time the group stands at (lagging members catch up on demand) */
    int running;      /* inside simg_run */
    hent_t *heap;     /* members, a binary min-heap on (wake, index) */
    int *hslot;       /* member index -> its place in heap (-1: popped for the current window) */
    simm_t **due;     /* scratch: the members run in one window */
    simm_t **dirty;   /* members whose wake time must be recomputed before the next window */
    int ndirty;
    int *uart_list;   /* members that may have UART1 bytes waiting (on_uart_list set) */
    int nuart;
    /* one member per distinct flash image: the members with that image share its predecode cache */
    simm_t *images[SIMG_MAX_IMAGES];
    int nimages;
    /* scratch of a window with many members due: bit i = member i runs (all clear between windows) */
    uint64_t due_bits[SIMG_MAX_MEMBERS / 64];
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
    if (s->group) {
        if (!s->on_uart_list) {
            s->on_uart_list = 1;
            s->group->uart_list[s->group->nuart++] = s->index;
        }
        /* a line, a SLIP frame's END (the host peer acts on the datagram), or a half-full buffer */
        if (byte == '\n' || byte == 0xC0u || s->uart_len >= SIMM_UART_CAP / 2)
            s->group->event = 1;
    }
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

static void mark_dirty(simm_t *s)
{
    simg_t *g = s->group;
    if (g && !s->dirty) {
        s->dirty = 1;
        g->dirty[g->ndirty++] = s;
    }
}

static int run_deferred(simm_t *s)
{
    if (!s->dpending)
        return MOTE_OK;
    s->dpending = 0;
    return s->dfn(s->dctx);
}

int simm_defer(simm_t *s, simm_deferred_fn fn, void *ctx, uint64_t *at_us)
{
    simg_t *g = s->group;
    if (!g || g->running || s->at_us >= g->now_us || (s->dfn && (s->dfn != fn || s->dctx != ctx)))
        return 0;
    s->dfn = fn;
    s->dctx = ctx;
    s->dpending = 1;
    *at_us = g->now_us;
    return 1;
}

mote_t *simm_mote(simm_t *s) { return s->m; }

/* Bring a member that stayed behind to its group's time. It was left behind only while its next
 * possible change (its wake time) lay beyond every window end, so nothing happens to it on the way
 * but its deferred work, done first. */
static int catch_up(simm_t *s)
{
    simg_t *g = s->group;
    if (!g || g->running || s->at_us >= g->now_us)
        return MOTE_OK;
    int rc = run_deferred(s);
    if (rc != MOTE_OK)
        return rc;
    s->at_us = g->now_us;
    return clk_run_until_ns(s->m, g->now_us * 1000u);
}

int simm_sync(simm_t *s)
{
    int rc = catch_up(s);
    mark_dirty(s);
    return rc;
}

uint64_t simm_now_ns(simm_t *s)
{
    catch_up(s);
    return clk_now_ns(s->m);
}

int simm_run_until_ns(simm_t *s, uint64_t ns)
{
    catch_up(s);
    mark_dirty(s);
    return clk_run_until_ns(s->m, ns);
}

uint64_t simm_mode_ns(simm_t *s, int component, int mode)
{
    if (component < 0 || component >= MOTE_MAX_COMPONENTS || mode < 0 || mode >= MOTE_MAX_MODES)
        return 0;
    catch_up(s);
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
    free(g->heap);
    free(g->hslot);
    free(g->due);
    free(g->dirty);
    free(g->uart_list);
    free(g);
}

/* ---- the wake heap: members by wake time (ties by index, so the order is deterministic) */

static int heap_less(hent_t a, hent_t b) { return a.wake < b.wake || (a.wake == b.wake && a.index < b.index); }

static void heap_put(simg_t *g, int i, hent_t e)
{
    g->heap[i] = e;
    g->hslot[e.index] = i;
}

static void heap_up(simg_t *g, int i)
{
    hent_t e = g->heap[i];
    while (i > 0) {
        int p = (i - 1) / 2;
        if (!heap_less(e, g->heap[p]))
            break;
        heap_put(g, i, g->heap[p]);
        i = p;
    }
    heap_put(g, i, e);
}

static void heap_down(simg_t *g, int i, int n)
{
    hent_t e = g->heap[i];
    for (;;) {
        int c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && heap_less(g->heap[c + 1], g->heap[c]))
            c++;
        if (!heap_less(g->heap[c], e))
            break;
        heap_put(g, i, g->heap[c]);
        i = c;
    }
    heap_put(g, i, e);
}

/* Remove the top of the heap of nh members (nh > 0); returns its member index. */
static int heap_pop(simg_t *g, int nh)
{
    int top = g->heap[0].index;
    if (nh > 1) {
        heap_put(g, 0, g->heap[nh - 1]);
        heap_down(g, 0, nh - 1);
    }
    g->hslot[top] = -1;
    return top;
}

/* Resize the array *pp to cap elements (it keeps its old block when that fails: -1). */
static int grow_block(void **pp, int cap, size_t size)
{
    void *p = realloc(*pp, (size_t)cap * size);
    if (!p)
        return -1;
    *pp = p;
    return 0;
}
#define grow(pp, cap, size) grow_block((void **)(pp), (cap), (size))

/* Members run one after the other in one thread, a few hundred instructions each: with one predecode
 * cache per flash image instead of one per mote, the host's caches hold one copy of the hot entries
 * (mote.h, mote_share_code; exact for any code, so a member whose flash changes later only loses
 * speed). A member with a stop PC or breakpoints keeps its own. */
static void share_code(simg_t *g, simm_t *s)
{
    const uint8_t *flash = s->m->mem + MOTE_FLASH_START;
    size_t len = MOTE_MEM_SIZE - MOTE_FLASH_START;
    for (int i = 0; i < g->nimages; i++)
        if (memcmp(g->images[i]->m->mem + MOTE_FLASH_START, flash, len) == 0) {
            mote_share_code(s->m, g->images[i]->m);
            return;
        }
    if (g->nimages < SIMG_MAX_IMAGES)
        g->images[g->nimages++] = s;
}

int simg_add(simg_t *g, simm_t *s)
{
    if (g->running)
        return mote_setup_fail("simg_add: the group is running");
    if (g->n >= SIMG_MAX_MEMBERS)
        return mote_setup_fail("simg_add: the group is full (%d members)", SIMG_MAX_MEMBERS);
    if (s->group == g)
        return mote_setup_fail("simg_add: mote %d is already a member", s->index);
    if (g->n == g->cap) {
        int cap = g->cap ? 2 * g->cap : 16;
        if (grow(&g->members, cap, sizeof *g->members) || grow(&g->heap, cap, sizeof *g->heap) ||
            grow(&g->hslot, cap, sizeof *g->hslot) ||
            grow(&g->due, cap, sizeof *g->due) || grow(&g->dirty, cap, sizeof *g->dirty) ||
            grow(&g->uart_list, cap, sizeof *g->uart_list))
            return mote_setup_fail("simg_add: out of memory");
        g->cap = cap;
    }
    s->group = g;
    s->index = g->n;
    s->at_us = g->now_us;
    g->members[g->n] = s;
    heap_put(g, g->n, (hent_t){0, g->n}); /* its wake time is recomputed (dirty) before the next window */
    heap_up(g, g->n);
    s->dirty = 0;
    mark_dirty(s);
    s->on_uart_list = 0;
    if (s->uart_len) {
        s->on_uart_list = 1;
        g->uart_list[g->nuart++] = s->index;
    }
    share_code(g, s);
    return g->n++;
}

void simg_note_event(simg_t *g) { g->event = 1; }

uint64_t simg_windows(simg_t *g) { return g->windows; }

uint64_t simg_runs(simg_t *g) { return g->runs; }

/* When a sleeping mote's event ev could first raise an interrupt line (mote.h, quiet events). */
static uint64_t event_wake_ns(mote_t *m, mote_event_t *ev)
{
    if (ev->quiet)
        return ev->quiet(m, ev);
    return ev->when <= m->now ? clk_now_ns(m) : clk_cycle_to_ns(m, ev->when);
}

/* Earliest simulated time at which this mote could decide a transmission: now while its CPU runs
 * (or an interrupt waits), else when an event could wake it. Quiet events (e.g. the CC2420's
 * received bytes between the SFD and the frame's end, which change no pin) do not wake it: the
 * member stays behind and fires them when it runs or catches up, at the same cycles. */
static uint64_t earliest_decision_ns(mote_t *m)
{
    if (!(m->r[2] & SR_CPUOFF) || m->irq_lines || m->puc_pending || m->fault)
        return clk_now_ns(m);
    if (!m->nheap)
        return UINT64_MAX;
    mote_event_t *top = m->heap[0];
    if (!top->quiet) /* the earliest event is not quiet: it bounds every other */
        return event_wake_ns(m, top);
    uint64_t e = UINT64_MAX;
    for (int i = 0; i < m->nheap; i++) {
        uint64_t t = event_wake_ns(m, m->heap[i]);
        if (t < e)
            e = t;
    }
    return e;
}

static uint64_t window_bound_us(simg_t *g, uint64_t e_ns)
{
    return e_ns == UINT64_MAX ? UINT64_MAX : (e_ns + g->lookahead_ns) / 1000u;
}

int simg_run(simg_t *g, uint64_t now_us, uint64_t limit_us, uint64_t *reached_us, int *fault_index)
{
    g->event = 0;
    *fault_index = -1;
    g->now_us = now_us;
    /* Members the host touched since the last call (frames handed to radios, UART bytes, resets)
     * may wake earlier (or later) now: their wake times are recomputed. Every other member's
     * wake time still holds (nothing changed it since it ran). */
    for (int i = 0; i < g->ndirty; i++) {
        simm_t *s = g->dirty[i];
        s->dirty = 0;
        catch_up(s);
        g->heap[g->hslot[s->index]].wake = earliest_decision_ns(s->m);
        heap_up(g, g->hslot[s->index]);
        heap_down(g, g->hslot[s->index], g->n);
    }
    g->ndirty = 0;
    g->running = 1;
    int rc = MOTE_OK, fault = -1;
    uint64_t next_w = g->n ? window_bound_us(g, g->heap[0].wake) : UINT64_MAX;
    while (now_us < limit_us) {
        uint64_t w = next_w < limit_us ? next_w : limit_us;
        if (w <= now_us) /* a member overshot its window by part of an instruction */
            w = now_us + 1;
        uint64_t w_ns = w * 1000u;
        /* Only members that can change inside this window run (the heap's top ones, those that
         * wake by its end); the others stay behind until they wake or the host touches them
         * (catch_up). They run in member order, as every member did in the window of old. */
        int k = 0;
        while (k < g->n && g->heap[0].wake <= w_ns)
            g->due[k] = g->members[heap_pop(g, g->n - k)], k++;
        if (k > 16) { /* many (a frame's neighbours): member order from a bitmap, no comparisons */
            for (int i = 0; i < k; i++)
                g->due_bits[g->due[i]->index >> 6] |= 1ull << (g->due[i]->index & 63);
            int j = 0;
            for (int wd = 0; j < k; wd++)
                for (uint64_t b = g->due_bits[wd]; b; b &= b - 1)
                    g->due[j++] = g->members[wd * 64 + __builtin_ctzll(b)];
            memset(g->due_bits, 0, (size_t)((g->n + 63) / 64) * sizeof g->due_bits[0]);
        } else /* the usual handful: insertion sort */
            for (int i = 1; i < k; i++) {
                simm_t *v = g->due[i];
                int j = i;
                for (; j > 0 && g->due[j - 1]->index > v->index; j--)
                    g->due[j] = g->due[j - 1];
                g->due[j] = v;
            }
        int nh = g->n - k;
        g->runs += (uint64_t)k;
        for (int i = 0; i < k; i++) {
            simm_t *s = g->due[i];
            int r = run_deferred(s);
            if (r == MOTE_OK)
                r = clk_run_until_ns(s->m, w_ns);
            s->at_us = w;
            if (r != MOTE_OK && fault < 0) {
                fault = s->index;
                rc = r;
            }
            /* Members run one after the other inside a window, but none can affect another before
             * the window ends (frames start at or after it), so each one's state at the end of its
             * run is its state at the window end. */
            heap_put(g, nh, (hent_t){earliest_decision_ns(s->m), s->index});
            heap_up(g, nh);
            nh++;
        }
        g->windows++;
        now_us = w;
        g->now_us = w;
        if (fault >= 0) {
            g->running = 0;
            *fault_index = fault;
            *reached_us = w;
            return rc < 2 ? 2 : rc;
        }
        next_w = g->n ? window_bound_us(g, g->heap[0].wake) : UINT64_MAX;
        if (g->event)
            break;
    }
    g->running = 0;
    *reached_us = now_us;
    return g->event ? 1 : 0;
}

int simg_sync_all(simg_t *g)
{
    int rc = MOTE_OK;
    for (int i = 0; i < g->n; i++) {
        int r = catch_up(g->members[i]);
        if (r != MOTE_OK && rc == MOTE_OK)
            rc = r;
    }
    return rc;
}

static int int_order(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int simg_uart_members(simg_t *g, int *out, int max)
{
    /* the list holds every member that got a byte since it was last seen empty here */
    int k = 0, keep = 0;
    for (int i = 0; i < g->nuart; i++) {
        simm_t *s = g->members[g->uart_list[i]];
        if (!s->uart_len) {
            s->on_uart_list = 0;
            continue;
        }
        g->uart_list[keep++] = s->index;
        if (k < max)
            out[k++] = s->index;
    }
    g->nuart = keep;
    if (k > 1)
        qsort(out, (size_t)k, sizeof *out, int_order);
    return k;
}

#endif /* MOTE_NO_PERIPH */
