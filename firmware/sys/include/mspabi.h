/*
 * mspabi.h - the run-time helpers the MSP430 EABI (TI SLAA534) names and clang calls.
 *
 * All follow the C calling convention except the 64-bit divide/remainder entry points
 * (__mspabi_divull, __mspabi_remull, __mspabi_divlli, __mspabi_remlli): LLVM passes the
 * dividend in R8:R11 and the divisor in R12:R15 and expects the result in R12:R15, so they
 * are assembly shims (mspabi_div64.S) around the C functions mspabi_{div,rem}{ull,lli}_c.
 * Do not call those four from C by name; write `a / b` on 64-bit operands instead.
 *
 * Semantics: multiplies wrap (low half of the product); divisions truncate toward zero with
 * the remainder taking the dividend's sign. Division by zero gives quotient all-ones for the
 * unsigned forms (remainder = dividend) and, for the signed forms, -1 for a dividend >= 0 or
 * 1 for a negative one (remainder = dividend). MIN / -1 wraps to MIN. Shift counts at or
 * beyond the width give 0 (logical) or the sign fill (arithmetic).
 */
#ifndef ESSE_MSPABI_H
#define ESSE_MSPABI_H

#include <stdint.h>

/* multiplies: software (shift-and-add) */
int16_t __mspabi_mpyi(int16_t a, int16_t b);
int32_t __mspabi_mpyl(int32_t a, int32_t b);
int64_t __mspabi_mpyll(int64_t a, int64_t b);
int32_t __mspabi_mpysl(int16_t a, int16_t b);
uint32_t __mspabi_mpyul(uint16_t a, uint16_t b);

/* multiplies: the F1611's 16x16 hardware multiplier at 0x130 (interrupts masked inside) */
int16_t __mspabi_mpyi_hw(int16_t a, int16_t b);
int32_t __mspabi_mpyl_hw(int32_t a, int32_t b);
int64_t __mspabi_mpyll_hw(int64_t a, int64_t b);
int32_t __mspabi_mpysl_hw(int16_t a, int16_t b);
uint32_t __mspabi_mpyul_hw(uint16_t a, uint16_t b);

/* 16- and 32-bit division */
uint16_t __mspabi_divu(uint16_t a, uint16_t b);
uint16_t __mspabi_remu(uint16_t a, uint16_t b);
int16_t __mspabi_divi(int16_t a, int16_t b);
int16_t __mspabi_remi(int16_t a, int16_t b);
uint32_t __mspabi_divul(uint32_t a, uint32_t b);
uint32_t __mspabi_remul(uint32_t a, uint32_t b);
int32_t __mspabi_divli(int32_t a, int32_t b);
int32_t __mspabi_remli(int32_t a, int32_t b);

/* 64-bit division: C bodies of the special-convention shims */
uint64_t mspabi_divull_c(uint64_t a, uint64_t b);
uint64_t mspabi_remull_c(uint64_t a, uint64_t b);
int64_t mspabi_divlli_c(int64_t a, int64_t b);
int64_t mspabi_remlli_c(int64_t a, int64_t b);

/* shifts by a variable count */
uint16_t __mspabi_slli(uint16_t x, int16_t n);
uint16_t __mspabi_srli(uint16_t x, int16_t n);
int16_t __mspabi_srai(int16_t x, int16_t n);
uint32_t __mspabi_slll(uint32_t x, int16_t n);
uint32_t __mspabi_srll(uint32_t x, int16_t n);
int32_t __mspabi_sral(int32_t x, int16_t n);
uint64_t __mspabi_sllll(uint64_t x, int16_t n);
uint64_t __mspabi_srlll(uint64_t x, int16_t n);
int64_t __mspabi_srall(int64_t x, int16_t n);

#endif /* ESSE_MSPABI_H */
