/* periph_mpy.c — the MSP430F1611 16x16 hardware multiplier (see periph_mpy.h). */
#include <stdlib.h>
#include "periph.h"

enum { OP_MPY = 0, OP_MPYS, OP_MAC, OP_MACS };

typedef struct {
    uint16_t op1, op2, reslo, reshi, sumext;
    int op;
} mpy_t;

static void compute(mpy_t *s)
{
    uint32_t res = ((uint32_t)s->reshi << 16) | s->reslo;
    switch (s->op) {
    case OP_MPY:
        res = (uint32_t)s->op1 * s->op2;
        s->sumext = 0;
        break;
    case OP_MPYS: {
        int32_t p = (int32_t)(int16_t)s->op1 * (int16_t)s->op2;
        res = (uint32_t)p;
        s->sumext = p < 0 ? 0xFFFF : 0;
        break;
    }
    case OP_MAC: {
        uint64_t sum = (uint64_t)res + (uint64_t)s->op1 * s->op2;
        res = (uint32_t)sum;
        s->sumext = (uint16_t)(sum >> 32); /* carry of the 32-bit accumulation */
        break;
    }
    default: { /* MACS: 32-bit signed accumulate, no saturation */
        int64_t sum = (int64_t)(int32_t)res + (int32_t)(int16_t)s->op1 * (int16_t)s->op2;
        res = (uint32_t)sum;
        /* SUMEXT holds the correct sign of the sum (user's guide, "MACS Underflow and Overflow"):
         * FFFFh after an overflow (negative + negative wrapped to positive), 0000h after an
         * underflow (positive + positive wrapped to negative) */
        s->sumext = sum < 0 ? 0xFFFF : 0;
        break;
    }
    }
    s->reslo = (uint16_t)res;
    s->reshi = (uint16_t)(res >> 16);
}

static uint16_t reg(mpy_t *s, uint16_t a)
{
    switch (a) {
    case 0x130: case 0x132: case 0x134: case 0x136: return s->op1;
    case 0x138: return s->op2;
    case 0x13A: return s->reslo;
    case 0x13C: return s->reshi;
    default: return s->sumext;
    }
}

static uint16_t io_read(mote_t *m, void *ctx, uint16_t addr, int is_byte)
{
    (void)m;
    uint16_t v = reg(ctx, addr & ~1u);
    if (is_byte) return (addr & 1) ? (uint16_t)(v >> 8) : (uint16_t)(v & 0xFF);
    return v;
}

static void io_write(mote_t *m, void *ctx, uint16_t addr, uint16_t value, int is_byte)
{
    mpy_t *s = ctx;
    uint16_t a = addr & ~1u;
    /* a byte write loads the operand with a zero high byte (8x8 via byte instructions) */
    if (is_byte) value = (addr & 1) ? 0 : (uint16_t)(value & 0xFF);
    switch (a) {
    case 0x130: case 0x132: case 0x134: case 0x136:
        s->op1 = value;
        s->op = (a - 0x130) / 2;
        break;
    case 0x138:
        s->op2 = value;
        compute(s);
        /* the result is there at once: the multiplier is ready for new operands (DMA trigger 11) */
        if (dma_watch(m) & (1u << DMA_TRIG_MPY)) dma_trigger(m, DMA_TRIG_MPY);
        break;
    case 0x13A: s->reslo = value; break;
    case 0x13C: s->reshi = value; break;
    default: break; /* SUMEXT is read-only */
    }
}

void mpy_attach(mote_t *m)
{
    mpy_t *s = calloc(1, sizeof *s);
    m->periph[PERIPH_SLOT_MPY] = s;
    mote_map_io(m, 0x130, 0x140, io_read, io_write, s);
}

void mpy_reset(mote_t *m, int por)
{
    /* the multiplier registers are not affected by PUC (undefined at power-on: zero here) */
    if (por) {
        mpy_t *s = m->periph[PERIPH_SLOT_MPY];
        *s = (mpy_t){0};
    }
}

void mpy_detach(mote_t *m)
{
    free(m->periph[PERIPH_SLOT_MPY]);
    m->periph[PERIPH_SLOT_MPY] = NULL;
}
