/* dev_m25p80.c — see dev_m25p80.h. */
#include "dev_m25p80.h"

#include <stdlib.h>
#include <string.h>

#ifndef MOTE_NO_PERIPH
#include "periph.h"

#define PIN_PORT 4
#define PIN_S 0x10u    /* P4.4 */
#define PIN_HOLD 0x80u /* P4.7 */

enum { SR_WIP = 0x01, SR_WEL = 0x02, SR_BP = 0x1C, SR_SRWD = 0x80 };
enum {
    CMD_WRSR = 0x01, CMD_PP = 0x02, CMD_READ = 0x03, CMD_WRDI = 0x04, CMD_RDSR = 0x05, CMD_WREN = 0x06,
    CMD_FAST_READ = 0x0B, CMD_RDID = 0x9F, CMD_RES = 0xAB, CMD_DP = 0xB9, CMD_BE = 0xC7, CMD_SE = 0xD8,
};
static const uint8_t rdid[3] = {0x20, 0x20, 0x14};

struct m25p80 {
    mote_t *m;
    uint8_t *mem; /* NULL until the first change: all erased (a simulation has many motes) */
    int selected, held;
    /* the instruction being received */
    int cmd;        /* -1: none yet; -2: rejected until S goes high */
    uint32_t nbytes; /* bytes received since S went low */
    uint32_t addr;
    uint8_t page[256];
    int page_n;     /* data bytes received for PP (<= 256 kept) */
    uint8_t wrsr_value;
    /* state */
    uint8_t sr;           /* SRWD, BP, WEL (WIP comes from busy_until) */
    uint64_t busy_until;  /* ns: end of the program/erase/WRSR cycle */
    int busy_clears_wel;
    int deep;             /* deep power-down entered (from deep_at on) */
    uint64_t deep_at;     /* ns when DP takes effect (tDP) */
    uint64_t wake_at;     /* ns when RES has released it (tRES1) */
    uint64_t programs, erases;
};

static uint64_t now_ns(m25p80_t *f) { return clk_now_ns(f->m); }

static uint8_t mem_at(const m25p80_t *f, uint32_t a) { return f->mem ? f->mem[a & (M25P80_SIZE - 1)] : 0xFF; }

/* The memory, allocated (erased) at its first change; NULL when out of memory. */
static uint8_t *mem_rw(m25p80_t *f)
{
    if (!f->mem) {
        f->mem = malloc(M25P80_SIZE);
        if (f->mem)
            memset(f->mem, 0xFF, M25P80_SIZE);
    }
    return f->mem;
}

static int busy(m25p80_t *f)
{
    if (f->busy_until && now_ns(f) >= f->busy_until) {
        f->busy_until = 0;
        if (f->busy_clears_wel)
            f->sr &= (uint8_t)~SR_WEL;
        f->busy_clears_wel = 0;
    }
    return f->busy_until != 0;
}

static int in_deep(m25p80_t *f) { return f->deep && now_ns(f) >= f->deep_at; }

uint8_t m25p80_status(m25p80_t *f) { return (uint8_t)(f->sr | (busy(f) ? SR_WIP : 0)); }
int m25p80_deep_power_down(m25p80_t *f) { return in_deep(f); }

/* Lowest protected address for BP2..0 (upper 1/16, 1/8, 1/4, 1/2, all); M25P80_SIZE: none. */
static uint32_t protected_from(m25p80_t *f)
{
    static const uint32_t from[8] = {M25P80_SIZE, 0xF0000, 0xE0000, 0xC0000, 0x80000, 0, 0, 0};
    return from[(f->sr & SR_BP) >> 2];
}

static void start_cycle(m25p80_t *f, uint64_t ns)
{
    f->busy_until = now_ns(f) + ns;
    f->busy_clears_wel = 1;
}

/* S went high: run the instruction if it was complete. */
static void execute(m25p80_t *f)
{
    int wel = (f->sr & SR_WEL) != 0;
    switch (f->cmd) {
    case CMD_WREN:
        if (f->nbytes == 1)
            f->sr |= SR_WEL;
        break;
    case CMD_WRDI:
        if (f->nbytes == 1)
            f->sr &= (uint8_t)~SR_WEL;
        break;
    case CMD_WRSR:
        if (f->nbytes == 2 && wel) {
            f->sr = (uint8_t)((f->sr & ~(SR_BP | SR_SRWD)) | (f->wrsr_value & (SR_BP | SR_SRWD)));
            start_cycle(f, M25P80_W_NS);
        }
        break;
    case CMD_PP:
        if (f->nbytes >= 5 && wel) {
            if (f->addr < protected_from(f)) {
                uint32_t base = f->addr & ~0xFFu;
                uint32_t off = f->addr & 0xFFu;
                /* the buffer wraps inside the page: with more than 256 bytes the last 256 count */
                int n = f->page_n > 256 ? 256 : f->page_n;
                uint8_t *mem = mem_rw(f);
                for (int i = 0; mem && i < n; i++) {
                    uint32_t o = (off + (uint32_t)i) & 0xFFu;
                    mem[base + o] &= f->page[o];
                }
                f->programs++;
            }
            start_cycle(f, M25P80_PP_NS);
        }
        break;
    case CMD_SE:
        if (f->nbytes == 4 && wel) {
            if (f->addr < protected_from(f)) {
                if (f->mem)
                    memset(f->mem + (f->addr & ~0xFFFFu), 0xFF, 0x10000);
                f->erases++;
            }
            start_cycle(f, M25P80_SE_NS);
        }
        break;
    case CMD_BE:
        if (f->nbytes == 1 && wel) {
            if (!(f->sr & SR_BP)) {
                if (f->mem)
                    memset(f->mem, 0xFF, M25P80_SIZE);
                f->erases++;
            }
            start_cycle(f, M25P80_BE_NS);
        }
        break;
    case CMD_DP:
        if (f->nbytes == 1) {
            f->deep = 1;
            f->deep_at = now_ns(f) + M25P80_DP_NS;
        }
        break;
    case CMD_RES:
        if (f->deep) { /* instructions are accepted again tRES1 after S goes high */
            f->deep = 0;
            f->wake_at = now_ns(f) + M25P80_RES_NS;
        }
        break;
    default:
        break;
    }
}

static uint8_t spi_exchange(mote_t *m, void *ctx, uint8_t mosi)
{
    (void)m;
    m25p80_t *f = ctx;
    if (!f->selected || f->held)
        return 0x00; /* Q is high-impedance */
    uint32_t i = f->nbytes++;
    if (i == 0) {
        f->cmd = mosi;
        if (in_deep(f))
            f->cmd = mosi == CMD_RES ? mosi : -2; /* deep power-down: only RES */
        else if (now_ns(f) < f->wake_at || (busy(f) && mosi != CMD_RDSR))
            f->cmd = -2; /* waking up (tRES1) or a cycle in progress: rejected */
        f->addr = 0;
        f->page_n = 0;
        return 0x00;
    }
    switch (f->cmd) {
    case CMD_RDSR:
        return m25p80_status(f);
    case CMD_RDID:
        return i <= 3 ? rdid[i - 1] : 0x00;
    case CMD_RES:
        return i >= 4 ? 0x13 : 0x00;
    case CMD_WRSR:
        if (i == 1)
            f->wrsr_value = mosi;
        return 0x00;
    case CMD_READ:
    case CMD_FAST_READ:
    case CMD_PP:
    case CMD_SE:
        if (i <= 3) {
            f->addr = ((f->addr << 8) | mosi) & (M25P80_SIZE - 1);
            return 0x00;
        }
        if (f->cmd == CMD_PP) {
            f->page[(f->addr + (uint32_t)f->page_n) & 0xFFu] = mosi;
            f->page_n++;
            return 0x00;
        }
        if (f->cmd == CMD_FAST_READ && i == 4)
            return 0x00; /* dummy byte */
        if (f->cmd == CMD_SE)
            return 0x00;
        {
            uint8_t v = mem_at(f, f->addr);
            f->addr = (f->addr + 1) & (M25P80_SIZE - 1);
            return v;
        }
    default:
        return 0x00;
    }
}

static void pins(mote_t *m, void *ctx, int port, uint8_t out, uint8_t dir, uint8_t changed)
{
    (void)m;
    (void)changed;
    m25p80_t *f = ctx;
    if (port != PIN_PORT)
        return;
    /* an undriven select/hold pin counts as high */
    int selected = (dir & PIN_S) && !(out & PIN_S);
    f->held = (dir & PIN_HOLD) && !(out & PIN_HOLD);
    if (selected == f->selected)
        return;
    f->selected = selected;
    if (selected) {
        f->cmd = -1;
        f->nbytes = 0;
    } else if (f->cmd >= 0) {
        execute(f);
    }
}

m25p80_t *m25p80_attach(mote_t *m)
{
    m25p80_t *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    if (port_add_output_listener(m, pins, f) != 0) {
        free(f);
        return NULL;
    }
    f->m = m;
    f->cmd = -1;
    spi_attach(m, 0, spi_exchange, f);
    pins(m, f, PIN_PORT, port_get_out(m, PIN_PORT) & port_get_dir(m, PIN_PORT), port_get_dir(m, PIN_PORT), 0xFF);
    return f;
}

void m25p80_free(m25p80_t *f)
{
    if (!f)
        return;
    free(f->mem);
    free(f);
}

void m25p80_read(const m25p80_t *f, uint32_t addr, uint8_t *out, size_t len)
{
    for (size_t i = 0; i < len; i++)
        out[i] = mem_at(f, (uint32_t)(addr + i));
}

void m25p80_write(m25p80_t *f, uint32_t addr, const uint8_t *data, size_t len)
{
    uint8_t *mem = mem_rw(f);
    for (size_t i = 0; mem && i < len; i++)
        mem[(addr + i) & (M25P80_SIZE - 1)] = data[i];
}

uint64_t m25p80_programs(const m25p80_t *f) { return f->programs; }
uint64_t m25p80_erases(const m25p80_t *f) { return f->erases; }

#endif /* MOTE_NO_PERIPH */
