/*
 * kat_mspabi.c - the MSPABI run-time helpers (firmware/sys) on operands chosen by the host:
 *
 *   'X'  name_len name (a[8] b[8])...  -> result[8]... (big-endian, zero-extended bit patterns)
 *        span: all the calls of the request
 *
 * `name` is the helper without its prefix ("mpyll_hw", "divlli", "sral", ...). Narrow operands
 * are taken from the low bits of a and b; signed ones reinterpret those bits. The 64-bit
 * divisions are written as `/` and `%` so the compiler calls them with LLVM's special convention
 * (dividend R8:R11, divisor R12:R15) through the assembly shims, as any firmware does.
 */
#include <string.h>

#include "kat.h"
#include "mspabi.h"

typedef uint64_t (*op_fn)(uint64_t a, uint64_t b);

#define S16(x) ((int16_t)(uint16_t)(x))
#define S32(x) ((int32_t)(uint32_t)(x))
#define S64(x) ((int64_t)(x))

static uint64_t mpyi(uint64_t a, uint64_t b) { return (uint16_t)__mspabi_mpyi(S16(a), S16(b)); }
static uint64_t mpyl(uint64_t a, uint64_t b) { return (uint32_t)__mspabi_mpyl(S32(a), S32(b)); }
static uint64_t mpyll(uint64_t a, uint64_t b) { return (uint64_t)__mspabi_mpyll(S64(a), S64(b)); }
static uint64_t mpysl(uint64_t a, uint64_t b) { return (uint32_t)__mspabi_mpysl(S16(a), S16(b)); }
static uint64_t mpyul(uint64_t a, uint64_t b) { return __mspabi_mpyul((uint16_t)a, (uint16_t)b); }
static uint64_t mpyi_hw(uint64_t a, uint64_t b) { return (uint16_t)__mspabi_mpyi_hw(S16(a), S16(b)); }
static uint64_t mpyl_hw(uint64_t a, uint64_t b) { return (uint32_t)__mspabi_mpyl_hw(S32(a), S32(b)); }
static uint64_t mpyll_hw(uint64_t a, uint64_t b) { return (uint64_t)__mspabi_mpyll_hw(S64(a), S64(b)); }
static uint64_t mpysl_hw(uint64_t a, uint64_t b) { return (uint32_t)__mspabi_mpysl_hw(S16(a), S16(b)); }
static uint64_t mpyul_hw(uint64_t a, uint64_t b) { return __mspabi_mpyul_hw((uint16_t)a, (uint16_t)b); }
static uint64_t divu(uint64_t a, uint64_t b) { return __mspabi_divu((uint16_t)a, (uint16_t)b); }
static uint64_t remu(uint64_t a, uint64_t b) { return __mspabi_remu((uint16_t)a, (uint16_t)b); }
static uint64_t divi(uint64_t a, uint64_t b) { return (uint16_t)__mspabi_divi(S16(a), S16(b)); }
static uint64_t remi(uint64_t a, uint64_t b) { return (uint16_t)__mspabi_remi(S16(a), S16(b)); }
static uint64_t divul(uint64_t a, uint64_t b) { return __mspabi_divul((uint32_t)a, (uint32_t)b); }
static uint64_t remul(uint64_t a, uint64_t b) { return __mspabi_remul((uint32_t)a, (uint32_t)b); }
static uint64_t divli(uint64_t a, uint64_t b) { return (uint32_t)__mspabi_divli(S32(a), S32(b)); }
static uint64_t remli(uint64_t a, uint64_t b) { return (uint32_t)__mspabi_remli(S32(a), S32(b)); }

/* volatile operands: the division must happen at run time, through the shims */
static uint64_t divull(uint64_t a, uint64_t b)
{
    volatile uint64_t x = a, y = b;
    return x / y;
}
static uint64_t remull(uint64_t a, uint64_t b)
{
    volatile uint64_t x = a, y = b;
    return x % y;
}
static uint64_t divlli(uint64_t a, uint64_t b)
{
    volatile int64_t x = S64(a), y = S64(b);
    return (uint64_t)(x / y);
}
static uint64_t remlli(uint64_t a, uint64_t b)
{
    volatile int64_t x = S64(a), y = S64(b);
    return (uint64_t)(x % y);
}

static uint64_t slli(uint64_t a, uint64_t n) { return __mspabi_slli((uint16_t)a, (int16_t)n); }
static uint64_t srli(uint64_t a, uint64_t n) { return __mspabi_srli((uint16_t)a, (int16_t)n); }
static uint64_t srai(uint64_t a, uint64_t n) { return (uint16_t)__mspabi_srai(S16(a), (int16_t)n); }
static uint64_t slll(uint64_t a, uint64_t n) { return __mspabi_slll((uint32_t)a, (int16_t)n); }
static uint64_t srll(uint64_t a, uint64_t n) { return __mspabi_srll((uint32_t)a, (int16_t)n); }
static uint64_t sral(uint64_t a, uint64_t n) { return (uint32_t)__mspabi_sral(S32(a), (int16_t)n); }
static uint64_t sllll(uint64_t a, uint64_t n) { return __mspabi_sllll(a, (int16_t)n); }
static uint64_t srlll(uint64_t a, uint64_t n) { return __mspabi_srlll(a, (int16_t)n); }
static uint64_t srall(uint64_t a, uint64_t n) { return (uint64_t)__mspabi_srall(S64(a), (int16_t)n); }

struct op {
    const char *name;
    uint8_t rwidth; /* result bits kept */
    op_fn fn;
};

static const struct op ops[] = {
    {"mpyi", 16, mpyi},   {"mpyl", 32, mpyl},   {"mpyll", 64, mpyll},   {"mpysl", 32, mpysl},
    {"mpyul", 32, mpyul}, {"mpyi_hw", 16, mpyi_hw}, {"mpyl_hw", 32, mpyl_hw},
    {"mpyll_hw", 64, mpyll_hw}, {"mpysl_hw", 32, mpysl_hw}, {"mpyul_hw", 32, mpyul_hw},
    {"divu", 16, divu},   {"remu", 16, remu},   {"divi", 16, divi},     {"remi", 16, remi},
    {"divul", 32, divul}, {"remul", 32, remul}, {"divli", 32, divli},   {"remli", 32, remli},
    {"divull", 64, divull}, {"remull", 64, remull}, {"divlli", 64, divlli}, {"remlli", 64, remlli},
    {"slli", 16, slli},   {"srli", 16, srli},   {"srai", 16, srai},     {"slll", 32, slll},
    {"srll", 32, srll},   {"sral", 32, sral},   {"sllll", 64, sllll},   {"srlll", 64, srlll},
    {"srall", 64, srall},
};

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
    const struct op *op = 0;
    if (!kat_take_u8(&r, &name_len) || !kat_take(&r, &name, name_len) || r.left % 16u) {
        kat_reply_err(KAT_ERR_FORMAT);
        return;
    }
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (strlen(ops[i].name) == name_len && memcmp(ops[i].name, name, name_len) == 0)
            op = &ops[i];
    if (!op) {
        kat_reply_err(KAT_ERR_PARAM);
        return;
    }
    uint16_t n = r.left / 16u;
    uint64_t mask = op->rwidth == 64 ? ~(uint64_t)0 : ((uint64_t)1 << op->rwidth) - 1u;
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
