/* periph_usart.c — USART0/USART1, UART and SPI-master modes (see periph_usart.h). */
#include <stdlib.h>
#include "periph.h"

/* UxCTL */
#define PENA 0x80u
#define SPB 0x20u
#define CHAR8 0x10u
#define SYNC 0x04u
#define MM 0x02u
#define SWRST 0x01u
/* UxTCTL */
#define TXEPT 0x01u
/* UxRCTL */
#define FE 0x80u
#define PE 0x40u
#define OE 0x20u
#define BRK 0x10u
#define RXWAKE 0x02u
#define RXERR 0x01u

typedef struct {
    int u;
    uint16_t base;
    int sfr_ie, sfr_ifg, sfr_me;
    uint8_t txbit, rxbit;
    int vec_tx, vec_rx;
    uint16_t tx_line, rx_line; /* their bits in m->irq_lines */
    uint8_t bits;           /* rxbit | txbit */
    uint16_t lines;         /* rx_line | tx_line */
    int dma_rx, dma_tx;     /* their DMA triggers (URXIFGx, UTXIFGx) */
    uint8_t dma_armed;      /* rxbit / txbit: a DMA channel watches that flag (usart_dma_watch) */
    uint8_t ctl, tctl, rctl, mctl, br0, br1, rxbuf, txbuf;
    int tx_full, shifting;
    uint8_t shift;
    int tx_src;             /* BRCLK source of the character being shifted */
    uint64_t tx_end_tick;   /* BRCLK tick at which it ends (kept across clock changes) */
    int tx_tick_lazy;       /* tx_end_tick not computed yet: it is clk_ticks at tx_start + tx_n */
    uint64_t tx_start;      /* cycle the character started at */
    uint32_t tx_n;          /* its length in BRCLK ticks */
    uint64_t tx_rem;        /* clock change bookkeeping */
    mote_event_t tx_ev, rx_ev;
    uint8_t rxq[UART_RX_QUEUE_SIZE];
    size_t rxq_head, rxq_len;
    uint64_t rx_ready;
    /* UART receive health (uart_rx_health): the character in RXBUF not read yet, since when */
    int rx_unread;
    uint64_t rx_at, rx_wait_max, rx_lost;
    uint64_t tx_count;
    struct { uart_tx_fn fn; void *ctx; } tx_lis[2]; /* [0] the listener, [1] the tap (an observer) */
    /* SPI bus: several devices, each framed by its own chip select; a deselected device drives
     * nothing (reads as 0), so MISO is the OR of what the devices return */
    spi_exchange_fn spi_fn[SPI_MAX_DEVICES];
    void *spi_ctx[SPI_MAX_DEVICES];
    int nspi;
} usart_t;

static usart_t *st(mote_t *m, int u)
{
    if (u < 0 || u > 1) return NULL;
    return (usart_t *)m->periph[u == 0 ? PERIPH_SLOT_USART0 : PERIPH_SLOT_USART1];
}

static int is_spi(usart_t *s) { return (s->ctl & SYNC) != 0; }
static int in_reset(usart_t *s) { return (s->ctl & SWRST) != 0; }

static int brclk_src(usart_t *s)
{
    switch ((s->tctl >> 4) & 3) {
    case 1: return CLK_SRC_ACLK;
    case 2: case 3: return CLK_SRC_SMCLK;
    default: return CLK_SRC_NONE; /* UCLKI: external clock not modelled */
    }
}

/* SPI: 8 bits of UBR (at least 2) BRCLK periods; inline, for every byte. */
static inline uint32_t spi_char_ticks(usart_t *s)
{
    uint32_t ubr = (uint32_t)s->br1 << 8 | s->br0;
    return 8u * (ubr < 2 ? 2 : ubr);
}

static uint32_t char_ticks(usart_t *s)
{
    if (is_spi(s)) return spi_char_ticks(s);
    uint32_t ubr = (uint32_t)s->br1 << 8 | s->br0;
    if (ubr < 3) ubr = 3; /* UBR < 3 is not allowed in UART mode */
    int nbits = 1 + ((s->ctl & CHAR8) ? 8 : 7) + ((s->ctl & PENA) ? 1 : 0) + ((s->ctl & SPB) ? 2 : 1);
    uint32_t ticks = 0;
    for (int i = 0; i < nbits; i++) ticks += ubr + ((s->mctl >> (i % 8)) & 1u);
    return ticks;
}

/* Cycle at which a character started now ends; UINT64_MAX if BRCLK does not run. */
static uint64_t char_end(mote_t *m, usart_t *s)
{
    int src = brclk_src(s);
    if (src == CLK_SRC_NONE) return UINT64_MAX;
    uint64_t start = clk_ticks(m, src);
    return clk_cycle_of_tick(m, src, start + char_ticks(s));
}

/* The RX/TX lines from IE & IFG; mote_irq_set only when a line changes (nothing else drives them),
 * RX before TX. Inline: four calls per SPI byte, nearly always with nothing to change. */
static inline void update_irq(mote_t *m, usart_t *s)
{
    const uint8_t *reg = sfr_regs(m);
    uint8_t on = reg[s->sfr_ie] & reg[s->sfr_ifg] & s->bits;
    unsigned cur = m->irq_lines & s->lines;
    if (__builtin_expect(!on && !cur, 1)) return; /* both low and staying low (polled SPI: IEs off) */
    unsigned want = ((on & s->rxbit) ? s->rx_line : 0u) | ((on & s->txbit) ? s->tx_line : 0u);
    unsigned diff = cur ^ want;
    if (diff == 0) return;
    if (diff & s->rx_line) mote_irq_set(m, s->vec_rx, (want & s->rx_line) != 0);
    if (diff & s->tx_line) mote_irq_set(m, s->vec_tx, (want & s->tx_line) != 0);
}

/* URXIFG / UTXIFG (`bit`) is about to be set: a rising edge is a DMA trigger when a channel watches
 * it. Inline: one test of a byte of the USART's own state per SPI byte and flag while none does. */
static inline void dma_edge(mote_t *m, usart_t *s, uint8_t bit, int trig)
{
    if (__builtin_expect((s->dma_armed & bit) != 0, 0) && !(sfr_regs(m)[s->sfr_ifg] & bit)) dma_trigger(m, trig);
}

static int tx_enabled(mote_t *m, usart_t *s)
{
    if (in_reset(s)) return 0;
    uint8_t me = sfr_regs(m)[s->sfr_me];
    if (is_spi(s)) return (s->ctl & MM) && (me & s->rxbit); /* USPIEx */
    return (me & s->txbit) != 0;
}

static int rx_enabled(mote_t *m, usart_t *s)
{
    return !in_reset(s) && !is_spi(s) && (sfr_regs(m)[s->sfr_me] & s->rxbit);
}

static void start_tx(mote_t *m, usart_t *s)
{
    if (!tx_enabled(m, s)) return;
    /* char_end(), keeping what a clock change during the character needs (clk_changed) */
    int src = brclk_src(s);
    if (src == CLK_SRC_NONE) return;
    uint32_t n = is_spi(s) ? spi_char_ticks(s) : char_ticks(s);
    uint64_t end;
    if (src == CLK_SRC_SMCLK && clk_freq_hz(m, CLK_SRC_SMCLK) == m->mclk_hz) {
        /* SMCLK running with MCLK's divider of the DCO: one tick per cycle, in step (periph_clk.h:
         * exact divider ratios), so tick clk_ticks + n comes n cycles on. The end tick is only needed
         * at a clock change (clk_changed), computed there from the start cycle: the same value. */
        end = m->now + n;
        s->tx_tick_lazy = 1;
        s->tx_start = m->now;
        s->tx_n = n;
    } else {
        uint64_t end_tick = clk_ticks(m, src) + n;
        end = clk_cycle_of_tick(m, src, end_tick);
        if (end == UINT64_MAX) return;
        s->tx_tick_lazy = 0;
        s->tx_end_tick = end_tick;
    }
    s->tx_src = src;
    s->shift = s->txbuf;
    s->tx_full = 0;
    s->shifting = 1;
    s->tctl &= (uint8_t)~TXEPT;
    dma_edge(m, s, s->txbit, s->dma_tx);
    sfr_set_bits(m, s->sfr_ifg, s->txbit); /* TXBUF free again */
    mote_event_schedule(m, &s->tx_ev, end < m->now ? m->now : end);
    update_irq(m, s);
}

/* TXBUF -> shift register when it holds a byte and the shift register is free (the test inline: every
 * byte completion asks, and finds nothing to start unless the firmware wrote ahead). */
static inline void try_start_tx(mote_t *m, usart_t *s)
{
    if (s->shifting || !s->tx_full) return;
    start_tx(m, s);
}

/* A character arrives in RXBUF now. */
static int receive(mote_t *m, usart_t *s, uint8_t byte)
{
    if (!is_spi(s)) { /* a character still unread is lost, seen by OE or not (URXIFG auto-cleared) */
        s->rx_lost += (uint64_t)s->rx_unread;
        s->rx_unread = 1;
        s->rx_at = m->now;
    }
    int overrun = (sfr_regs(m)[s->sfr_ifg] & s->rxbit) != 0;
    if (overrun) s->rctl |= OE | RXERR;
    s->rxbuf = byte;
    dma_edge(m, s, s->rxbit, s->dma_rx);
    sfr_set_bits(m, s->sfr_ifg, s->rxbit);
    update_irq(m, s);
    return overrun;
}

static void tx_done(mote_t *m, mote_event_t *ev)
{
    usart_t *s = ev->ctx;
    s->shifting = 0;
    uint8_t byte = s->shift;
    s->tx_count++;
    if (is_spi(s)) {
        uint8_t miso = s->nspi ? 0x00 : 0xFF;
        for (int i = 0; i < s->nspi; i++)
            miso |= s->spi_fn[i](m, s->spi_ctx[i], byte);
        receive(m, s, miso);
    } else {
        mote_serial_out(m, s->u, byte);
        for (int i = 0; i < 2; i++)
            if (s->tx_lis[i].fn) s->tx_lis[i].fn(m, s->tx_lis[i].ctx, s->u, byte, m->now);
    }
    if (!s->tx_full) s->tctl |= TXEPT;
    try_start_tx(m, s);
}

static void schedule_rx(mote_t *m, usart_t *s)
{
    if (s->rxq_len == 0 || !rx_enabled(m, s)) {
        if (mote_event_queued(&s->rx_ev)) mote_event_cancel(m, &s->rx_ev);
        return;
    }
    if (mote_event_queued(&s->rx_ev)) return;
    uint64_t end = char_end(m, s);
    if (end == UINT64_MAX) return;
    if (end < s->rx_ready) end = s->rx_ready;
    mote_event_schedule(m, &s->rx_ev, end);
}

static void rx_fire(mote_t *m, mote_event_t *ev)
{
    usart_t *s = ev->ctx;
    if (s->rxq_len == 0 || !rx_enabled(m, s)) return;
    uint8_t b = s->rxq[s->rxq_head];
    s->rxq_head = (s->rxq_head + 1) % UART_RX_QUEUE_SIZE;
    s->rxq_len--;
    s->rx_ready = m->now + uart_char_cycles(m, s->u);
    receive(m, s, b);
    schedule_rx(m, s);
}

/* SWRST (set) and PUC: the state machine stops; IFGs and IEs as the family guide lists. */
static void state_reset(mote_t *m, usart_t *s)
{
    mote_event_cancel(m, &s->tx_ev);
    mote_event_cancel(m, &s->rx_ev);
    s->tx_full = s->shifting = 0;
    s->rx_unread = 0; /* what the firmware discards by a reset is not lost to it */
    s->tctl |= TXEPT;
    s->rctl &= (uint8_t)~(FE | PE | OE | BRK | RXERR | RXWAKE);
    sfr_clear_bits(m, s->sfr_ie, (uint8_t)(s->rxbit | s->txbit));
    sfr_clear_bits(m, s->sfr_ifg, s->rxbit);
    dma_edge(m, s, s->txbit, s->dma_tx);
    sfr_set_bits(m, s->sfr_ifg, s->txbit);
    update_irq(m, s);
}

static uint8_t read_byte(mote_t *m, usart_t *s, unsigned off)
{
    switch (off) {
    case 0: return s->ctl;
    case 1: return s->tctl;
    case 2: return s->rctl;
    case 3: return s->mctl;
    case 4: return s->br0;
    case 5: return s->br1;
    case 6:
        if (s->rx_unread) {
            s->rx_unread = 0;
            if (m->now - s->rx_at > s->rx_wait_max) s->rx_wait_max = m->now - s->rx_at;
        }
        /* reading RXBUF clears URXIFG and the receive error bits */
        sfr_clear_bits(m, s->sfr_ifg, s->rxbit);
        s->rctl &= (uint8_t)~(FE | PE | OE | BRK | RXERR | RXWAKE);
        update_irq(m, s);
        return s->rxbuf;
    default: return s->txbuf;
    }
}

/* A synchronous mode other than SPI master is not modelled (nothing silent): USART0's I2C mode
 * (I2C = 1 in SPB's place; its bit 0 is then I2CEN, so any value of it) or SPI slave out of reset
 * (x1xx user's guide, USART SPI and I2C chapters). */
static void note_unmodelled_mode(mote_t *m, usart_t *s)
{
    if (s->u == 0 && (s->ctl & SPB))
        unmod_note(m, UNMOD_I2C, s->base, 1);
    else if (!(s->ctl & MM) && !in_reset(s))
        unmod_note(m, UNMOD_SPI_SLAVE, s->base, 1);
}

static void write_byte(mote_t *m, usart_t *s, unsigned off, uint8_t v)
{
    switch (off) {
    case 0: {
        int was_reset = in_reset(s);
        s->ctl = v;
        if (!was_reset && in_reset(s)) state_reset(m, s);
        if (v & SYNC) note_unmodelled_mode(m, s);
        break;
    }
    case 1: s->tctl = (uint8_t)((v & ~TXEPT) | (s->tctl & TXEPT)); break;
    case 2: s->rctl = (uint8_t)((s->rctl & (FE | PE | OE | BRK | RXERR)) | (v & ~(FE | PE | OE | BRK | RXERR))); break;
    case 3: s->mctl = v; break;
    case 4: s->br0 = v; break;
    case 5: s->br1 = v; break;
    case 6: break; /* RXBUF read-only */
    default:
        s->txbuf = v;
        s->tx_full = 1;
        s->tctl &= (uint8_t)~TXEPT;
        sfr_clear_bits(m, s->sfr_ifg, s->txbit);
        update_irq(m, s);
        break;
    }
    try_start_tx(m, s);
    schedule_rx(m, s);
}

static uint16_t io_read(mote_t *m, void *ctx, uint16_t addr, int is_byte)
{
    usart_t *s = ctx;
    uint16_t v = read_byte(m, s, addr - s->base);
    if (!is_byte && addr + 1u < s->base + 8u) v |= (uint16_t)(read_byte(m, s, addr + 1u - s->base) << 8);
    return v;
}

static void io_write(mote_t *m, void *ctx, uint16_t addr, uint16_t value, int is_byte)
{
    usart_t *s = ctx;
    write_byte(m, s, addr - s->base, (uint8_t)value);
    if (!is_byte && addr + 1u < s->base + 8u) write_byte(m, s, addr + 1u - s->base, (uint8_t)(value >> 8));
}

static void accept_rx(mote_t *m, void *ctx, int vec)
{
    (void)vec;
    usart_t *s = ctx;
    sfr_clear_bits(m, s->sfr_ifg, s->rxbit);
    update_irq(m, s);
}

static void accept_tx(mote_t *m, void *ctx, int vec)
{
    (void)vec;
    usart_t *s = ctx;
    sfr_clear_bits(m, s->sfr_ifg, s->txbit);
    update_irq(m, s);
}

/* A character in flight keeps its remaining BRCLK ticks across clock changes (and stalls while
 * its clock is gated, e.g. SMCLK in LPM3); a paced RX character restarts. */
static void clk_changed(mote_t *m, void *ctx, int phase)
{
    usart_t *s = ctx;
    if (clk_change_is_smclk_gating(m) && !(s->shifting && s->tx_src == CLK_SRC_SMCLK) &&
        !(s->rxq_len && brclk_src(s) == CLK_SRC_SMCLK))
        return; /* nothing in flight on SMCLK: ACLK's cycles stay as they are */
    if (phase == 0) {
        if (s->shifting) {
            if (s->tx_tick_lazy) { /* the mapping of the character's start is still the current one */
                s->tx_end_tick = clk_ticks_at(m, s->tx_src, s->tx_start) + s->tx_n;
                s->tx_tick_lazy = 0;
            }
            uint64_t now_tick = clk_ticks(m, s->tx_src);
            s->tx_rem = s->tx_end_tick > now_tick ? s->tx_end_tick - now_tick : 0;
        }
        return;
    }
    if (s->shifting) {
        s->tx_end_tick = clk_ticks(m, s->tx_src) + s->tx_rem;
        uint64_t when = clk_cycle_of_tick(m, s->tx_src, s->tx_end_tick);
        if (when == UINT64_MAX) mote_event_cancel(m, &s->tx_ev);
        else mote_event_schedule(m, &s->tx_ev, when < m->now ? m->now : when);
    }
    if (s->rxq_len) {
        mote_event_cancel(m, &s->rx_ev);
        schedule_rx(m, s);
    }
}

static void sfr_changed(mote_t *m, void *ctx)
{
    usart_t *s = ctx;
    update_irq(m, s);
    try_start_tx(m, s);
    schedule_rx(m, s);
}

/* ---- public ---- */

static int set_tx_slot(mote_t *m, int u, int slot, uart_tx_fn fn, void *ctx)
{
    static const char *const what[2] = {"listener", "tap"};
    usart_t *s = st(m, u);
    if (!s) return mote_setup_fail("uart_set_tx_%s: no USART%d", what[slot], u);
    if (s->tx_lis[slot].fn && fn)
        return mote_setup_fail("uart_set_tx_%s: USART%d already has a TX %s", what[slot], u, what[slot]);
    s->tx_lis[slot].fn = fn;
    s->tx_lis[slot].ctx = ctx;
    return 0;
}

int uart_set_tx_listener(mote_t *m, int u, uart_tx_fn fn, void *ctx) { return set_tx_slot(m, u, 0, fn, ctx); }

int uart_set_tx_tap(mote_t *m, int u, uart_tx_fn fn, void *ctx) { return set_tx_slot(m, u, 1, fn, ctx); }

uint64_t uart_tx_count(mote_t *m, int u)
{
    usart_t *s = st(m, u);
    return s ? s->tx_count : 0;
}

int uart_rx_byte(mote_t *m, int u, uint8_t byte)
{
    usart_t *s = st(m, u);
    if (!s || !rx_enabled(m, s)) return -1;
    uint64_t len = uart_char_cycles(m, u);
    s->rx_ready = m->now + len;
    return receive(m, s, byte);
}

size_t uart_rx_push(mote_t *m, int u, const uint8_t *data, size_t len)
{
    usart_t *s = st(m, u);
    if (!s) return 0;
    size_t n = 0;
    while (n < len && s->rxq_len < UART_RX_QUEUE_SIZE) {
        s->rxq[(s->rxq_head + s->rxq_len) % UART_RX_QUEUE_SIZE] = data[n++];
        s->rxq_len++;
    }
    schedule_rx(m, s);
    return n;
}

size_t uart_rx_queued(mote_t *m, int u)
{
    usart_t *s = st(m, u);
    return s ? s->rxq_len : 0;
}

void uart_rx_health(mote_t *m, int u, uint64_t *max_wait, uint64_t *lost)
{
    usart_t *s = st(m, u);
    *max_wait = s ? s->rx_wait_max : 0;
    *lost = s ? s->rx_lost : 0;
}

uint64_t uart_rx_ready_cycle(mote_t *m, int u)
{
    usart_t *s = st(m, u);
    if (!s) return 0;
    return s->rx_ready > m->now ? s->rx_ready : m->now;
}

void usart_dma_watch(mote_t *m, unsigned watch)
{
    for (int u = 0; u < 2; u++) {
        usart_t *s = st(m, u);
        s->dma_armed = (uint8_t)((((watch >> s->dma_rx) & 1u) ? s->rxbit : 0u) | (((watch >> s->dma_tx) & 1u) ? s->txbit : 0u));
    }
}

uint64_t uart_char_cycles(mote_t *m, int u)
{
    usart_t *s = st(m, u);
    if (!s) return 0;
    uint64_t end = char_end(m, s);
    return end == UINT64_MAX ? 0 : end - m->now;
}

int spi_attach(mote_t *m, int u, spi_exchange_fn exchange, void *ctx)
{
    usart_t *s = st(m, u);
    if (!s) return mote_setup_fail("spi_attach: no USART%d", u);
    if (!exchange) { /* detach every device of this bus */
        s->nspi = 0;
        return 0;
    }
    for (int i = 0; i < s->nspi; i++)
        if (s->spi_fn[i] == exchange && s->spi_ctx[i] == ctx)
            return mote_setup_fail("spi_attach: USART%d already has that SPI device", u);
    if (s->nspi >= SPI_MAX_DEVICES)
        return mote_setup_fail("spi_attach: USART%d has %d SPI devices already", u, SPI_MAX_DEVICES);
    s->spi_fn[s->nspi] = exchange;
    s->spi_ctx[s->nspi] = ctx;
    s->nspi++;
    return 0;
}

static void make(mote_t *m, int u)
{
    usart_t *s = calloc(1, sizeof *s);
    s->u = u;
    if (u == 0) {
        s->base = 0x70;
        s->sfr_ie = SFR_IE1; s->sfr_ifg = SFR_IFG1; s->sfr_me = SFR_ME1;
        s->txbit = SFR1_UTX0; s->rxbit = SFR1_URX0;
        s->vec_tx = VEC_USART0TX; s->vec_rx = VEC_USART0RX;
        s->dma_tx = DMA_TRIG_UTXIFG0; s->dma_rx = DMA_TRIG_URXIFG0;
        m->periph[PERIPH_SLOT_USART0] = s;
    } else {
        s->base = 0x78;
        s->sfr_ie = SFR_IE2; s->sfr_ifg = SFR_IFG2; s->sfr_me = SFR_ME2;
        s->txbit = SFR2_UTX1; s->rxbit = SFR2_URX1;
        s->vec_tx = VEC_USART1TX; s->vec_rx = VEC_USART1RX;
        s->dma_tx = DMA_TRIG_UTXIFG1; s->dma_rx = DMA_TRIG_URXIFG1;
        m->periph[PERIPH_SLOT_USART1] = s;
    }
    s->tx_line = (uint16_t)(1u << s->vec_tx);
    s->rx_line = (uint16_t)(1u << s->vec_rx);
    s->bits = (uint8_t)(s->rxbit | s->txbit);
    s->lines = (uint16_t)(s->tx_line | s->rx_line);
    mote_event_init(&s->tx_ev, u ? "usart1_tx" : "usart0_tx", tx_done, s);
    mote_event_init(&s->rx_ev, u ? "usart1_rx" : "usart0_rx", rx_fire, s);
    mote_map_io(m, s->base, (uint16_t)(s->base + 8), io_read, io_write, s);
    mote_irq_on_accept(m, s->vec_rx, accept_rx, s);
    mote_irq_on_accept(m, s->vec_tx, accept_tx, s);
    sfr_add_listener(m, sfr_changed, s);
    clk_add_listener(m, clk_changed, s);
}

void usart_attach(mote_t *m)
{
    make(m, 0);
    make(m, 1);
}

void usart_reset(mote_t *m, int por)
{
    for (int u = 0; u < 2; u++) {
        usart_t *s = st(m, u);
        s->ctl = SWRST;
        s->tctl = TXEPT;
        s->rctl = 0;
        if (por) {
            s->mctl = s->br0 = s->br1 = s->rxbuf = s->txbuf = 0;
            s->rx_wait_max = s->rx_lost = 0;
        }
        s->rx_ready = m->now;
        state_reset(m, s);
    }
}

void usart_detach(mote_t *m)
{
    free(m->periph[PERIPH_SLOT_USART0]);
    free(m->periph[PERIPH_SLOT_USART1]);
    m->periph[PERIPH_SLOT_USART0] = m->periph[PERIPH_SLOT_USART1] = NULL;
}
