/*
 * mote.c — the mote framework around the CPU: lifecycle, I/O hook table, flash-writer hook,
 * cycle-timer event queue (binary min-heap), interrupt lines, mode components, resets, serial
 * output buffers, faults. The interpreter and mote_run() live in cpu.c.
 */
#include "mote.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>

#include "cpu.h"

#if defined(__has_include) && !defined(MOTE_NO_PERIPH)
#if __has_include("periph.h")
#include "periph.h"
#define MOTE_HAVE_PERIPH 1
#endif
#endif

static const char *const cpu_mode_names[] = {"active", "lpm0", "lpm1", "lpm2", "lpm3", "lpm4"};

static _Thread_local char setup_error[200];

int mote_setup_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(setup_error, sizeof setup_error, fmt, ap);
    va_end(ap);
    return -1;
}

const char *mote_setup_error(void) { return setup_error; }

void mote_setup_clear(void) { setup_error[0] = 0; }

static void release_share(mote_t *m);

/* The private predecode cache: 512 KB of anonymous zero pages mapped on its own, so a mote that runs
 * from a shared cache (mote_share_code) holds none, a mote holds only the pages of the code it ran,
 * and clearing it drops its pages instead of writing 512 KB (1000 motes of one firmware held 500 MB
 * of caches they never used while the caches followed the motes). */
#define DCACHE_BYTES ((size_t)CPU_DCACHE_ENTRIES * sizeof(struct cpu_decoded))

static struct cpu_decoded *dcache_map(void)
{
    void *p = mmap(NULL, DCACHE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : (struct cpu_decoded *)p;
}

static void dcache_unmap(struct cpu_decoded *c)
{
    if (c)
        munmap(c, DCACHE_BYTES);
}

mote_t *mote_create(void)
{
    mote_setup_clear();
    mote_t *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->own_dcache = m->dcache = dcache_map(); /* mote_share_code may point dcache at a shared one */
    if (!m->dcache) {
        free(m);
        return NULL;
    }
    m->stop_pc = -1;
    m->node_id_addr = -1;
    m->event_when = UINT64_MAX;
    m->mclk_hz = 1000000u; /* until a clock module publishes the DCO frequency */
    m->dco_wake_ns = MOTE_DCO_WAKE_NS;
    for (int v = 0; v < MOTE_NUM_VECTORS; v++) {
        mote_event_init(&m->irq_pulse_ev[v], "irq-pulse", NULL, NULL);
    }
    mote_component_register(m, "cpu", cpu_mode_names, 6, CPU_MODE_ACTIVE);
#ifdef MOTE_HAVE_PERIPH
    periph_attach_all(m);
#endif
    if (setup_error[0]) { /* a peripheral could not register: this mote would misbehave */
        mote_destroy(m);
        return NULL;
    }
    mote_reset(m);
    return m;
}

void mote_destroy(mote_t *m)
{
    if (!m)
        return;
#ifdef MOTE_HAVE_PERIPH
    periph_detach_all(m);
#endif
    if (m->code_share)
        release_share(m); /* not mote_unshare_code: no private cache to map for a mote going away */
    dcache_unmap(m->own_dcache);
    free(m->bp_map);
    free(m->xlat_off);
    free(m);
}

/* ---------------------------------------------------------------- I/O hooks */

int mote_map_io(mote_t *m, uint16_t start, uint16_t end, mote_io_read_fn rd, mote_io_write_fn wr,
                void *ctx)
{
    if (start >= end || end > MOTE_IO_END)
        return mote_setup_fail("mote_map_io: range 0x%04x..0x%04x outside the I/O space 0..0x%04x", start,
                               end, MOTE_IO_END);
    for (uint32_t a = start; a < end; a++)
        if (m->io[a].read || m->io[a].write)
            return mote_setup_fail("mote_map_io: 0x%04x is already mapped (range 0x%04x..0x%04x)", a,
                                   start, end);
    for (uint32_t a = start; a < end; a++) {
        m->io[a].read = rd;
        m->io[a].write = wr;
        m->io[a].ctx = ctx;
    }
    return 0;
}

void mote_set_flash_writer(mote_t *m, mote_flash_write_fn fn, void *ctx)
{
    m->flash_write = fn;
    m->flash_write_ctx = ctx;
}

/* ---------------------------------------------------------------- event queue */

void mote_event_init(mote_event_t *ev, const char *name, mote_event_fn fire, void *ctx)
{
    ev->when = 0;
    ev->fire = fire;
    ev->ctx = ctx;
    ev->slot = -1;
    ev->name = name;
    ev->quiet = NULL;
}

/* Sifts move a hole instead of swapping: the same comparisons and the same final array as
 * swapping pairs (ties never move), with half the stores. */
static inline void heap_put(mote_t *m, int i, mote_event_t *e)
{
    m->heap[i] = e;
    e->slot = i;
}

/* Place e, which belongs at i or above, climbing while its parent is strictly later. */
static inline void heap_up(mote_t *m, int i, mote_event_t *e)
{
    uint64_t w = e->when;
    while (i > 0) {
        int p = (i - 1) / 2;
        mote_event_t *pe = m->heap[p];
        if (pe->when <= w)
            break;
        heap_put(m, i, pe);
        i = p;
    }
    heap_put(m, i, e);
}

/* Place e, which belongs at i or below, descending to the strictly earlier child (the left one on
 * a tie). Returns its final index. */
static inline int heap_down(mote_t *m, int i, mote_event_t *e)
{
    uint64_t w = e->when;
    int n = m->nheap;
    for (;;) {
        int l = 2 * i + 1, s = i;
        uint64_t sw = w;
        if (l < n && m->heap[l]->when < sw) {
            s = l;
            sw = m->heap[l]->when;
        }
        if (l + 1 < n && m->heap[l + 1]->when < sw)
            s = l + 1;
        if (s == i)
            break;
        heap_put(m, i, m->heap[s]);
        i = s;
    }
    heap_put(m, i, e);
    return i;
}

/* e's key changed at index i: down, and up when it did not go down (as down-then-up at i). */
static inline void heap_fix(mote_t *m, int i, mote_event_t *e)
{
    if (heap_down(m, i, e) == i)
        heap_up(m, i, e);
}

void mote_event_cancel(mote_t *m, mote_event_t *ev)
{
    int i = ev->slot;
    if (i < 0)
        return;
    int last = --m->nheap;
    if (i != last)
        heap_fix(m, i, m->heap[last]);
    ev->slot = -1;
}

void mote_event_schedule(mote_t *m, mote_event_t *ev, uint64_t when)
{
    if (ev->slot >= 0) {
        if (ev->when != when) { /* the same key: the sifts would move nothing */
            ev->when = when;
            heap_fix(m, ev->slot, ev);
        }
    } else {
        if (m->nheap >= (int)(sizeof m->heap / sizeof m->heap[0])) {
            mote_fault(m, MOTE_FAULT_INTERNAL, m->r[0]);
            return;
        }
        ev->when = when;
        heap_up(m, m->nheap++, ev);
    }
    if (when < m->next_check)
        m->next_check = when;
}

/* ---------------------------------------------------------------- interrupts */

void mote_irq_set(mote_t *m, int vec, int level)
{
    if (vec < 0 || vec >= MOTE_NUM_VECTORS)
        return;
    uint16_t bit = (uint16_t)(1u << vec);
    if (level) {
        if (!(m->irq_lines & bit)) {
            m->irq_lines |= bit;
            m->next_check = 0; /* the run loop re-evaluates acceptance before the next insn */
        }
    } else {
        m->irq_lines &= (uint16_t)~bit;
    }
}

int mote_irq_on_accept(mote_t *m, int vec, mote_irq_accept_fn fn, void *ctx)
{
    if (vec < 0 || vec >= MOTE_NUM_VECTORS)
        return mote_setup_fail("mote_irq_on_accept: vector %d outside 0..%d", vec, MOTE_NUM_VECTORS - 1);
    if (m->irq_accept[vec] && fn)
        return mote_setup_fail("mote_irq_on_accept: vector %d already has an accept callback", vec);
    m->irq_accept[vec] = fn;
    m->irq_accept_ctx[vec] = ctx;
    return 0;
}

static void irq_pulse_fire(mote_t *m, mote_event_t *ev)
{
    int vec = (int)(ev - m->irq_pulse_ev);
    mote_irq_set(m, vec, ev->ctx != NULL);
}

void mote_schedule_irq(mote_t *m, int vec, int level, uint64_t when)
{
    if (vec < 0 || vec >= MOTE_NUM_VECTORS)
        return;
    mote_event_t *ev = &m->irq_pulse_ev[vec];
    ev->fire = irq_pulse_fire;
    ev->ctx = level ? (void *)m : NULL;
    mote_event_schedule(m, ev, when);
}

/* ---------------------------------------------------------------- modes */

int mote_component_register(mote_t *m, const char *name, const char *const *mode_names, int nmodes,
                            int initial_mode)
{
    if (m->ncomp >= MOTE_MAX_COMPONENTS)
        return mote_setup_fail("mote_component_register(%s): all %d components taken", name,
                               MOTE_MAX_COMPONENTS);
    if (nmodes < 1 || nmodes > MOTE_MAX_MODES)
        return mote_setup_fail("mote_component_register(%s): %d modes (1..%d)", name, nmodes, MOTE_MAX_MODES);
    for (int i = 0; i < m->ncomp; i++)
        if (strcmp(m->comp[i].name, name) == 0)
            return mote_setup_fail("mote_component_register: a component \"%s\" exists already", name);
    int c = m->ncomp++;
    mote_component_t *k = &m->comp[c];
    memset(k, 0, sizeof *k);
    k->name = name;
    k->nmodes = nmodes;
    for (int i = 0; i < nmodes; i++)
        k->mode_names[i] = mode_names[i];
    k->mode = initial_mode;
    k->since = m->now;
    k->since_ns = mote_now_ns(m);
    return c;
}

void mote_component_set_mode(mote_t *m, int component, int mode)
{
    if (component < 0 || component >= m->ncomp)
        return;
    mote_component_t *k = &m->comp[component];
    if (mode < 0 || mode >= k->nmodes || mode == k->mode)
        return;
    int old = k->mode;
    uint64_t ns = mote_now_ns(m);
    k->total[old] += m->now - k->since;
    k->since = m->now;
    k->total_ns[old] += ns - k->since_ns;
    k->since_ns = ns;
    k->mode = mode;
    for (int i = 0; i < m->nmode_hooks; i++)
        m->mode_hooks[i].fn(m, m->mode_hooks[i].ctx, component, old, mode);
}

uint64_t mote_component_time(const mote_t *m, int component, int mode)
{
    if (component < 0 || component >= m->ncomp)
        return 0;
    const mote_component_t *k = &m->comp[component];
    if (mode < 0 || mode >= k->nmodes)
        return 0;
    uint64_t t = k->total[mode];
    if (k->mode == mode && m->now > k->since)
        t += m->now - k->since;
    return t;
}

uint64_t mote_now_ns(mote_t *m)
{
    if (m->time_ns)
        return m->time_ns(m);
    return (uint64_t)((unsigned __int128)m->now * 1000000000u / (m->mclk_hz ? m->mclk_hz : 1));
}

uint64_t mote_component_ns(mote_t *m, int component, int mode)
{
    if (component < 0 || component >= m->ncomp)
        return 0;
    mote_component_t *k = &m->comp[component];
    if (mode < 0 || mode >= k->nmodes)
        return 0;
    uint64_t t = k->total_ns[mode];
    if (k->mode == mode) {
        uint64_t ns = mote_now_ns(m);
        if (ns > k->since_ns)
            t += ns - k->since_ns;
    }
    return t;
}

int mote_on_mode_change(mote_t *m, mote_mode_fn fn, void *ctx)
{
    int cap = (int)(sizeof m->mode_hooks / sizeof m->mode_hooks[0]);
    for (int i = 0; i < m->nmode_hooks; i++)
        if (m->mode_hooks[i].fn == fn && m->mode_hooks[i].ctx == ctx)
            return mote_setup_fail("mote_on_mode_change: listener registered twice");
    if (m->nmode_hooks >= cap)
        return mote_setup_fail("mote_on_mode_change: all %d listener slots taken", cap);
    m->mode_hooks[m->nmode_hooks].fn = fn;
    m->mode_hooks[m->nmode_hooks].ctx = ctx;
    m->nmode_hooks++;
    return 0;
}

/* ---------------------------------------------------------------- resets */

int mote_on_reset(mote_t *m, mote_reset_fn fn, void *ctx)
{
    int cap = (int)(sizeof m->reset_hooks / sizeof m->reset_hooks[0]);
    for (int i = 0; i < m->nreset_hooks; i++)
        if (m->reset_hooks[i].fn == fn && m->reset_hooks[i].ctx == ctx)
            return mote_setup_fail("mote_on_reset: hook registered twice");
    if (m->nreset_hooks >= cap)
        return mote_setup_fail("mote_on_reset: all %d hook slots taken", cap);
    m->reset_hooks[m->nreset_hooks].fn = fn;
    m->reset_hooks[m->nreset_hooks].ctx = ctx;
    m->nreset_hooks++;
    return 0;
}

static void do_reset(mote_t *m, int por)
{
    int cause = por ? MOTE_RESET_POR : m->puc_cause;
    m->reset_count[cause]++;
    m->last_reset_cause = cause;
    m->last_reset_cycle = m->now;
    m->puc_pending = 0;
    m->irq_defer = 0;
    m->wake_at = 0;
    for (int i = 0; i < m->nreset_hooks; i++)
        m->reset_hooks[i].fn(m, m->reset_hooks[i].ctx, por);
    cpu_reset(m);
    m->next_check = 0;
}

void mote_reset(mote_t *m) { do_reset(m, 1); }

void mote_puc(mote_t *m) { mote_puc_cause(m, MOTE_RESET_PUC_OTHER); }

void mote_puc_cause(mote_t *m, int cause)
{
    if (!m->puc_pending) /* the first cause of a pending PUC is the one reported */
        m->puc_cause = cause > MOTE_RESET_POR && cause <= MOTE_RESET_PUC_OTHER ? cause : MOTE_RESET_PUC_OTHER;
    m->puc_pending = 1;
    m->next_check = 0;
}

/* Applied by the run loop between instructions. */
void mote_apply_pending_puc(mote_t *m);
void mote_apply_pending_puc(mote_t *m)
{
    if (m->puc_pending)
        do_reset(m, 0);
}

/* ---------------------------------------------------------------- serial, faults, stops */

void mote_serial_out(mote_t *m, int port, uint8_t byte)
{
    if (port < 0 || port > 1)
        return;
    struct mote_serial_buf *b = &m->serial[port];
    if (b->len < sizeof b->data)
        b->data[b->len++] = byte;
    else
        b->dropped++; /* the host did not drain: counted, and the host API raises on it */
    b->total++;
    if (m->serial_break) {
        m->stop_request = 1;
        m->next_check = 0;
    }
}

uint64_t mote_serial_dropped(const mote_t *m, int port)
{
    return (port < 0 || port > 1) ? 0 : m->serial[port].dropped;
}

uint32_t mote_serial_take(mote_t *m, int port, uint8_t *out, uint32_t max)
{
    if (port < 0 || port > 1)
        return 0;
    struct mote_serial_buf *b = &m->serial[port];
    uint32_t n = b->len < max ? b->len : max;
    memcpy(out, b->data, n);
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    return n;
}

void mote_fault(mote_t *m, int code, uint16_t pc)
{
    if (m->fault)
        return; /* keep the first */
    m->fault = code;
    m->fault_pc = pc;
    m->next_check = 0;
}

void mote_clear_fault(mote_t *m)
{
    m->fault = MOTE_OK;
    m->stop_request = 0;
}

void mote_set_stop_pc(mote_t *m, int32_t pc)
{
    if (pc >= 0)
        mote_unshare_code(m); /* the stop is placed by the decoder, in this mote's cache only */
    /* The stop check lives in the decoder: drop the cached entries so the PC is seen again. */
    if (m->stop_pc >= 0)
        cpu_forget(m, (uint16_t)m->stop_pc);
    m->stop_pc = pc;
    if (pc >= 0)
        cpu_forget(m, (uint16_t)pc);
    cpu_xlat_stops_changed(m);
}

void mote_set_breakpoint(mote_t *m, uint16_t pc, int on)
{
    pc &= 0xFFFE;
    if (!m->bp_map) {
        if (!on)
            return;
        m->bp_map = calloc(MOTE_MEM_SIZE / 16, 1);
        if (!m->bp_map)
            return;
    }
    if (on)
        mote_unshare_code(m);
    uint8_t bit = (uint8_t)(1u << ((pc >> 1) & 7));
    if (on)
        m->bp_map[pc >> 4] |= bit;
    else
        m->bp_map[pc >> 4] &= (uint8_t)~bit;
    cpu_forget(m, pc); /* seen again by the decoder */
    cpu_xlat_stops_changed(m);
}

void mote_invalidate_code(mote_t *m)
{
    mote_xlat_detach(m); /* the host rewrote program memory: translated code may be stale */
#ifdef __linux__
    /* a private anonymous mapping reads back as zero pages after MADV_DONTNEED, and stays mapped
     * (safe even if a caller still holds an entry) */
    if (m->dcache == m->own_dcache && madvise(m->dcache, DCACHE_BYTES, MADV_DONTNEED) == 0)
        return;
#endif
    memset(m->dcache, 0, DCACHE_BYTES);
}

/* ---------------------------------------------------------------- shared predecode cache */

struct mote_code_share {
    int refs; /* motes running from it */
    struct cpu_decoded entries[CPU_DCACHE_ENTRIES];
};

static int has_stops(const mote_t *m) { return m->stop_pc >= 0 || m->bp_map != NULL; }

int mote_share_code(mote_t *m, mote_t *with)
{
    if (has_stops(m) || has_stops(with) || m->mirror_live || with->mirror_live || m->xlat != with->xlat)
        return -1; /* a shared cache holds no entry at a stop nor in the RAM mirror, and the
                    * translated entries of one module only (cpu.c K_XLAT) */
    if (m == with || (m->code_share && m->code_share == with->code_share))
        return 0;
    if (!with->code_share) {
        struct mote_code_share *cs = calloc(1, sizeof *cs);
        if (!cs)
            return -1;
        cs->refs = 1;
        with->code_share = cs;
        with->dcache = cs->entries;
        dcache_unmap(with->own_dcache);
        with->own_dcache = NULL;
    }
    if (m->code_share)
        release_share(m); /* moving from one shared cache to another */
    m->code_share = with->code_share;
    m->code_share->refs++;
    m->dcache = m->code_share->entries;
    dcache_unmap(m->own_dcache);
    m->own_dcache = NULL;
    return 0;
}

/* Drop m's reference to its shared cache (it must then not run before dcache is set again). */
static void release_share(mote_t *m)
{
    struct mote_code_share *cs = m->code_share;
    if (--cs->refs == 0)
        free(cs);
    m->code_share = NULL;
}

void mote_unshare_code(mote_t *m)
{
    if (!m->code_share)
        return;
    /* fresh zero pages: no entry from before the sharing, which may predate a stop set since (a
     * pair across it) */
    struct cpu_decoded *own = dcache_map();
    if (!own) { /* no memory for a private cache: it keeps the shared one and stops, flagged */
        mote_fault(m, MOTE_FAULT_INTERNAL, m->r[0]);
        return;
    }
    release_share(m);
    m->own_dcache = m->dcache = own;
}

int mote_shares_code(const mote_t *a, const mote_t *b)
{
    return a->code_share != NULL && a->code_share == b->code_share;
}
