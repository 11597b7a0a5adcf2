/*
 * hwmult_model.h - host model of the MSP430F1611 hardware multiplier for testing the *_hw
 * helpers on the build machine (selected with -DESSE_HWMULT_MODEL="\"hwmult_model.h\"").
 *
 * Each register macro is an lvalue returned by hwmult_reg(); every access first completes a
 * pending operation (one started by the last OP2 write), which matches the silicon for code
 * that touches the registers one at a time. Semantics per the family user's guide:
 * MPY/MPYS: RES = OP1 x OP2 (unsigned/signed), SUMEXT = 0 / sign of RES;
 * MAC/MACS: RES += OP1 x OP2 (32-bit), SUMEXT = carry out / sign of RES.
 */
#ifndef HWMULT_MODEL_H
#define HWMULT_MODEL_H

#include <stdint.h>

enum hwmult_reg_id { HWM_MPY, HWM_MPYS, HWM_MAC, HWM_MACS, HWM_OP2, HWM_RESLO, HWM_RESHI, HWM_SUMEXT };

uint16_t *hwmult_reg(enum hwmult_reg_id id);

#define HW_MPY (*hwmult_reg(HWM_MPY))
#define HW_MPYS (*hwmult_reg(HWM_MPYS))
#define HW_MAC (*hwmult_reg(HWM_MAC))
#define HW_MACS (*hwmult_reg(HWM_MACS))
#define HW_OP2 (*hwmult_reg(HWM_OP2))
#define HW_RESLO (*hwmult_reg(HWM_RESLO))
#define HW_RESHI (*hwmult_reg(HWM_RESHI))
#define HW_SUMEXT (*hwmult_reg(HWM_SUMEXT))

#endif
