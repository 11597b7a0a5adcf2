/* periph_dma.c — the DMA controller (see periph_dma.h). Section names below are those of the
 * MSP430x1xx Family User's Guide (SLAU049), chapter "DMA Controller".
 *
 * Cycle accounting ("DMA Transfer Cycle Time"): the DMA synchronises to MCLK before each single
 * transfer or complete block / burst-block transfer (1 or 2 cycles: SYNC_CYCLES = 1 here), each byte
 * or word then takes 2 MCLK cycles, with one wait cycle after the transfer (WAIT_CYCLES). A single
 * transfer costs 1 + 2 + 1 = 4 cycles, the guide's maximum in active mode ("Maximum Single-Transfer
 * DMA Cycle Time"); a block of n costs 2n + 2 (the guide: a block "takes 2 x MCLK x DMAxSZ cycles",
 * plus synchronisation and wait). With MCLK off (CPU in a low-power mode) the DMA restarts MCLK from
 * the DCO for the transfer, one more cycle (the table's 5 cycles in LPM0/1), plus the DCO start-up in
 * LPM3/LPM4 (the table's "+ 6 us": m->dco_wake_ns); the CPU stays off. Burst-block: after every four
 * transfers the CPU gets 2 MCLK cycles ("Burst-Block Transfer Mode": 20 % CPU capacity); here the CPU
 * resumes at an instruction boundary and the next burst starts at the first boundary 2 cycles on.
 *
 * The CPU is halted for the duration (m->now advances inside the event, as the flash controller does
 * for a write from flash). Transfers start at the instruction boundary after the trigger, with
 * DMAONFETCH 0 or 1 alike (the emulated CPU never stops inside an instruction). Priorities ("DMA
 * Channel Priorities"): fixed 0 > 1 > 2 or round robin (the channel that completes a transfer becomes
 * the lowest); a transfer in progress (a block, a burst-block between bursts) is not halted by a
 * higher-priority trigger. ENNMI ("Using DMA With System Interrupts"): a pending NMI stops further
 * transfers of the channel after the current one (DMAABORT set, DMAEN cleared). */
#include <stdlib.h>
#include "periph.h"

/* DMAxCTL */
#define DMAREQ 0x0001u
#define DMAABORT 0x0002u
#define DMAIE 0x0004u
#define DMAIFG 0x0008u
#define DMAEN 0x0010u
#define DMASRCBYTE 0x0040u
#define DMADSTBYTE 0x0080u
#define DMADT(c) (((c) >> 12) & 7u)
#define SRCINCR(c) (((c) >> 8) & 3u)
#define DSTINCR(c) (((c) >> 10) & 3u)
/* DMACTL1 */
#define ENNMI 0x0001u
#define ROUNDROBIN 0x0002u

#define SYNC_CYCLES 1u
#define XFER_CYCLES 2u
#define WAIT_CYCLES 1u
#define BURST_LEN 4u
#define BURST_CPU_CYCLES 2u

/* triggers a timer must plan compare events for (periph_timer.c reads dma_watch) */
#define TIMER_TRIGS ((1u << DMA_TRIG_TACCR0) | (1u << DMA_TRIG_TACCR2) | (1u << DMA_TRIG_TBCCR0) | \
                     (1u << DMA_TRIG_TBCCR2))
/* triggers the USARTs test in their own state (usart_dma_watch): the SPI byte path reads no more */
#define USART_TRIGS ((1u << DMA_TRIG_URXIFG0) | (1u << DMA_TRIG_UTXIFG0) | (1u << DMA_TRIG_URXIFG1) | \
                     (1u << DMA_TRIG_UTXIFG1))

/* The registers live at their addresses in m->mem (reads need no hook: no read has a side effect, and
 * the host sees them); DMAxSZ counts the transfers left. */
#define R_CTL0 0x0122u
#define R_CTL1 0x0124u
#define R_CH(c, off) ((uint16_t)(0x01E0u + 8u * (unsigned)(c) + (off)))
#define CTL(m, c) reg16((m), R_CH((c), 0))
#define SA(m, c) reg16((m), R_CH((c), 2))
#define DA(m, c) reg16((m), R_CH((c), 4))
#define SZ(m, c) reg16((m), R_CH((c), 6))

static inline uint16_t reg16(const mote_t *m, uint16_t a) { return (uint16_t)(m->mem[a] | (m->mem[a + 1] << 8)); }
static inline void set16(mote_t *m, uint16_t a, uint16_t v)
{
    m->mem[a] = (uint8_t)v;
    m->mem[a + 1] = (uint8_t)(v >> 8);
}
static inline void set_ctl(mote_t *m, int c, uint16_t v) { set16(m, R_CH(c, 0), v); }

typedef struct {
    uint16_t tsa, tda, tsz;   /* the temporaries: current addresses, the size reloaded at zero */
    int pending;              /* a trigger waits for its transfer */
    int bursting;             /* a burst-block transfer is between two bursts */
} dma_ch_t;

typedef struct {
    uint16_t watch; /* first member (dma_watch in periph_dma.h): triggers of enabled channels */
    dma_ch_t ch[3];
    int first;      /* the highest-priority channel (moves with ROUNDROBIN) */
    int busy;       /* inside ev_fire: a trigger only marks its channel */
    uint64_t burst_at; /* a burst-block's next burst: not before this cycle */
    uint64_t transfers;
    mote_event_t ev;
} dma_t;

static dma_t *st(mote_t *m) { return (dma_t *)m->periph[PERIPH_SLOT_DMA]; }

static unsigned tsel(const mote_t *m, int c) { return (reg16(m, R_CTL0) >> (4 * c)) & 15u; }
static int enabled(const mote_t *m, int c) { return (CTL(m, c) & DMAEN) != 0; }

static void update_irq(mote_t *m)
{
    int level = 0;
    for (int c = 0; c < 3; c++)
        if ((CTL(m, c) & (DMAIE | DMAIFG)) == (DMAIE | DMAIFG)) level = 1;
    if (level != (int)((m->irq_lines >> VEC_DACDMA) & 1u)) mote_irq_set(m, VEC_DACDMA, level);
}

static void recompute_watch(mote_t *m, dma_t *s)
{
    unsigned w = 0;
    for (int c = 0; c < 3; c++)
        if (enabled(m, c)) w |= 1u << tsel(m, c);
    w &= ~(1u << DMA_TRIG_REQ); /* DMAREQ arrives through the register write */
    unsigned old = s->watch;
    s->watch = (uint16_t)w;
    if ((old ^ w) & TIMER_TRIGS) timer_dma_watch_changed(m);
    if ((old ^ w) & USART_TRIGS) usart_dma_watch(m, w);
}

/* The next service: a burst-block between bursts goes on first (not halted by other triggers),
 * otherwise pending channels at once. */
static void plan(mote_t *m, dma_t *s)
{
    if (s->busy) return;
    uint64_t when = UINT64_MAX;
    for (int c = 0; c < 3; c++) {
        if (s->ch[c].bursting) {
            when = s->burst_at;
            break;
        }
        if (s->ch[c].pending) when = m->now;
    }
    if (when == UINT64_MAX) {
        if (mote_event_queued(&s->ev)) mote_event_cancel(m, &s->ev);
        return;
    }
    mote_event_schedule(m, &s->ev, when < m->now ? m->now : when);
}

static void mark(mote_t *m, dma_t *s, int c)
{
    s->ch[c].pending = 1;
    if (!mote_event_queued(&s->ev)) plan(m, s);
}

void dma_trigger(mote_t *m, int trig)
{
    dma_t *s = st(m);
    if (!((s->watch >> trig) & 1u)) return;
    /* "DMA Trigger Operation": a USART flag whose interrupt enable is set does not trigger (the
     * timers test CCIE before calling) */
    const uint8_t *ie = sfr_regs(m);
    switch (trig) {
    case DMA_TRIG_URXIFG0: if (ie[SFR_IE1] & SFR1_URX0) return; break;
    case DMA_TRIG_UTXIFG0: if (ie[SFR_IE1] & SFR1_UTX0) return; break;
    case DMA_TRIG_URXIFG1: if (ie[SFR_IE2] & SFR2_URX1) return; break;
    case DMA_TRIG_UTXIFG1: if (ie[SFR_IE2] & SFR2_UTX1) return; break;
    default: break;
    }
    for (int c = 0; c < 3; c++)
        if (enabled(m, c) && tsel(m, c) == (unsigned)trig) mark(m, s, c);
}

void dma_sfr_rose(mote_t *m, uint8_t up1, uint8_t up2)
{
    if (up1 & SFR1_URX0) dma_trigger(m, DMA_TRIG_URXIFG0);
    if (up1 & SFR1_UTX0) dma_trigger(m, DMA_TRIG_UTXIFG0);
    if (up2 & SFR2_URX1) dma_trigger(m, DMA_TRIG_URXIFG1);
    if (up2 & SFR2_UTX1) dma_trigger(m, DMA_TRIG_UTXIFG1);
}

/* "DMA Trigger Operation": the flags reset automatically when the transfer starts. ADC12IFGx is
 * reset by the DMA's read of ADC12MEMx (the data path), DMAxIFG (chain) is not reset. */
static void auto_reset(mote_t *m, int c)
{
    switch (tsel(m, c)) {
    case DMA_TRIG_REQ: set_ctl(m, c, CTL(m, c) & (uint16_t)~DMAREQ); break;
    case DMA_TRIG_TACCR2: timer_dma_clear(m, TIMER_A, 2); break;
    case DMA_TRIG_TBCCR2: timer_dma_clear(m, TIMER_B, 2); break;
    case DMA_TRIG_TACCR0: timer_dma_clear(m, TIMER_A, 0); break;
    case DMA_TRIG_TBCCR0: timer_dma_clear(m, TIMER_B, 0); break;
    /* the interrupt enable is clear (no trigger otherwise): the USART's line stays low */
    case DMA_TRIG_URXIFG0: sfr_clear_bits(m, SFR_IFG1, SFR1_URX0); break;
    case DMA_TRIG_UTXIFG0: sfr_clear_bits(m, SFR_IFG1, SFR1_UTX0); break;
    case DMA_TRIG_URXIFG1: sfr_clear_bits(m, SFR_IFG2, SFR2_URX1); break;
    case DMA_TRIG_UTXIFG1: sfr_clear_bits(m, SFR_IFG2, SFR2_UTX1); break;
    default: break;
    }
}

/* MCLK restart for a transfer with the CPU off: 1 cycle, plus the DCO start-up in LPM3/LPM4. */
static uint64_t wake_cycles(mote_t *m)
{
    int mode = m->comp[0].mode;
    if (mode == CPU_MODE_ACTIVE) return 0;
    uint64_t n = 1;
    if (mode == CPU_MODE_LPM3 || mode == CPU_MODE_LPM4)
        n += ((uint64_t)m->mclk_hz * m->dco_wake_ns + 999999999u) / 1000000000u;
    return n;
}

static uint16_t step(unsigned incr, int is_byte)
{
    uint16_t d = is_byte ? 1u : 2u;
    return incr == 3 ? d : incr == 2 ? (uint16_t)-d : 0u;
}

/* One byte/word: read at the transfer's start, write at its end ("Byte-to-word": the high byte is
 * cleared; "word-to-byte": the low byte is moved). */
static void transfer(mote_t *m, dma_t *s, int c)
{
    dma_ch_t *ch = &s->ch[c];
    uint16_t ctl = CTL(m, c);
    int sb = (ctl & DMASRCBYTE) != 0, db = (ctl & DMADSTBYTE) != 0;
    uint16_t v = mote_data_read(m, ch->tsa, sb);
    if (sb || db) v &= 0xFF;
    m->now += XFER_CYCLES;
    mote_data_write(m, ch->tda, v, db);
    ch->tsa = (uint16_t)(ch->tsa + step(SRCINCR(ctl), sb));
    ch->tda = (uint16_t)(ch->tda + step(DSTINCR(ctl), db));
    set16(m, R_CH(c, 6), (uint16_t)(SZ(m, c) - 1u));
    s->transfers++;
}

static int nmi_stops(mote_t *m)
{
    return (reg16(m, R_CTL1) & ENNMI) && ((m->irq_lines >> VEC_NMI) & 1u);
}

static void stop_channel(mote_t *m, dma_t *s, int c, uint16_t set)
{
    set_ctl(m, c, (uint16_t)((CTL(m, c) & ~DMAEN) | set));
    s->ch[c].pending = s->ch[c].bursting = 0;
    recompute_watch(m, s);
}

/* One service of channel c: a single transfer, a whole block, or one burst of a burst-block. */
static void run_channel(mote_t *m, dma_t *s, int c)
{
    dma_ch_t *ch = &s->ch[c];
    unsigned dt = DMADT(CTL(m, c)), kind = dt & 3u; /* 0 single, 1 block, 2/3 burst-block */
    int repeat = (dt & 4u) != 0;
    if (!ch->bursting) {
        ch->pending = 0;
        if (nmi_stops(m)) { /* ENNMI: a pending NMI stops the channel before it transfers */
            stop_channel(m, s, c, DMAABORT);
            return;
        }
        auto_reset(m, c);
        m->now += wake_cycles(m) + SYNC_CYCLES;
    }
    uint16_t sz = SZ(m, c);
    if (sz == 0) { /* "DMAxSZ = 0: no transfers" */
        ch->bursting = 0;
        return;
    }
    unsigned n = kind == 0 ? 1u : kind == 1 ? sz : (sz < BURST_LEN ? sz : BURST_LEN);
    for (unsigned i = 0; i < n; i++) {
        if (nmi_stops(m)) { /* the transfer in progress completed: no more */
            stop_channel(m, s, c, DMAABORT);
            return;
        }
        transfer(m, s, c);
    }
    if (SZ(m, c) != 0 && kind >= 2) { /* the CPU's cycles between two bursts */
        ch->bursting = 1;
        s->burst_at = m->now + BURST_CPU_CYCLES;
        return;
    }
    m->now += WAIT_CYCLES;
    ch->bursting = 0;
    if (reg16(m, R_CTL1) & ROUNDROBIN) s->first = (c + 1) % 3;
    if (SZ(m, c) != 0) return;
    /* DMAxSZ reached zero: reload from the temporaries, DMAIFG, DMAEN cleared unless repeated */
    set16(m, R_CH(c, 6), ch->tsz);
    ch->tsa = SA(m, c);
    ch->tda = DA(m, c);
    if (!repeat) {
        stop_channel(m, s, c, DMAIFG);
    } else {
        set_ctl(m, c, CTL(m, c) | DMAIFG);
        if (kind >= 2) { /* repeated burst-block: the next block follows without a trigger */
            ch->bursting = 1;
            s->burst_at = m->now + BURST_CPU_CYCLES;
        }
    }
    update_irq(m);
    int next = (c + 1) % 3; /* trigger 14: DMA0IFG -> channel 1, DMA1IFG -> 2, DMA2IFG -> 0 */
    if (enabled(m, next) && tsel(m, next) == DMA_TRIG_CHAIN) s->ch[next].pending = 1;
}

static int pick(const mote_t *m, const dma_t *s)
{
    for (int c = 0; c < 3; c++)
        if (s->ch[c].bursting) return c;
    int first = (reg16(m, R_CTL1) & ROUNDROBIN) ? s->first : 0;
    for (int i = 0; i < 3; i++) {
        int c = (first + i) % 3;
        if (s->ch[c].pending && enabled(m, c)) return c;
    }
    return -1;
}

static void ev_fire(mote_t *m, mote_event_t *ev)
{
    dma_t *s = ev->ctx;
    int c = pick(m, s);
    if (c >= 0 && s->ch[c].bursting && m->now < s->burst_at) { /* woke early (a replan) */
        mote_event_schedule(m, &s->ev, s->burst_at);
        return;
    }
    s->busy = 1;
    if (c >= 0) run_channel(m, s, c);
    s->busy = 0;
    for (int i = 0; i < 3; i++)
        if (!enabled(m, i)) s->ch[i].pending = 0;
    plan(m, s);
}

/* ---- registers ---- */

static void ctl_written(mote_t *m, dma_t *s, int c, uint16_t old)
{
    dma_ch_t *ch = &s->ch[c];
    uint16_t ctl = CTL(m, c) & 0x7FFFu;
    set_ctl(m, c, ctl);
    if ((ctl & DMAEN) && !(old & DMAEN)) { /* enabling copies the registers to the temporaries */
        ch->tsa = SA(m, c);
        ch->tda = DA(m, c);
        ch->tsz = SZ(m, c);
    }
    if (!(ctl & DMAEN)) ch->pending = ch->bursting = 0;
    recompute_watch(m, s);
    /* DMAREQ is the software trigger of a channel that selects trigger 0 */
    if ((ctl & (DMAREQ | DMAEN)) == (DMAREQ | DMAEN) && tsel(m, c) == DMA_TRIG_REQ) mark(m, s, c);
    update_irq(m);
    plan(m, s);
}

static void io_write(mote_t *m, void *ctx, uint16_t addr, uint16_t value, int is_byte)
{
    dma_t *s = ctx;
    uint16_t a = addr & ~1u, old = reg16(m, a);
    if (is_byte)
        m->mem[addr] = (uint8_t)value;
    else
        set16(m, a, value);
    if (a == R_CTL0) {
        set16(m, a, reg16(m, a) & 0x0FFFu);
        recompute_watch(m, s);
    } else if (a == R_CTL1) {
        set16(m, a, reg16(m, a) & 0x0007u);
        if (!(reg16(m, a) & ROUNDROBIN)) s->first = 0; /* back to the default priorities */
    } else if (a >= 0x01E0 && (a & 6u) == 0) {
        ctl_written(m, s, (a - 0x01E0) >> 3, old);
    }
}

uint64_t dma_transfers(mote_t *m) { return st(m)->transfers; }

void dma_attach(mote_t *m)
{
    dma_t *s = calloc(1, sizeof *s);
    m->periph[PERIPH_SLOT_DMA] = s;
    mote_event_init(&s->ev, "dma", ev_fire, s);
    mote_map_io(m, R_CTL0, R_CTL1 + 2, NULL, io_write, s);
    mote_map_io(m, 0x01E0, 0x01F8, NULL, io_write, s);
}

/* Every register is 0 after POR and PUC ("DMA Registers": reset with POR / PUC). The timers' plans
 * are redone by their own resets, which follow. */
void dma_reset(mote_t *m, int por)
{
    dma_t *s = st(m);
    uint64_t transfers = por ? 0 : s->transfers;
    mote_event_cancel(m, &s->ev);
    mote_event_t ev = s->ev;
    *s = (dma_t){0};
    s->ev = ev;
    s->transfers = transfers;
    for (uint16_t a = R_CTL0; a < R_CTL1 + 2; a++) m->mem[a] = 0;
    for (uint16_t a = 0x01E0; a < 0x01F8; a++) m->mem[a] = 0;
    usart_dma_watch(m, 0);
    mote_irq_set(m, VEC_DACDMA, 0);
}

void dma_detach(mote_t *m)
{
    free(m->periph[PERIPH_SLOT_DMA]);
    m->periph[PERIPH_SLOT_DMA] = NULL;
}
