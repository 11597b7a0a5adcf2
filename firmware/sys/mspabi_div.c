/*
 * mspabi_div.c - division helpers: restoring shift-subtract division on unsigned magnitudes
 * (assembly cores in mspabi_divcore.S), signs applied afterwards (C semantics: truncate
 * toward zero). Division by zero gives an all-ones quotient and remainder = dividend
 * (see mspabi.h). Only constant shifts are used, so nothing here calls another helper.
 */
#include "mspabi.h"

#ifdef __MSP430__
/* mspabi_divcore.S; the divisor must not be 0 */
uint16_t mspabi_udivmod16(uint16_t n, uint16_t d, uint16_t *rem);
uint32_t mspabi_udivmod32(uint32_t n, uint32_t d, uint32_t *rem);
uint64_t mspabi_udivmod64(uint64_t n, uint64_t d, uint64_t *rem);
#else
/* The same restoring division in C: the reference the host tests run (mspabi_divcore.S is
 * exercised by the hello self-test on the emulated CPU). The dividend doubles as quotient. */
#define DIVCORE(name, type, bits)                                                                  \
    static type name(type n, type d, type *rem)                                                    \
    {                                                                                              \
        type r = 0;                                                                                \
        for (int i = 0; i < bits; i++) {                                                           \
            r = (type)((r << 1) | (n >> (bits - 1)));                                              \
            n = (type)(n << 1);                                                                    \
            if (r >= d) {                                                                          \
                r = (type)(r - d);                                                                 \
                n |= 1u;                                                                           \
            }                                                                                      \
        }                                                                                          \
        *rem = r;                                                                                  \
        return n;                                                                                  \
    }
DIVCORE(mspabi_udivmod16, uint16_t, 16)
DIVCORE(mspabi_udivmod32, uint32_t, 32)
DIVCORE(mspabi_udivmod64, uint64_t, 64)
#endif

/* Division by zero and small operands are settled here; the cores see 0 < d <= n. */
static uint16_t udivmod16(uint16_t n, uint16_t d, uint16_t *rem)
{
    if (d == 0 || d > n) {
        *rem = n;
        return d == 0 ? 0xFFFFu : 0;
    }
    return mspabi_udivmod16(n, d, rem);
}

static uint32_t udivmod32(uint32_t n, uint32_t d, uint32_t *rem)
{
    if (d == 0 || d > n) {
        *rem = n;
        return d == 0 ? 0xFFFFFFFFu : 0;
    }
    if ((n >> 16) == 0) { /* both fit in 16 bits */
        uint16_t r16;
        uint16_t q = mspabi_udivmod16((uint16_t)n, (uint16_t)d, &r16);
        *rem = r16;
        return q;
    }
    return mspabi_udivmod32(n, d, rem);
}

static uint64_t udivmod64(uint64_t n, uint64_t d, uint64_t *rem)
{
    if (d == 0 || d > n) {
        *rem = n;
        return d == 0 ? ~(uint64_t)0 : 0;
    }
    if ((n >> 32) == 0) { /* both fit in 32 bits */
        uint32_t r32;
        uint32_t q = udivmod32((uint32_t)n, (uint32_t)d, &r32);
        *rem = r32;
        return q;
    }
    return mspabi_udivmod64(n, d, rem);
}

uint16_t __mspabi_divu(uint16_t a, uint16_t b)
{
    uint16_t r;
    return udivmod16(a, b, &r);
}

uint16_t __mspabi_remu(uint16_t a, uint16_t b)
{
    uint16_t r;
    udivmod16(a, b, &r);
    return r;
}

int16_t __mspabi_divi(int16_t a, int16_t b)
{
    uint16_t r;
    uint16_t ua = a < 0 ? (uint16_t)(0u - (uint16_t)a) : (uint16_t)a;
    uint16_t ub = b < 0 ? (uint16_t)(0u - (uint16_t)b) : (uint16_t)b;
    uint16_t q = udivmod16(ua, ub, &r);
    return (int16_t)(((a < 0) != (b < 0)) ? (uint16_t)(0u - q) : q);
}

int16_t __mspabi_remi(int16_t a, int16_t b)
{
    uint16_t r;
    uint16_t ua = a < 0 ? (uint16_t)(0u - (uint16_t)a) : (uint16_t)a;
    uint16_t ub = b < 0 ? (uint16_t)(0u - (uint16_t)b) : (uint16_t)b;
    udivmod16(ua, ub, &r);
    return (int16_t)(a < 0 ? (uint16_t)(0u - r) : r);
}

uint32_t __mspabi_divul(uint32_t a, uint32_t b)
{
    uint32_t r;
    return udivmod32(a, b, &r);
}

uint32_t __mspabi_remul(uint32_t a, uint32_t b)
{
    uint32_t r;
    udivmod32(a, b, &r);
    return r;
}

int32_t __mspabi_divli(int32_t a, int32_t b)
{
    uint32_t r;
    uint32_t ua = a < 0 ? 0u - (uint32_t)a : (uint32_t)a;
    uint32_t ub = b < 0 ? 0u - (uint32_t)b : (uint32_t)b;
    uint32_t q = udivmod32(ua, ub, &r);
    return (int32_t)(((a < 0) != (b < 0)) ? 0u - q : q);
}

int32_t __mspabi_remli(int32_t a, int32_t b)
{
    uint32_t r;
    uint32_t ua = a < 0 ? 0u - (uint32_t)a : (uint32_t)a;
    uint32_t ub = b < 0 ? 0u - (uint32_t)b : (uint32_t)b;
    udivmod32(ua, ub, &r);
    return (int32_t)(a < 0 ? 0u - r : r);
}

uint64_t mspabi_divull_c(uint64_t a, uint64_t b)
{
    uint64_t r;
    return udivmod64(a, b, &r);
}

uint64_t mspabi_remull_c(uint64_t a, uint64_t b)
{
    uint64_t r;
    udivmod64(a, b, &r);
    return r;
}

int64_t mspabi_divlli_c(int64_t a, int64_t b)
{
    uint64_t r;
    uint64_t ua = a < 0 ? 0u - (uint64_t)a : (uint64_t)a;
    uint64_t ub = b < 0 ? 0u - (uint64_t)b : (uint64_t)b;
    uint64_t q = udivmod64(ua, ub, &r);
    return (int64_t)(((a < 0) != (b < 0)) ? 0u - q : q);
}

int64_t mspabi_remlli_c(int64_t a, int64_t b)
{
    uint64_t r;
    uint64_t ua = a < 0 ? 0u - (uint64_t)a : (uint64_t)a;
    uint64_t ub = b < 0 ? 0u - (uint64_t)b : (uint64_t)b;
    udivmod64(ua, ub, &r);
    return (int64_t)(a < 0 ? 0u - r : r);
}
