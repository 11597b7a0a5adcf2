/*
 * mspabi_ops.h - every MSPABI run-time helper (firmware/sys, mspabi.h) behind one signature.
 *
 * Operands and the result are zero-extended bit patterns in a uint64_t: a helper reads the low
 * `width` bits of a and b (signed helpers reinterpret them), and only the low `rwidth` bits of
 * the result are meaningful (the caller masks). For the shifts, b is the shift count.
 * The order and the fields follow harness.build.selftest_oracle.HELPERS (the order is part of
 * hello's self-test output).
 *
 * On the mote the 64-bit divisions are written as `/` and `%` on volatile operands, so the
 * compiler calls them at run time with LLVM's special convention (dividend R8:R11, divisor
 * R12:R15) through the assembly shims, as any firmware does. On the host they call the C
 * bodies (mspabi_*_c), since host division by zero traps.
 */
#ifndef MSPABI_OPS_H
#define MSPABI_OPS_H

#include <stddef.h>
#include <stdint.h>

struct mspabi_op {
    const char *name; /* the helper without its "__mspabi_" prefix: "mpyll_hw", "divlli", ... */
    uint8_t width;    /* operand bits */
    uint8_t rwidth;   /* result bits */
    uint8_t shift;    /* b is a shift count below `width` */
    uint64_t (*fn)(uint64_t a, uint64_t b);
};

/* Number of helpers in the table. */
unsigned mspabi_op_count(void);

/* The k-th helper (oracle order), or NULL when k >= mspabi_op_count(). */
const struct mspabi_op *mspabi_op_at(unsigned k);

/* The helper named by the `len` bytes at `name` (not NUL-terminated), or NULL. */
const struct mspabi_op *mspabi_op_find(const char *name, size_t len);

/* All ones in the low `bits` bits (16, 32 or 64); no variable shift, so no helper call. */
static inline uint64_t mspabi_op_mask(uint8_t bits)
{
    return bits == 16 ? 0xFFFFu : bits == 32 ? 0xFFFFFFFFu : ~(uint64_t)0;
}

#endif /* MSPABI_OPS_H */
