/* periph_flash.c — flash memory controller (see periph_flash.h). */
#include <stdlib.h>
#include <string.h>
#include "periph.h"

/* FCTL1 */
#define ERASE 0x02u
#define MERAS 0x04u
#define WRT 0x40u
#define BLKWRT 0x80u
/* FCTL3 */
#define BUSY 0x01u
#define KEYV 0x02u
#define ACCVIFG 0x04u
#define WAIT 0x08u
#define LOCK 0x10u
#define EMEX 0x20u

/* timing generator cycles per operation (MSP430x1xx family guide) */
#define T_WORD 35u
#define T_BLOCK_FIRST 30u
#define T_BLOCK_NEXT 21u
#define T_SEG_ERASE 4819u
#define T_MASS_ERASE 5297u

typedef struct {
    uint8_t fctl1, fctl2, fctl3;
    int block_started;
    uint64_t ops;
    mote_event_t ev;
} flash_t;

static flash_t *st(mote_t *m) { return (flash_t *)m->periph[PERIPH_SLOT_FLASH]; }

static void accv(mote_t *m, flash_t *f)
{
    f->fctl3 |= ACCVIFG;
    sfr_set_accv_pending(m, 1);
}

static int ftg_src(flash_t *f)
{
    switch (f->fctl2 >> 6) {
    case 0: return CLK_SRC_ACLK;
    case 1: return CLK_SRC_MCLK;
    default: return CLK_SRC_SMCLK;
    }
}

static void finish(mote_t *m, flash_t *f)
{
    (void)m;
    f->fctl3 &= (uint8_t)~BUSY;
    f->fctl3 |= WAIT;
    f->fctl1 &= (uint8_t)~(ERASE | MERAS); /* erase bits reset when the erase completes */
    f->ops++;
}

static void ev_fire(mote_t *m, mote_event_t *ev)
{
    finish(m, ev->ctx);
}

/* Run an operation of n timing-generator cycles: the CPU is held when it executes from flash. */
static void run_op(mote_t *m, flash_t *f, uint32_t n)
{
    int src = ftg_src(f);
    uint64_t div = (f->fctl2 & 0x3Fu) + 1u;
    uint64_t end = clk_cycle_of_tick(m, src, clk_ticks(m, src) + n * div);
    if (end == UINT64_MAX) end = m->now; /* stopped clock: complete at once rather than hang */
    uint16_t pc = m->r[0];
    int from_flash = pc >= MOTE_FLASH_START || (pc >= MOTE_INFO_START && pc < MOTE_INFO_END);
    f->fctl3 |= BUSY;
    f->fctl3 &= (uint8_t)~WAIT;
    if (from_flash || end <= m->now) {
        if (end > m->now) m->now = end;
        finish(m, f);
    } else {
        mote_event_schedule(m, &f->ev, end);
    }
}

static void erase_range(mote_t *m, uint32_t start, uint32_t end)
{
    memset(&m->mem[start], 0xFF, end - start);
    mote_xlat_written(m, start, end);
}

void flash_cpu_write(mote_t *m, void *ctx, uint16_t addr, uint16_t value, int is_byte)
{
    flash_t *f = ctx ? ctx : st(m);
    if ((f->fctl3 & (BUSY | LOCK)) || !(f->fctl1 & (ERASE | MERAS | WRT))) {
        accv(m, f);
        return;
    }
    if (f->fctl1 & (ERASE | MERAS)) {
        if (f->fctl1 & MERAS) {
            erase_range(m, MOTE_FLASH_START, MOTE_MEM_SIZE);
            if (f->fctl1 & ERASE) erase_range(m, MOTE_INFO_START, MOTE_INFO_END);
            run_op(m, f, T_MASS_ERASE);
        } else if (addr >= MOTE_FLASH_START) {
            uint32_t seg = addr & ~0x1FFu;
            erase_range(m, seg, seg + 512);
            run_op(m, f, T_SEG_ERASE);
        } else {
            uint32_t seg = addr & ~0x7Fu;
            erase_range(m, seg, seg + 128);
            run_op(m, f, T_SEG_ERASE);
        }
        return;
    }
    /* program: bits can only go from 1 to 0 */
    if (is_byte) {
        m->mem[addr] &= (uint8_t)value;
    } else {
        uint16_t a = addr & ~1u;
        m->mem[a] &= (uint8_t)value;
        m->mem[a + 1] &= (uint8_t)(value >> 8);
    }
    mote_xlat_written(m, addr & ~1u, (addr & ~1u) + 2u);
    uint32_t n = T_WORD;
    if (f->fctl1 & BLKWRT) {
        n = f->block_started ? T_BLOCK_NEXT : T_BLOCK_FIRST + T_BLOCK_NEXT;
        f->block_started = 1;
    }
    run_op(m, f, n);
}

int flash_busy(mote_t *m) { return (st(m)->fctl3 & BUSY) != 0; }
uint64_t flash_ops_done(mote_t *m) { return st(m)->ops; }

static uint16_t io_read(mote_t *m, void *ctx, uint16_t addr, int is_byte)
{
    (void)m;
    flash_t *f = ctx;
    uint16_t a = addr & ~1u;
    uint8_t lo = a == 0x128 ? f->fctl1 : a == 0x12A ? f->fctl2 : f->fctl3;
    if (is_byte) return (addr & 1) ? 0x96 : lo;
    return (uint16_t)(0x9600 | lo);
}

static void io_write(mote_t *m, void *ctx, uint16_t addr, uint16_t value, int is_byte)
{
    flash_t *f = ctx;
    uint16_t a = addr & ~1u;
    if (is_byte || (value >> 8) != 0xA5) {
        f->fctl3 |= KEYV; /* key violation: PUC */
        mote_puc_cause(m, MOTE_RESET_FLASH_KEY);
        return;
    }
    uint8_t v = (uint8_t)value;
    if (a == 0x128) {
        if (f->fctl3 & BUSY) {
            accv(m, f);
            return;
        }
        if (!(v & BLKWRT) && (f->fctl1 & BLKWRT)) {
            f->block_started = 0;
            if (!(f->fctl3 & BUSY)) f->fctl3 &= (uint8_t)~WAIT;
        }
        f->fctl1 = v & (ERASE | MERAS | WRT | BLKWRT);
    } else if (a == 0x12A) {
        if (f->fctl3 & BUSY) {
            accv(m, f);
            return;
        }
        f->fctl2 = v;
    } else {
        if (v & EMEX) {
            /* emergency exit: stop the running operation */
            mote_event_cancel(m, &f->ev);
            f->fctl3 &= (uint8_t)~BUSY;
            f->fctl1 &= (uint8_t)~(ERASE | MERAS);
        }
        uint8_t keep = f->fctl3 & (BUSY | WAIT);
        /* KEYV and ACCVIFG can be cleared (or set) by software; LOCK is writable */
        f->fctl3 = (uint8_t)(keep | (v & (KEYV | ACCVIFG | LOCK)));
        sfr_set_accv_pending(m, (f->fctl3 & ACCVIFG) != 0);
    }
}

void flash_attach(mote_t *m)
{
    flash_t *f = calloc(1, sizeof *f);
    m->periph[PERIPH_SLOT_FLASH] = f;
    mote_event_init(&f->ev, "flash", ev_fire, f);
    mote_map_io(m, 0x128, 0x12E, io_read, io_write, f);
    mote_set_flash_writer(m, flash_cpu_write, f);
}

void flash_reset(mote_t *m, int por)
{
    flash_t *f = st(m);
    uint8_t keyv = por ? 0 : (f->fctl3 & KEYV); /* KEYV survives the PUC it caused */
    mote_event_cancel(m, &f->ev);
    f->fctl1 = 0x00;
    f->fctl2 = 0x42;
    f->fctl3 = (uint8_t)(0x18 | keyv);
    f->block_started = 0;
    if (por) f->ops = 0;
    sfr_set_accv_pending(m, 0);
}

void flash_detach(mote_t *m)
{
    free(m->periph[PERIPH_SLOT_FLASH]);
    m->periph[PERIPH_SLOT_FLASH] = NULL;
}
