/*
 * mspabi_mul.c - multiply helpers: shift-and-add software versions and versions on the
 * F1611 hardware multiplier. Only additions, constant shifts and the multiplier registers
 * are used, so none of them can recurse into another helper.
 */
#include "mspabi.h"

#include "hwmult.h"
#include "irq.h"

/* ---- software ---- */

static uint16_t mul16(uint16_t a, uint16_t b)
{
    uint16_t r = 0;
    while (b != 0) {
        if (b & 1u)
            r += a;
        a <<= 1;
        b >>= 1;
    }
    return r;
}

__attribute__((noinline)) static uint32_t mul32(uint32_t a, uint32_t b)
{
    uint32_t r = 0;
    while (b != 0) {
        if (b & 1u)
            r += a;
        a <<= 1;
        b >>= 1;
    }
    return r;
}

static uint64_t mul64(uint64_t a, uint64_t b)
{
    uint64_t r = 0;
    while (b != 0) {
        if (b & 1u)
            r += a;
        a <<= 1;
        b >>= 1;
    }
    return r;
}

int16_t __mspabi_mpyi(int16_t a, int16_t b)
{
    return (int16_t)mul16((uint16_t)a, (uint16_t)b);
}

int32_t __mspabi_mpyl(int32_t a, int32_t b)
{
    return (int32_t)mul32((uint32_t)a, (uint32_t)b);
}

int64_t __mspabi_mpyll(int64_t a, int64_t b)
{
    return (int64_t)mul64((uint64_t)a, (uint64_t)b);
}

int32_t __mspabi_mpysl(int16_t a, int16_t b)
{
    /* sign-extend both; the low 32 bits of the product are the signed result */
    return (int32_t)mul32((uint32_t)(int32_t)a, (uint32_t)(int32_t)b);
}

uint32_t __mspabi_mpyul(uint16_t a, uint16_t b)
{
    return mul32(a, b);
}

/* ---- hardware multiplier ---- */

int16_t __mspabi_mpyi_hw(int16_t a, int16_t b)
{
    uint16_t sr = irq_save_disable();
    HW_MPY = (uint16_t)a;
    HW_OP2 = (uint16_t)b;
    uint16_t r = HW_RESLO;
    irq_restore(sr);
    return (int16_t)r;
}

int32_t __mspabi_mpysl_hw(int16_t a, int16_t b)
{
    uint16_t sr = irq_save_disable();
    HW_MPYS = (uint16_t)a;
    HW_OP2 = (uint16_t)b;
    uint16_t lo = HW_RESLO;
    uint16_t hi = HW_RESHI;
    irq_restore(sr);
    return (int32_t)(((uint32_t)hi << 16) | lo);
}

uint32_t __mspabi_mpyul_hw(uint16_t a, uint16_t b)
{
    uint16_t sr = irq_save_disable();
    HW_MPY = a;
    HW_OP2 = b;
    uint16_t lo = HW_RESLO;
    uint16_t hi = HW_RESHI;
    irq_restore(sr);
    return ((uint32_t)hi << 16) | lo;
}

int32_t __mspabi_mpyl_hw(int32_t a, int32_t b)
{
    uint16_t al = (uint16_t)a, ah = (uint16_t)((uint32_t)a >> 16);
    uint16_t bl = (uint16_t)b, bh = (uint16_t)((uint32_t)b >> 16);
    uint16_t sr = irq_save_disable();
    HW_MPY = al;
    HW_OP2 = bl;
    uint16_t lo = HW_RESLO;
    HW_RESLO = HW_RESHI; /* carry the high half of al*bl into the next column */
    HW_RESHI = 0;
    HW_MAC = al;
    HW_OP2 = bh;
    HW_MAC = ah;
    HW_OP2 = bl;
    uint16_t hi = HW_RESLO;
    irq_restore(sr);
    return (int32_t)(((uint32_t)hi << 16) | lo);
}

/* One column step of a long multiplication on the multiplier: RES += x * y, counting the
 * carries out of the 32-bit accumulator (they belong two columns up). */
#define MAC_STEP(x, y, carry)                                                                      \
    do {                                                                                           \
        HW_MAC = (x);                                                                              \
        HW_OP2 = (y);                                                                              \
        (carry) += HW_SUMEXT;                                                                      \
    } while (0)

/* Next column: the low word is a result word, the high word and the carries move down. */
#define NEXT_COLUMN(out, carry)                                                                    \
    do {                                                                                           \
        (out) = HW_RESLO;                                                                          \
        HW_RESLO = HW_RESHI;                                                                       \
        HW_RESHI = (carry);                                                                        \
        (carry) = 0;                                                                               \
    } while (0)

/* The unsigned 64-bit product of two 32-bit values; interrupts are off. */
static uint64_t mul32x32_hw(uint32_t a, uint32_t b)
{
    uint16_t a0 = (uint16_t)a, a1 = (uint16_t)(a >> 16), b0 = (uint16_t)b, b1 = (uint16_t)(b >> 16);
    uint16_t r0, r1, r2, r3, carry = 0;
    HW_MPY = a0;
    HW_OP2 = b0;
    NEXT_COLUMN(r0, carry);
    MAC_STEP(a0, b1, carry);
    MAC_STEP(a1, b0, carry);
    NEXT_COLUMN(r1, carry);
    HW_MAC = a1;
    HW_OP2 = b1;
    r2 = HW_RESLO;
    r3 = HW_RESHI;
    return ((uint64_t)r3 << 48) | ((uint64_t)r2 << 32) | ((uint32_t)r1 << 16) | r0;
}

/* The low 64 bits of a 64 x 64 product; interrupts are off. */
static uint64_t mul64x64_hw(uint64_t a, uint64_t b)
{
    uint16_t x0 = (uint16_t)a, x1 = (uint16_t)(a >> 16), x2 = (uint16_t)(a >> 32), x3 = (uint16_t)(a >> 48);
    uint16_t y0 = (uint16_t)b, y1 = (uint16_t)(b >> 16), y2 = (uint16_t)(b >> 32), y3 = (uint16_t)(b >> 48);
    uint16_t r0, r1, r2, r3, carry = 0;
    HW_MPY = x0;
    HW_OP2 = y0;
    NEXT_COLUMN(r0, carry);
    MAC_STEP(x0, y1, carry);
    MAC_STEP(x1, y0, carry);
    NEXT_COLUMN(r1, carry);
    MAC_STEP(x0, y2, carry);
    MAC_STEP(x1, y1, carry);
    MAC_STEP(x2, y0, carry);
    NEXT_COLUMN(r2, carry);
    MAC_STEP(x0, y3, carry); /* last column: only its low word is kept */
    MAC_STEP(x1, y2, carry);
    MAC_STEP(x2, y1, carry);
    MAC_STEP(x3, y0, carry);
    r3 = HW_RESLO;
    return ((uint64_t)r3 << 48) | ((uint64_t)r2 << 32) | ((uint32_t)r1 << 16) | r0;
}

/* Operands that are 32-bit values widened (zero- or sign-extended: the common case, e.g.
 * (uint64_t)x * y) need 4 partial products instead of 10: with a = ah:al and ah in {0, -1},
 * a * b = al * bl + ((ah * bl + bh * al) << 32) modulo 2^64. */
int64_t __mspabi_mpyll_hw(int64_t a, int64_t b)
{
    uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
    uint32_t ah = (uint32_t)(ua >> 32), bh = (uint32_t)(ub >> 32);
    uint32_t al = (uint32_t)ua, bl = (uint32_t)ub;
    uint64_t r;
    uint16_t sr = irq_save_disable();
    if ((ah == 0 || ah == 0xFFFFFFFFu) && (bh == 0 || bh == 0xFFFFFFFFu)) {
        r = mul32x32_hw(al, bl);
        if (ah)
            r -= (uint64_t)bl << 32;
        if (bh)
            r -= (uint64_t)al << 32;
    } else {
        r = mul64x64_hw(ua, ub);
    }
    irq_restore(sr);
    return (int64_t)r;
}
