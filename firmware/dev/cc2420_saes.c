/* cc2420_saes.c - the CC2420's stand-alone AES encryption (see cc2420_saes.h). */
#include "cc2420_saes.h"

#include "cc2420.h"
#include "cc2420_bus.h"

/* datasheet: command strobes, registers, RAM map, status bits */
#define SNOP 0x00u
#define SAES 0x0Eu
#define RAM_SABUF 0x120u
#define RAM_KEY1 0x130u
#define RAM_READ 0x20u
#define ST_XOSC16M_STABLE 0x40u
#define ST_ENC_BUSY 0x10u
#define MAX_POLLS 64u /* 14 us of ENC_BUSY are 2..3 status reads at SMCLK/2 */

/* One byte of a short transaction (address, strobe), out of line: they are few per block; the 16 data
 * bytes of a RAM transfer go through the inline cc2420_spi() of their own loop. */
__attribute__((noinline)) static uint8_t spi(uint8_t b)
{
    return cc2420_spi(b);
}

/* 16 bytes between RAM at addr and p (read: 0 writes, RAM_READ reads), p[15] first: the least
 * significant byte sits at the lowest address. RAM access: 0x80 | A6..A0, then A8..A7 in bits 7..6
 * with bit 5 = read. The caller holds the bus. */
static void ram16(uint16_t addr, uint8_t *p, uint8_t read)
{
    uint8_t *q = p + 16;
    cc2420_csn_low();
    spi((uint8_t)(0x80u | (addr & 0x7Fu)));
    spi((uint8_t)(((addr >> 1) & 0xC0u) | read));
    if (read) {
        do
            *--q = cc2420_spi(0);
        while (q != p);
    } else {
        do
            cc2420_spi(*--q);
        while (q != p);
    }
    cc2420_csn_high();
}

static uint8_t strobe(uint8_t s)
{
    cc2420_csn_low();
    uint8_t st = spi(s);
    cc2420_csn_high();
    return st;
}

void cc2420_saes_load_key(const uint8_t *key)
{
    uint8_t lk = cc2420_bus_lock();
    ram16(RAM_KEY1, (uint8_t *)(uintptr_t)key, 0);
    cc2420_bus_unlock(lk);
}

int cc2420_saes_encrypt(const uint8_t *in, uint8_t *out)
{
    uint8_t st, polls = 0;
    uint8_t lk = cc2420_bus_lock();
    int rc = 0;
    ram16(RAM_SABUF, (uint8_t *)(uintptr_t)in, 0);
    if (!(strobe(SAES) & ST_XOSC16M_STABLE)) /* the status from before the strobe */
        polls = MAX_POLLS;
    while (polls < MAX_POLLS && (strobe(SNOP) & ST_ENC_BUSY))
        polls++;
    if (polls >= MAX_POLLS) {
        for (st = 0; st < 16; st++)
            out[st] = 0;
        rc = CC2420_ERR_CHIP;
    } else {
        ram16(RAM_SABUF, out, RAM_READ);
    }
    cc2420_bus_unlock(lk);
    return rc;
}
