/*
 * selftest.c - see selftest.h. Portable C: the host tests compile it too (against the host
 * build of the helpers) to check the oracle; on the mote the 64-bit divisions go through the
 * compiler's calls to the special-convention shims.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mspabi.h"
#include "selftest.h"

static uint32_t rng = SELFTEST_SEED; /* initialised: gives the app a .data section */

/* xorshift32 (Marsaglia): constant shifts only, so no helper is involved */
static uint32_t rng_next(void)
{
    uint32_t x = rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng = x;
    return x;
}

static uint64_t width_mask(uint8_t width)
{
    return width == 16 ? 0xFFFFu : width == 32 ? 0xFFFFFFFFu : ~(uint64_t)0;
}

/* An operand of `width` bits with a spread of magnitudes and the edge values. */
static uint64_t operand(uint8_t width)
{
    uint64_t lo = rng_next();
    uint64_t hi = rng_next();
    uint32_t cls = rng_next();
    uint64_t v = (hi << 32) | lo;
    uint64_t sign = width == 16 ? 0x8000u : width == 32 ? 0x80000000u : 0x8000000000000000u;
    switch (cls & 7u) {
    case 2: v &= 0xFFu; break;
    case 3: v &= 0xFu; break;
    case 4: v &= 0xFFFFu; break;
    case 5: v = 0u - (v & 0xFFu); break;
    case 6: v &= 0xFFFFFFFFu; break;
    case 7:
        switch (v & 7u) {
        case 0: v = 0; break;
        case 1: v = 1; break;
        case 2: v = ~(uint64_t)0; break;
        case 3: v = sign; break;
        case 4: v = sign - 1u; break;
        case 5: v = 2; break;
        case 6: v = 0u - (uint64_t)2; break;
        default: v = 0x5555555555555555u; break;
        }
        break;
    default: break;
    }
    return v & width_mask(width);
}

/* 64-bit division: on the mote through `/` (the compiler calls the shims); on the host
 * straight into the C bodies, since host division by zero traps. */
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

static uint64_t t_mpyi(uint64_t a, uint64_t b) { return (uint16_t)__mspabi_mpyi(I16(a), I16(b)); }
static uint64_t t_mpyl(uint64_t a, uint64_t b) { return (uint32_t)__mspabi_mpyl(I32(a), I32(b)); }
static uint64_t t_mpyll(uint64_t a, uint64_t b) { return (uint64_t)__mspabi_mpyll(I64(a), I64(b)); }
static uint64_t t_mpysl(uint64_t a, uint64_t b) { return (uint32_t)__mspabi_mpysl(I16(a), I16(b)); }
static uint64_t t_mpyul(uint64_t a, uint64_t b) { return __mspabi_mpyul((uint16_t)a, (uint16_t)b); }
static uint64_t t_mpyi_hw(uint64_t a, uint64_t b) { return (uint16_t)__mspabi_mpyi_hw(I16(a), I16(b)); }
static uint64_t t_mpyl_hw(uint64_t a, uint64_t b) { return (uint32_t)__mspabi_mpyl_hw(I32(a), I32(b)); }
static uint64_t t_mpyll_hw(uint64_t a, uint64_t b) { return (uint64_t)__mspabi_mpyll_hw(I64(a), I64(b)); }
static uint64_t t_mpysl_hw(uint64_t a, uint64_t b) { return (uint32_t)__mspabi_mpysl_hw(I16(a), I16(b)); }
static uint64_t t_mpyul_hw(uint64_t a, uint64_t b) { return __mspabi_mpyul_hw((uint16_t)a, (uint16_t)b); }
static uint64_t t_divu(uint64_t a, uint64_t b) { return __mspabi_divu((uint16_t)a, (uint16_t)b); }
static uint64_t t_remu(uint64_t a, uint64_t b) { return __mspabi_remu((uint16_t)a, (uint16_t)b); }
static uint64_t t_divi(uint64_t a, uint64_t b) { return (uint16_t)__mspabi_divi(I16(a), I16(b)); }
static uint64_t t_remi(uint64_t a, uint64_t b) { return (uint16_t)__mspabi_remi(I16(a), I16(b)); }
static uint64_t t_divul(uint64_t a, uint64_t b) { return __mspabi_divul((uint32_t)a, (uint32_t)b); }
static uint64_t t_remul(uint64_t a, uint64_t b) { return __mspabi_remul((uint32_t)a, (uint32_t)b); }
static uint64_t t_divli(uint64_t a, uint64_t b) { return (uint32_t)__mspabi_divli(I32(a), I32(b)); }
static uint64_t t_remli(uint64_t a, uint64_t b) { return (uint32_t)__mspabi_remli(I32(a), I32(b)); }
static uint64_t t_divull(uint64_t a, uint64_t b)
{
    volatile uint64_t x = a, y = b; /* keep the compiler from folding or inlining the division */
    return DIVULL(x, y);
}
static uint64_t t_remull(uint64_t a, uint64_t b)
{
    volatile uint64_t x = a, y = b;
    return REMULL(x, y);
}
static uint64_t t_divlli(uint64_t a, uint64_t b)
{
    volatile int64_t x = I64(a), y = I64(b);
    return (uint64_t)DIVLLI(x, y);
}
static uint64_t t_remlli(uint64_t a, uint64_t b)
{
    volatile int64_t x = I64(a), y = I64(b);
    return (uint64_t)REMLLI(x, y);
}
static uint64_t t_slli(uint64_t a, uint64_t n) { return __mspabi_slli((uint16_t)a, (int16_t)n); }
static uint64_t t_srli(uint64_t a, uint64_t n) { return __mspabi_srli((uint16_t)a, (int16_t)n); }
static uint64_t t_srai(uint64_t a, uint64_t n) { return (uint16_t)__mspabi_srai(I16(a), (int16_t)n); }
static uint64_t t_slll(uint64_t a, uint64_t n) { return __mspabi_slll((uint32_t)a, (int16_t)n); }
static uint64_t t_srll(uint64_t a, uint64_t n) { return __mspabi_srll((uint32_t)a, (int16_t)n); }
static uint64_t t_sral(uint64_t a, uint64_t n) { return (uint32_t)__mspabi_sral(I32(a), (int16_t)n); }
static uint64_t t_sllll(uint64_t a, uint64_t n) { return __mspabi_sllll(a, (int16_t)n); }
static uint64_t t_srlll(uint64_t a, uint64_t n) { return __mspabi_srlll(a, (int16_t)n); }
static uint64_t t_srall(uint64_t a, uint64_t n) { return (uint64_t)__mspabi_srall(I64(a), (int16_t)n); }

struct helper_test {
    const char *name;
    uint8_t width;   /* operand width in bits */
    uint8_t rwidth;  /* result width */
    uint8_t shift;   /* second operand is a shift count below `width` */
    uint64_t (*fn)(uint64_t a, uint64_t b);
};

/* The order is part of the output format (harness.build.selftest_oracle.HELPERS). */
static const struct helper_test tests[] = {
    {"mpyi", 16, 16, 0, t_mpyi},          {"mpyl", 32, 32, 0, t_mpyl},
    {"mpyll", 64, 64, 0, t_mpyll},        {"mpysl", 16, 32, 0, t_mpysl},
    {"mpyul", 16, 32, 0, t_mpyul},        {"mpyi_hw", 16, 16, 0, t_mpyi_hw},
    {"mpyl_hw", 32, 32, 0, t_mpyl_hw},    {"mpyll_hw", 64, 64, 0, t_mpyll_hw},
    {"mpysl_hw", 16, 32, 0, t_mpysl_hw},  {"mpyul_hw", 16, 32, 0, t_mpyul_hw},
    {"divu", 16, 16, 0, t_divu},          {"remu", 16, 16, 0, t_remu},
    {"divi", 16, 16, 0, t_divi},          {"remi", 16, 16, 0, t_remi},
    {"divul", 32, 32, 0, t_divul},        {"remul", 32, 32, 0, t_remul},
    {"divli", 32, 32, 0, t_divli},        {"remli", 32, 32, 0, t_remli},
    {"divull", 64, 64, 0, t_divull},      {"remull", 64, 64, 0, t_remull},
    {"divlli", 64, 64, 0, t_divlli},      {"remlli", 64, 64, 0, t_remlli},
    {"slli", 16, 16, 1, t_slli},          {"srli", 16, 16, 1, t_srli},
    {"srai", 16, 16, 1, t_srai},          {"slll", 32, 32, 1, t_slll},
    {"srll", 32, 32, 1, t_srll},          {"sral", 32, 32, 1, t_sral},
    {"sllll", 64, 64, 1, t_sllll},        {"srlll", 64, 64, 1, t_srlll},
    {"srall", 64, 64, 1, t_srall},
};

/* CRC-32 (IEEE 802.3, reflected), the same as Python's zlib.crc32 */
static uint32_t crc32_byte(uint32_t crc, uint8_t byte)
{
    crc ^= byte;
    for (int i = 0; i < 8; i++)
        crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    return crc;
}

static void print_hex64(uint64_t v)
{
    printf(" %08lx%08lx", (unsigned long)(uint32_t)(v >> 32), (unsigned long)(uint32_t)v);
}

static void run_helper(unsigned k, const struct helper_test *t)
{
    rng = SELFTEST_SEED ^ ((uint32_t)k << 16) ^ k;
    uint32_t crc = 0xFFFFFFFFu;
    for (unsigned i = 0; i < SELFTEST_COUNT; i++) {
        uint64_t a = operand(t->width);
        uint64_t b = t->shift ? (uint64_t)(rng_next() & (uint32_t)(t->width - 1u)) : operand(t->width);
        uint64_t r = t->fn(a, b) & width_mask(t->rwidth);
        uint64_t bytes = r;
        for (unsigned n = 0; n < (unsigned)(t->rwidth >> 3); n++, bytes >>= 8)
            crc = crc32_byte(crc, (uint8_t)bytes);
        if (i < 2) {
            printf("S %s", t->name);
            print_hex64(a);
            print_hex64(b);
            print_hex64(r);
            printf("\n");
        }
    }
    printf("H %s %u %08lx\n", t->name, SELFTEST_COUNT, (unsigned long)~crc);
}

static void format_tests(void)
{
    printf("F0 [%d|%5d|%-5d|%05d|%i]\n", -42, 42, 42, 42, 7);
    printf("F1 [%u|%x|%X|%04x|%5u]\n", 65535u, 0xbeefu, 0xbeefu, 0xau, 7u);
    printf("F2 [%ld|%lu|%lx|%8lx|%-8lx|]\n", -123456789L, 4000000000UL, 0xdeadbeefUL, 0x1234UL, 0x1234UL);
    printf("F3 [%s|%10s|%-10s|%.3s|%c%c]\n", "abc", "right", "left", "truncate", 'o', 'k');
    printf("F4 [%d %d %ld %ld]\n", 32767, -32767 - 1, 2147483647L, -2147483647L - 1);
    printf("F5 [%*d|%-*d|%.4d|%8.3d|%%]\n", 6, -7, 6, -7, 42, -5);
    printf("F6 [%llu|%lld|%llx]\n", 18446744073709551615ULL, -9223372036854775807LL - 1, 0x0123456789abcdefULL);
    printf("F7 [%05ld|%-3c|%3c|%.0d|%x]\n", -12L, 'x', 'y', 0, 0u);

    char buf[16];
    int n = snprintf(buf, 8, "%s-%d", "abcdef", 1234);
    printf("N %d [%s]\n", n, buf);
    n = snprintf(buf, sizeof buf, "%x", 0x7fffu);
    printf("N %d [%s]\n", n, buf);
}

static int sign(int v)
{
    return v < 0 ? -1 : v > 0;
}

static void string_tests(void)
{
    char a[32];
    const char *hello = "hello";
    memset(a, 'x', 5);
    a[5] = 0;
    printf("L memset %s\n", a);
    strcpy(a, hello);
    strcat(a, " world");
    printf("L strcat %s\n", a);
    printf("L strlen %u\n", (unsigned)strlen(a));
    memmove(a + 2, a, 5);
    printf("L memmove_up %s\n", a);
    memmove(a, a + 3, 4);
    printf("L memmove_down %s\n", a);
    memcpy(a, "0123456789", 11);
    printf("L memcpy %s\n", a);
    printf("L memcmp %d %d %d\n", sign(memcmp("abc", "abd", 3)), sign(memcmp("abd", "abc", 3)),
           sign(memcmp("abc", "abd", 2)));
    printf("L strcmp %d %d %d\n", sign(strcmp("abc", "ab")), sign(strcmp("ab", "abc")), sign(strcmp("ab", "ab")));
    printf("L strncmp %d %d\n", sign(strncmp("abcdef", "abcxyz", 3)), sign(strncmp("abcdef", "abcxyz", 4)));
    printf("L strchr %d %d\n", (int)(strchr(hello, 'l') - hello), strchr(hello, 'z') == NULL ? -1 : 0);
    printf("L strrchr %d\n", (int)(strrchr(hello, 'l') - hello));
    printf("L memchr %d\n", (int)((const char *)memchr(hello, 'o', 5) - hello));
    printf("L strnlen %u %u\n", (unsigned)strnlen(hello, 3), (unsigned)strnlen(hello, 9));
    memset(a, '#', 8);
    strncpy(a, "hi", 5);
    printf("L strncpy");
    for (int i = 0; i < 7; i++)
        printf(" %02x", (unsigned)(unsigned char)a[i]);
    printf("\n");
}

void selftest_run(void)
{
    printf("ST begin seed=%08lx count=%u\n", (unsigned long)SELFTEST_SEED, SELFTEST_COUNT);
    for (unsigned k = 0; k < sizeof tests / sizeof tests[0]; k++)
        run_helper(k, &tests[k]);
    format_tests();
    string_tests();
    printf("ST end\n");
}
