/*
 * mspabi_shift.c - shifts by a variable count, one bit per step (the MSP430 shifts one bit per
 * instruction anyway). Counts at or beyond the width give 0 or the sign fill.
 */
#include "mspabi.h"

uint16_t __mspabi_slli(uint16_t x, int16_t n)
{
    while (n-- > 0)
        x <<= 1;
    return x;
}

uint16_t __mspabi_srli(uint16_t x, int16_t n)
{
    while (n-- > 0)
        x >>= 1;
    return x;
}

int16_t __mspabi_srai(int16_t x, int16_t n)
{
    uint16_t sign = (uint16_t)x & 0x8000u, u = (uint16_t)x;
    while (n-- > 0)
        u = (uint16_t)((u >> 1) | sign);
    return (int16_t)u;
}

uint32_t __mspabi_slll(uint32_t x, int16_t n)
{
    while (n-- > 0)
        x <<= 1;
    return x;
}

uint32_t __mspabi_srll(uint32_t x, int16_t n)
{
    while (n-- > 0)
        x >>= 1;
    return x;
}

int32_t __mspabi_sral(int32_t x, int16_t n)
{
    uint32_t sign = (uint32_t)x & 0x80000000u, u = (uint32_t)x;
    while (n-- > 0)
        u = (u >> 1) | sign;
    return (int32_t)u;
}

uint64_t __mspabi_sllll(uint64_t x, int16_t n)
{
    while (n-- > 0)
        x <<= 1;
    return x;
}

uint64_t __mspabi_srlll(uint64_t x, int16_t n)
{
    while (n-- > 0)
        x >>= 1;
    return x;
}

int64_t __mspabi_srall(int64_t x, int16_t n)
{
    uint64_t sign = (uint64_t)x & 0x8000000000000000u, u = (uint64_t)x;
    while (n-- > 0)
        u = (u >> 1) | sign;
    return (int64_t)u;
}
