/* cc2420_saes.c - the CC2420's stand-alone AES encryption (see cc2420_saes.h). */
#include "cc2420_saes.h"

#include "cc2420.h"
#include "cc2420_bus.h"

/* datasheet: command strobes, registers, RAM map, status bits */
#define SNOP 0x00u
#define SAES 0x0Eu
#define SECCTRL0 0x19u
#define REG_READ 0x40u
#define SEC_SAKEYSEL 0x0080u
#define RAM_KEY0 0x100u
#define RAM_SABUF 0x120u
#define RAM_KEY1 0x130u
#define RAM_READ 0x20u
#define ST_XOSC16M_STABLE 0x40u
#define ST_ENC_BUSY 0x10u
#define MAX_POLLS 64u /* 14 us of ENC_BUSY are 2..3 status reads at SMCLK/2 */

static uint8_t selected = 0xFFu; /* SEC_SAKEYSEL as last written (0xFF: unknown) ... */
static uint8_t selected_inits;   /* ... since this cc2420_init() */

/* RAM access: 0x80 | A6..A0, then A8..A7 in bits 7..6 with bit 5 = read; CSn is low. */
static void ram_address(uint16_t addr, uint8_t read)
{
    cc2420_spi((uint8_t)(0x80u | (addr & 0x7Fu)));
    cc2420_spi((uint8_t)(((addr >> 1) & 0xC0u) | read));
}

/* 16 bytes to RAM, p[15] first: the least significant byte goes to the lowest address. */
static void write_reversed(uint16_t addr, const uint8_t *p)
{
    const uint8_t *q = p + 16;
    cc2420_csn_low();
    ram_address(addr, 0);
    do
        cc2420_spi(*--q);
    while (q != p);
    cc2420_csn_high();
}

static void read_reversed(uint16_t addr, uint8_t *p)
{
    uint8_t *q = p + 16;
    cc2420_csn_low();
    ram_address(addr, RAM_READ);
    do
        *--q = cc2420_spi(0);
    while (q != p);
    cc2420_csn_high();
}

static uint8_t strobe(uint8_t s)
{
    cc2420_csn_low();
    uint8_t st = cc2420_spi(s);
    cc2420_csn_high();
    return st;
}

/* SECCTRL0.SEC_SAKEYSEL = sel, the other fields kept (read-modify-write: two transactions). */
static void select_key(uint8_t sel)
{
    cc2420_csn_low();
    cc2420_spi(SECCTRL0 | REG_READ);
    uint16_t v = (uint16_t)(cc2420_spi(0) << 8);
    v |= cc2420_spi(0);
    cc2420_csn_high();
    v = sel ? (uint16_t)(v | SEC_SAKEYSEL) : (uint16_t)(v & ~SEC_SAKEYSEL);
    cc2420_csn_low();
    cc2420_spi(SECCTRL0);
    cc2420_spi((uint8_t)(v >> 8));
    cc2420_spi((uint8_t)v);
    cc2420_csn_high();
    selected = sel;
}

void cc2420_saes_load_key(uint8_t slot, const uint8_t *key)
{
    uint8_t lk = cc2420_bus_lock();
    write_reversed((slot & 1u) ? RAM_KEY1 : RAM_KEY0, key);
    cc2420_bus_unlock(lk);
}

int cc2420_saes_encrypt(uint8_t slot, const uint8_t *in, uint8_t *out)
{
    uint8_t sel = slot & 1u, st, polls = 0;
    uint8_t lk = cc2420_bus_lock();
    if (selected_inits != cc2420_inits()) {
        selected_inits = cc2420_inits();
        selected = 0xFFu; /* the chip was reset: SECCTRL0 is back to its reset value */
    }
    if (sel != selected)
        select_key(sel);
    write_reversed(RAM_SABUF, in);
    st = strobe(SAES); /* the status from before the strobe */
    if (st & ST_XOSC16M_STABLE) {
        while ((strobe(SNOP) & ST_ENC_BUSY) && ++polls < MAX_POLLS) {
        }
    }
    if (!(st & ST_XOSC16M_STABLE) || polls >= MAX_POLLS) {
        cc2420_bus_unlock(lk);
        for (uint8_t i = 0; i < 16; i++)
            out[i] = 0;
        return CC2420_ERR_CHIP;
    }
    read_reversed(RAM_SABUF, out);
    cc2420_bus_unlock(lk);
    return 0;
}
