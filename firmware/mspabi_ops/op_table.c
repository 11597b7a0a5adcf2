/*
 * op_table.c - see mspabi_ops.h. (Not named mspabi_*.c: tests/test_build.py checks every
 * mspabi_*.o of sys for self-calls, and this table calls the helpers by design.)
 */
#include <string.h>

#include "mspabi.h"
#include "mspabi_ops.h"

#ifdef __MSP430__
#define DIVULL(a, b) ((a) / (b))
#define REMULL(a, b) ((a) % (b))
#define DIVLLI(a, b) ((a) / (b))
#define REMLLI(a, b) ((a) % (b))
#else
#define DIVULL(a, b) mspabi_divull_c(a, b)
#define REMULL(a, b) mspabi_remull_c(a, b)
#define DIVLLI(a, b) mspabi_divlli_c(a, b)
#define REMLLI(a, b) mspabi_remlli_c(a, b)
#endif

#define I16(x) ((int16_t)(uint16_t)(x))
#define I32(x) ((int32_t)(uint32_t)(x))
#define I64(x) ((int64_t)(x))

static uint64_t op_mpyi(uint64_t a, uint64_t b) { return (uint16_t)__mspabi_mpyi(I16(a), I16(b)); }
static uint64_t op_mpyl(uint64_t a, uint64_t b) { return (uint32_t)__mspabi_mpyl(I32(a), I32(b)); }
static uint64_t op_mpyll(uint64_t a, uint64_t b) { return (uint64_t)__mspabi_mpyll(I64(a), I64(b)); }
static uint64_t op_mpysl(uint64_t a, uint64_t b) { return (uint32_t)__mspabi_mpysl(I16(a), I16(b)); }
static uint64_t op_mpyul(uint64_t a, uint64_t b) { return __mspabi_mpyul((uint16_t)a, (uint16_t)b); }
static uint64_t op_mpyi_hw(uint64_t a, uint64_t b) { return (uint16_t)__mspabi_mpyi_hw(I16(a), I16(b)); }
static uint64_t op_mpyl_hw(uint64_t a, uint64_t b) { return (uint32_t)__mspabi_mpyl_hw(I32(a), I32(b)); }
static uint64_t op_mpyll_hw(uint64_t a, uint64_t b) { return (uint64_t)__mspabi_mpyll_hw(I64(a), I64(b)); }
static uint64_t op_mpysl_hw(uint64_t a, uint64_t b) { return (uint32_t)__mspabi_mpysl_hw(I16(a), I16(b)); }
static uint64_t op_mpyul_hw(uint64_t a, uint64_t b) { return __mspabi_mpyul_hw((uint16_t)a, (uint16_t)b); }
static uint64_t op_divu(uint64_t a, uint64_t b) { return __mspabi_divu((uint16_t)a, (uint16_t)b); }
static uint64_t op_remu(uint64_t a, uint64_t b) { return __mspabi_remu((uint16_t)a, (uint16_t)b); }
static uint64_t op_divi(uint64_t a, uint64_t b) { return (uint16_t)__mspabi_divi(I16(a), I16(b)); }
static uint64_t op_remi(uint64_t a, uint64_t b) { return (uint16_t)__mspabi_remi(I16(a), I16(b)); }
static uint64_t op_divul(uint64_t a, uint64_t b) { return __mspabi_divul((uint32_t)a, (uint32_t)b); }
static uint64_t op_remul(uint64_t a, uint64_t b) { return __mspabi_remul((uint32_t)a, (uint32_t)b); }
static uint64_t op_divli(uint64_t a, uint64_t b) { return (uint32_t)__mspabi_divli(I32(a), I32(b)); }
static uint64_t op_remli(uint64_t a, uint64_t b) { return (uint32_t)__mspabi_remli(I32(a), I32(b)); }

/* volatile operands: the compiler may neither fold nor inline the division */
static uint64_t op_divull(uint64_t a, uint64_t b)
{
    volatile uint64_t x = a, y = b;
    return DIVULL(x, y);
}
static uint64_t op_remull(uint64_t a, uint64_t b)
{
    volatile uint64_t x = a, y = b;
    return REMULL(x, y);
}
static uint64_t op_divlli(uint64_t a, uint64_t b)
{
    volatile int64_t x = I64(a), y = I64(b);
    return (uint64_t)DIVLLI(x, y);
}
static uint64_t op_remlli(uint64_t a, uint64_t b)
{
    volatile int64_t x = I64(a), y = I64(b);
    return (uint64_t)REMLLI(x, y);
}

static uint64_t op_slli(uint64_t a, uint64_t n) { return __mspabi_slli((uint16_t)a, (int16_t)n); }
static uint64_t op_srli(uint64_t a, uint64_t n) { return __mspabi_srli((uint16_t)a, (int16_t)n); }
static uint64_t op_srai(uint64_t a, uint64_t n) { return (uint16_t)__mspabi_srai(I16(a), (int16_t)n); }
static uint64_t op_slll(uint64_t a, uint64_t n) { return __mspabi_slll((uint32_t)a, (int16_t)n); }
static uint64_t op_srll(uint64_t a, uint64_t n) { return __mspabi_srll((uint32_t)a, (int16_t)n); }
static uint64_t op_sral(uint64_t a, uint64_t n) { return (uint32_t)__mspabi_sral(I32(a), (int16_t)n); }
static uint64_t op_sllll(uint64_t a, uint64_t n) { return __mspabi_sllll(a, (int16_t)n); }
static uint64_t op_srlll(uint64_t a, uint64_t n) { return __mspabi_srlll(a, (int16_t)n); }
static uint64_t op_srall(uint64_t a, uint64_t n) { return (uint64_t)__mspabi_srall(I64(a), (int16_t)n); }

/* The order is part of hello's output format (harness.build.selftest_oracle.HELPERS). */
static const struct mspabi_op ops[] = {
    {"mpyi", 16, 16, 0, op_mpyi},          {"mpyl", 32, 32, 0, op_mpyl},
    {"mpyll", 64, 64, 0, op_mpyll},        {"mpysl", 16, 32, 0, op_mpysl},
    {"mpyul", 16, 32, 0, op_mpyul},        {"mpyi_hw", 16, 16, 0, op_mpyi_hw},
    {"mpyl_hw", 32, 32, 0, op_mpyl_hw},    {"mpyll_hw", 64, 64, 0, op_mpyll_hw},
    {"mpysl_hw", 16, 32, 0, op_mpysl_hw},  {"mpyul_hw", 16, 32, 0, op_mpyul_hw},
    {"divu", 16, 16, 0, op_divu},          {"remu", 16, 16, 0, op_remu},
    {"divi", 16, 16, 0, op_divi},          {"remi", 16, 16, 0, op_remi},
    {"divul", 32, 32, 0, op_divul},        {"remul", 32, 32, 0, op_remul},
    {"divli", 32, 32, 0, op_divli},        {"remli", 32, 32, 0, op_remli},
    {"divull", 64, 64, 0, op_divull},      {"remull", 64, 64, 0, op_remull},
    {"divlli", 64, 64, 0, op_divlli},      {"remlli", 64, 64, 0, op_remlli},
    {"slli", 16, 16, 1, op_slli},          {"srli", 16, 16, 1, op_srli},
    {"srai", 16, 16, 1, op_srai},          {"slll", 32, 32, 1, op_slll},
    {"srll", 32, 32, 1, op_srll},          {"sral", 32, 32, 1, op_sral},
    {"sllll", 64, 64, 1, op_sllll},        {"srlll", 64, 64, 1, op_srlll},
    {"srall", 64, 64, 1, op_srall},
};

unsigned mspabi_op_count(void)
{
    return (unsigned)(sizeof ops / sizeof ops[0]);
}

const struct mspabi_op *mspabi_op_at(unsigned k)
{
    return k < mspabi_op_count() ? &ops[k] : NULL;
}

const struct mspabi_op *mspabi_op_find(const char *name, size_t len)
{
    for (unsigned k = 0; k < mspabi_op_count(); k++)
        if (strlen(ops[k].name) == len && memcmp(ops[k].name, name, len) == 0)
            return &ops[k];
    return NULL;
}
