/*
 * host_glue.c - host-side pieces for tests/test_mspabi_host.py: the hardware multiplier model
 * behind hwmult_model.h, and an entry point that runs the hello self-test into a buffer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hwmult_model.h"

#define EXPORT __attribute__((visibility("default")))

static struct {
    uint16_t op1, op2, reslo, reshi, sumext;
    enum hwmult_reg_id mode;
    int pending;
} hw;

static void hwmult_complete(void)
{
    if (!hw.pending)
        return;
    hw.pending = 0;
    int signed_op = hw.mode == HWM_MPYS || hw.mode == HWM_MACS;
    uint32_t product = signed_op ? (uint32_t)((int32_t)(int16_t)hw.op1 * (int32_t)(int16_t)hw.op2)
                                 : (uint32_t)hw.op1 * hw.op2;
    uint32_t res = ((uint32_t)hw.reshi << 16) | hw.reslo;
    uint64_t sum = (uint64_t)res + product;
    switch (hw.mode) {
    case HWM_MPY: res = product; hw.sumext = 0; break;
    case HWM_MPYS: res = product; hw.sumext = (product & 0x80000000u) ? 0xFFFFu : 0; break;
    case HWM_MAC: res = (uint32_t)sum; hw.sumext = (uint16_t)(sum >> 32); break;
    default: res = (uint32_t)sum; hw.sumext = (res & 0x80000000u) ? 0xFFFFu : 0; break;
    }
    hw.reslo = (uint16_t)res;
    hw.reshi = (uint16_t)(res >> 16);
}

uint16_t *hwmult_reg(enum hwmult_reg_id id)
{
    hwmult_complete();
    switch (id) {
    case HWM_MPY:
    case HWM_MPYS:
    case HWM_MAC:
    case HWM_MACS: hw.mode = id; return &hw.op1;
    case HWM_OP2: hw.pending = 1; return &hw.op2;
    case HWM_RESLO: return &hw.reslo;
    case HWM_RESHI: return &hw.reshi;
    default: return &hw.sumext;
    }
}

void selftest_run(void);

static char out[1 << 16];
static size_t out_len;

static void sink(char c)
{
    if (out_len + 1 < sizeof out)
        out[out_len++] = c;
}

EXPORT const char *host_selftest(void)
{
    out_len = 0;
    stdio_set_output(sink);
    selftest_run();
    out[out_len] = 0;
    return out;
}

EXPORT int host_snprintf_int(char *buf, size_t size, const char *fmt, long value)
{
    return snprintf(buf, size, fmt, value);
}
