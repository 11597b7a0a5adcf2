/*
 * selftest.c - see selftest.h. Portable C: the host tests compile it too (against the host
 * build of the helpers and of the mspabi_ops module) to check the oracle. The helpers are
 * called through the mspabi_ops table (firmware/mspabi_ops), whose order is the output order.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mspabi_ops.h"
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
    return v & mspabi_op_mask(width);
}

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

static void run_helper(unsigned k, const struct mspabi_op *t)
{
    rng = SELFTEST_SEED ^ ((uint32_t)k << 16) ^ k;
    uint32_t crc = 0xFFFFFFFFu;
    for (unsigned i = 0; i < SELFTEST_COUNT; i++) {
        uint64_t a = operand(t->width);
        uint64_t b = t->shift ? (uint64_t)(rng_next() & (uint32_t)(t->width - 1u)) : operand(t->width);
        uint64_t r = t->fn(a, b) & mspabi_op_mask(t->rwidth);
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
    for (unsigned k = 0; k < mspabi_op_count(); k++)
        run_helper(k, mspabi_op_at(k));
    format_tests();
    string_tests();
    printf("ST end\n");
}
