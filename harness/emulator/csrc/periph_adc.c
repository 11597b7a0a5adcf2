/* periph_adc.c — ADC12 (see periph_adc.h). */
#include <stdlib.h>
#include "periph.h"

/* ADC12CTL0 */
#define MSC 0x0080u
#define ADC12ON 0x0010u
#define OVIE 0x0008u
#define TOVIE 0x0004u
#define ENC 0x0002u
#define ADC12SC 0x0001u
/* ADC12CTL1 */
#define SHP 0x0200u
#define BUSY 0x0001u
/* ADC12MCTLx */
#define EOS 0x80u

typedef struct {
    uint16_t ctl0, ctl1, ifg, ie, mem[16];
    uint8_t mctl[16];
    int ov, tov;
    int pos;           /* MEMx being converted */
    int running;
    uint16_t value[16];
    uint8_t noise[16];
    uint64_t prng;
    mote_event_t ev;
} adc_t;

static adc_t *st(mote_t *m) { return (adc_t *)m->periph[PERIPH_SLOT_ADC]; }

static uint64_t next_rand(adc_t *a)
{
    /* xorshift64* */
    uint64_t x = a->prng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    a->prng = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static void update_irq(mote_t *m, adc_t *a)
{
    int level = (a->ifg & a->ie) || (a->ov && (a->ctl0 & OVIE)) || (a->tov && (a->ctl0 & TOVIE));
    mote_irq_set(m, VEC_ADC12, level);
}

static int clk_src(adc_t *a)
{
    static const int src[4] = {CLK_SRC_ADC12OSC, CLK_SRC_ACLK, CLK_SRC_MCLK, CLK_SRC_SMCLK};
    return src[(a->ctl1 >> 3) & 3];
}

static uint32_t conv_clocks(adc_t *a, int x)
{
    static const uint32_t sht[16] = {4, 8, 16, 32, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1024, 1024, 1024};
    unsigned code = x < 8 ? (a->ctl0 >> 8) & 15 : (a->ctl0 >> 12) & 15;
    return sht[code] + 13; /* sample (4 * ADC12CLK * n, tabled directly) + 13 conversion clocks */
}

static void start(mote_t *m, adc_t *a)
{
    int src = clk_src(a);
    uint64_t div = ((a->ctl1 >> 5) & 7) + 1;
    uint64_t end = clk_cycle_of_tick(m, src, clk_ticks(m, src) + conv_clocks(a, a->pos) * div);
    if (end == UINT64_MAX) return;
    a->running = 1;
    a->ctl1 |= BUSY;
    mote_event_schedule(m, &a->ev, end < m->now ? m->now : end);
}

static void done(mote_t *m, mote_event_t *ev)
{
    adc_t *a = ev->ctx;
    int x = a->pos, ch = a->mctl[x] & 15;
    uint16_t v = a->value[ch] & 0x0FFF;
    if (a->noise[ch]) {
        uint16_t mask = (uint16_t)((1u << a->noise[ch]) - 1u);
        v = (uint16_t)((v & ~mask) | ((uint16_t)(next_rand(a) >> 40) & mask));
    }
    if (a->ifg & (1u << x)) a->ov = 1; /* previous result not read */
    a->mem[x] = v;
    a->ifg |= (uint16_t)(1u << x);
    a->running = 0;
    a->ctl1 &= (uint16_t)~BUSY;
    unsigned conseq = (a->ctl1 >> 1) & 3;
    int cstart = a->ctl1 >> 12;
    int eos = (a->mctl[x] & EOS) != 0 || x == 15;
    int more = 0;
    if (a->ctl0 & ENC) {
        switch (conseq) {
        case 1: if (!eos) { a->pos = x + 1; more = 1; } else a->pos = cstart; break;
        case 2: more = 1; break;
        case 3: a->pos = eos ? cstart : x + 1; more = 1; break;
        default: break;
        }
    } else {
        a->pos = cstart;
    }
    a->ctl0 &= (uint16_t)~ADC12SC;
    /* MSC = 1 (with SHP) chains conversions; otherwise each waits for ADC12SC */
    if (more && (a->ctl0 & MSC) && (a->ctl1 & SHP) && (a->ctl0 & ADC12ON)) start(m, a);
    /* DMA trigger 6: every conversion of a single channel, the last of a sequence (the DMA's read
     * of ADC12MEMx clears its flag, as the CPU's does) */
    if (((dma_watch(m) >> DMA_TRIG_ADC12) & 1u) && (!(conseq & 1u) || eos)) dma_trigger(m, DMA_TRIG_ADC12);
    update_irq(m, a);
}

static uint16_t iv_read(mote_t *m, adc_t *a, int clear)
{
    uint16_t v = 0;
    if (a->ov) {
        v = 2;
        if (clear) a->ov = 0;
    } else if (a->tov) {
        v = 4;
        if (clear) a->tov = 0;
    } else {
        for (int x = 0; x < 16; x++)
            if (a->ifg & a->ie & (1u << x)) { v = (uint16_t)(6 + 2 * x); break; }
    }
    update_irq(m, a);
    return v;
}

static uint16_t reg_read(mote_t *m, adc_t *a, uint16_t addr)
{
    if (addr >= 0x80 && addr < 0x90) return a->mctl[addr - 0x80];
    if (addr >= 0x140 && addr < 0x160) {
        int x = (addr - 0x140) / 2;
        a->ifg &= (uint16_t)~(1u << x); /* reading ADC12MEMx clears its flag */
        update_irq(m, a);
        return a->mem[x];
    }
    switch (addr & ~1u) {
    case 0x1A0: return a->ctl0;
    case 0x1A2: return a->ctl1;
    case 0x1A4: return a->ifg;
    case 0x1A6: return a->ie;
    default: return iv_read(m, a, 1);
    }
}

static void reg_write(mote_t *m, adc_t *a, uint16_t addr, uint16_t v)
{
    if (addr >= 0x80 && addr < 0x90) { a->mctl[addr - 0x80] = (uint8_t)v; return; }
    if (addr >= 0x140 && addr < 0x160) { a->mem[(addr - 0x140) / 2] = v & 0x0FFF; return; }
    switch (addr & ~1u) {
    case 0x1A0: {
        a->ctl0 = v;
        if ((v & ENC) && (v & ADC12SC) && (v & ADC12ON) && !a->running && ((a->ctl1 >> 10) & 3) == 0) {
            if (((a->ctl1 >> 1) & 3) == 0 || a->pos < 0) a->pos = a->ctl1 >> 12;
            start(m, a);
        }
        if (!(v & ADC12ON)) {
            mote_event_cancel(m, &a->ev);
            a->running = 0;
            a->ctl1 &= (uint16_t)~BUSY;
        }
        break;
    }
    case 0x1A2:
        a->ctl1 = (uint16_t)((v & ~BUSY) | (a->ctl1 & BUSY));
        if (!a->running) a->pos = a->ctl1 >> 12;
        break;
    case 0x1A4: a->ifg = v; break;
    case 0x1A6: a->ie = v; break;
    default: iv_read(m, a, 1); break;
    }
    update_irq(m, a);
}

static uint16_t io_read(mote_t *m, void *ctx, uint16_t addr, int is_byte)
{
    adc_t *a = ctx;
    if (addr >= 0x80 && addr < 0x90) {
        uint16_t v = a->mctl[addr - 0x80];
        if (!is_byte && addr + 1 < 0x90) v |= (uint16_t)(a->mctl[addr + 1 - 0x80] << 8);
        return v;
    }
    uint16_t v = reg_read(m, a, addr & ~1u);
    if (is_byte) return (addr & 1) ? (uint16_t)(v >> 8) : (uint16_t)(v & 0xFF);
    return v;
}

static void io_write(mote_t *m, void *ctx, uint16_t addr, uint16_t value, int is_byte)
{
    adc_t *a = ctx;
    if (addr >= 0x80 && addr < 0x90) {
        a->mctl[addr - 0x80] = (uint8_t)value;
        if (!is_byte && addr + 1 < 0x90) a->mctl[addr + 1 - 0x80] = (uint8_t)(value >> 8);
        return;
    }
    if (is_byte) {
        uint16_t a16 = addr & ~1u;
        uint16_t cur = (a16 == 0x1A8) ? 0 : (a16 >= 0x140 && a16 < 0x160) ? a->mem[(a16 - 0x140) / 2]
                       : a16 == 0x1A0 ? a->ctl0 : a16 == 0x1A2 ? a->ctl1 : a16 == 0x1A4 ? a->ifg : a->ie;
        value = (addr & 1) ? (uint16_t)((cur & 0x00FF) | (value << 8)) : (uint16_t)((cur & 0xFF00) | (value & 0xFF));
    }
    reg_write(m, a, addr & ~1u, value);
}

void adc_set_channel(mote_t *m, int ch, uint16_t value)
{
    if (ch >= 0 && ch < 16) st(m)->value[ch] = value & 0x0FFF;
}

void adc_set_channel_noise(mote_t *m, int ch, int bits)
{
    if (ch >= 0 && ch < 16) st(m)->noise[ch] = (uint8_t)(bits < 0 ? 0 : bits > 12 ? 12 : bits);
}

void adc_seed(mote_t *m, uint64_t seed)
{
    /* splitmix64 of the seed: any seed (0 included) gives a nonzero xorshift state */
    uint64_t z = seed + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    st(m)->prng = z ? z : 1;
}

void adc_attach(mote_t *m)
{
    adc_t *a = calloc(1, sizeof *a);
    m->periph[PERIPH_SLOT_ADC] = a;
    mote_event_init(&a->ev, "adc12", done, a);
    mote_map_io(m, 0x80, 0x90, io_read, io_write, a);
    mote_map_io(m, 0x140, 0x160, io_read, io_write, a);
    mote_map_io(m, 0x1A0, 0x1AA, io_read, io_write, a);
    a->value[11] = 2048; /* (AVcc - AVss) / 2 against a full-scale reference */
    adc_seed(m, 0);
}

void adc_reset(mote_t *m, int por)
{
    (void)por;
    adc_t *a = st(m);
    mote_event_cancel(m, &a->ev);
    a->ctl0 = a->ctl1 = a->ifg = a->ie = 0;
    for (int x = 0; x < 16; x++) a->mctl[x] = 0;
    a->ov = a->tov = 0;
    a->pos = 0;
    a->running = 0;
    update_irq(m, a);
}

void adc_detach(mote_t *m)
{
    free(m->periph[PERIPH_SLOT_ADC]);
    m->periph[PERIPH_SLOT_ADC] = NULL;
}
