/*
 * hwmult.h - access to the MSP430F1611 16x16 hardware multiplier (family user's guide, ch. 7).
 *
 * Writing OP1 through MPY (unsigned), MPYS (signed), MAC (unsigned accumulate) or MACS (signed
 * accumulate) selects the operation; writing OP2 starts it. The 32-bit result is RESHI:RESLO;
 * SUMEXT holds the sign extension (MPYS/MACS) or the accumulation carry (MAC).
 * Host builds (tests) define ESSE_HWMULT_MODEL and supply a C model with the same macros.
 */
#ifndef ESSE_HWMULT_H
#define ESSE_HWMULT_H

#include <stdint.h>

#ifdef ESSE_HWMULT_MODEL
#include ESSE_HWMULT_MODEL
#else
#define HWMULT_REG(addr) (*(volatile uint16_t *)(addr))
#define HW_MPY HWMULT_REG(0x0130u)
#define HW_MPYS HWMULT_REG(0x0132u)
#define HW_MAC HWMULT_REG(0x0134u)
#define HW_MACS HWMULT_REG(0x0136u)
#define HW_OP2 HWMULT_REG(0x0138u)
#define HW_RESLO HWMULT_REG(0x013Au)
#define HW_RESHI HWMULT_REG(0x013Cu)
#define HW_SUMEXT HWMULT_REG(0x013Eu)
#endif

#endif /* ESSE_HWMULT_H */
