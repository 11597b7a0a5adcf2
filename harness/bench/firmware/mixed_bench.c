/*
 * mixed_bench - mixed CPU-bound benchmark for the emulator (issue 15 item 7).
 *
 * Each round runs, on state carried over from the previous round: a 32-bit LCG fill (MSPABI
 * multiply helpers), memcpy/memmove copies, an insertion sort (compares, branches, indexed
 * loads/stores), 32- and 16-bit divisions and remainders (MSPABI division helpers), a recursive
 * function (calls and returns), a switch-driven byte-code interpreter (jump tables) and a bitwise
 * CRC-16 (shifts and branches). Every round prints one 32-bit checksum over UART1, then the
 * firmware reaches bench_done(). The code is portable C with explicit widths, so the same file
 * compiled for the host prints the same lines (the test oracle).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifdef MIXED_HOST
#define bench_init() ((void)0)
#else
#include "sky.h"
#define bench_init() sky_init()
#endif

#ifndef BENCH_ROUNDS
#define BENCH_ROUNDS 4
#endif

#define NBUF 256
#define NSORT 64

static uint8_t buf[NBUF];
static uint8_t copy[NBUF];
static uint16_t keys[NSORT];

static uint32_t lcg_fill(uint32_t x)
{
    for (uint16_t i = 0; i < NBUF; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    return x;
}

static void insertion_sort(uint16_t *a, uint16_t n)
{
    for (uint16_t i = 1; i < n; i++) {
        uint16_t v = a[i];
        uint16_t j = i;
        while (j > 0 && a[j - 1] > v) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = v;
    }
}

static uint32_t divisions(uint32_t seed)
{
    uint32_t acc = 0;
    for (uint16_t i = 0; i < 24; i++) {
        uint32_t n = seed ^ ((uint32_t)keys[i] << 8) ^ keys[NSORT - 1 - i];
        uint32_t d = (uint32_t)i * 37u + 3u;
        acc += n / d + n % (d + 4u);
        uint16_t n16 = (uint16_t)(n >> 5);
        uint16_t d16 = (uint16_t)(i + 7u);
        acc += (uint16_t)(n16 / d16) ^ (uint16_t)(n16 % d16);
    }
    return acc;
}

static uint16_t walk(uint16_t depth, uint16_t x)
{
    if (depth == 0)
        return (uint16_t)(x ^ 0x5A5Au);
    uint16_t l = walk((uint16_t)(depth - 1), (uint16_t)(x + depth));
    uint16_t r = walk((uint16_t)(depth - 1), (uint16_t)(l >> 1));
    return (uint16_t)(l + r + depth);
}

static uint16_t interpret(const uint8_t *code, uint16_t n)
{
    uint16_t a = 1, b = 0, sp = 0;
    uint16_t stack[8];
    for (uint16_t pc = 0; pc < n; pc++) {
        uint8_t ins = code[pc];
        switch (ins & 7u) {
        case 0:
            a = (uint16_t)(a + (ins >> 3));
            break;
        case 1:
            b = (uint16_t)(b ^ a);
            break;
        case 2:
            a = (uint16_t)((a << 1) | (a >> 15));
            break;
        case 3:
            stack[sp & 7u] = a;
            sp++;
            break;
        case 4:
            sp--;
            b = (uint16_t)(b + stack[sp & 7u]);
            break;
        case 5:
            a = (uint16_t)(a - b);
            break;
        case 6:
            if (a & 1u)
                b = (uint16_t)~b;
            break;
        default:
            a = (uint16_t)(a & (b | 0x00FFu));
            break;
        }
    }
    return (uint16_t)(a ^ (b << 3));
}

static uint16_t crc16(const uint8_t *p, uint16_t n, uint16_t crc)
{
    for (uint16_t i = 0; i < n; i++) {
        crc = (uint16_t)(crc ^ ((uint16_t)p[i] << 8));
        for (uint8_t k = 0; k < 8; k++)
            crc = (crc & 0x8000u) ? (uint16_t)((crc << 1) ^ 0x1021u) : (uint16_t)(crc << 1);
    }
    return crc;
}

static uint32_t round_once(uint32_t state)
{
    state = lcg_fill(state);
    memcpy(copy, buf, NBUF);
    memmove(copy + 3, copy, NBUF - 3);
    for (uint16_t i = 0; i < NSORT; i++)
        keys[i] = (uint16_t)(copy[2 * i] | ((uint16_t)copy[2 * i + 1] << 8));
    insertion_sort(keys, NSORT);
    uint32_t sum = divisions(state);
    sum += walk(7, keys[0]);
    sum ^= (uint32_t)interpret(copy, NBUF) << 16;
    sum += crc16(copy, NBUF, 0xFFFFu);
    return state ^ sum;
}

/* The host stops here (a symbol the emulator run targets). */
void bench_done(void) __attribute__((noinline));
void bench_done(void)
{
#ifndef MIXED_HOST
    __asm__ volatile("nop");
#endif
}

int main(void)
{
    uint32_t state = 0x12345678u;
    bench_init();
    printf("mixed_bench rounds=%u\n", (unsigned)BENCH_ROUNDS);
    for (uint16_t r = 0; r < BENCH_ROUNDS; r++) {
        state = round_once(state);
        printf("M %04x%04x\n", (unsigned)(uint16_t)(state >> 16), (unsigned)(uint16_t)state);
    }
    printf("mixed_bench done\n");
    bench_done();
#ifdef MIXED_HOST
    return 0;
#else
    for (;;) {
    }
#endif
}
