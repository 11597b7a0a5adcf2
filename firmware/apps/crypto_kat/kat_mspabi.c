/*
 * kat_mspabi.c - the MSPABI run-time helpers (firmware/sys) on operands chosen by the host:
 *
 *   'X'  name_len name (a[8] b[8])...  -> result[8]... (big-endian, zero-extended bit patterns)
 *        span: all the calls of the request
 *
 * `name` is the helper without its prefix ("mpyll_hw", "divlli", "sral", ...). The helpers are
 * called through the mspabi_ops table (firmware/mspabi_ops/mspabi_ops.h: narrow operands from the
 * low bits of a and b, signed ones reinterpret those bits, the 64-bit divisions through the
 * special-convention shims as any firmware reaches them).
 */
#include "kat.h"
#include "mspabi_ops.h"

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static void cmd_mspabi(const uint8_t *in, uint16_t len)
{
    static uint8_t results[KAT_MAX_PAYLOAD / 2];
    struct kat_reader r = {in, len};
    const uint8_t *name;
    uint8_t name_len;
    if (!kat_take_u8(&r, &name_len) || !kat_take(&r, &name, name_len) || r.left % 16u) {
        kat_reply_err(KAT_ERR_FORMAT);
        return;
    }
    const struct mspabi_op *op = mspabi_op_find((const char *)name, name_len);
    if (!op) {
        kat_reply_err(KAT_ERR_PARAM);
        return;
    }
    uint16_t n = r.left / 16u;
    uint64_t mask = mspabi_op_mask(op->rwidth);
    kat_span_begin();
    for (uint16_t i = 0; i < n; i++)
        put64(results + 8u * i, op->fn(get64(r.p + 16u * i), get64(r.p + 16u * i + 8u)) & mask);
    kat_span_end();
    kat_reply_ok(results, 8u * n);
}

const struct kat_command kat_mspabi_commands[] = {
    {'X', cmd_mspabi},
    {0, 0},
};
