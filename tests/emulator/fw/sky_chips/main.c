/*
 * sky_chips - talks to the Sky's DS2411 and M25P80 the way a driver on the real mote does, and prints
 * what they answered on UART1, ending with "sky_chips done".
 *
 * DS2411: 1-Wire reset/presence, Read ROM (33h), 64 bits, CRC-8 check.
 * M25P80: RDID, RES signature, WREN + PP + WIP polling, READ, SE, DP (RDID ignored) and RES.
 * Delays are counted loops calibrated on the measured DCO (3 cycles per loop: dec + jnz).
 */
#include <msp430.h>
#include <stdio.h>

#include "cc2420.h"
#include "sky.h"

#define OW_BIT 0x10u     /* P2.4 */
#define FLASH_S 0x10u    /* P4.4 */
#define FLASH_HOLD 0x80u /* P4.7 */

/* Delay loop counts, computed once from the DCO (a division per delay would itself take ~100 us). */
static uint16_t loops_per_ms;

static uint16_t loops(uint16_t us) { return (uint16_t)((uint32_t)us * loops_per_ms / 1000u); }

/* noinline: clang's MSP430 backend keeps a flag result live across inline asm even with a "cc"
 * clobber (a sample taken before a delay came out wrong); a call ends every flag's life */
__attribute__((noinline)) static void delay_loops(uint16_t n)
{
    if (n == 0)
        n = 1;
    __asm__ volatile("1: dec %0\n\tjnz 1b" : "+r"(n) : : "cc", "memory");
}

static uint16_t L2, L6, L8, L10, L55, L60, L64, L70, L430, L560;

static void delays_init(void)
{
    loops_per_ms = (uint16_t)(sky_dco_hz() / 3000u); /* dec + jnz: 3 cycles */
    L2 = loops(2), L6 = loops(6), L8 = loops(8), L10 = loops(10), L55 = loops(55), L60 = loops(60);
    L64 = loops(64), L70 = loops(70), L430 = loops(430), L560 = loops(560);
}

#define delay_us(us) delay_loops(loops(us)) /* slow: only where timing is loose */

/* ---- 1-Wire (the pin is pulled up: drive low with DIR = 1, release with DIR = 0) ---- */
static void ow_low(void) { P2DIR |= OW_BIT; }
static void ow_release(void) { P2DIR &= (uint8_t)~OW_BIT; }
static int ow_level(void) { return (P2IN & OW_BIT) != 0; }

static int ow_reset(void)
{
    ow_low();
    delay_loops(L560); /* tRSTL >= 480 us */
    ow_release();
    delay_loops(L70);
    int presence = !ow_level();
    delay_loops(L430);
    return presence;
}

static void ow_write_bit(int bit)
{
    ow_low();
    if (bit) {
        delay_loops(L6);
        ow_release();
        delay_loops(L64);
    } else {
        delay_loops(L60);
        ow_release();
        delay_loops(L10);
    }
}

static int ow_read_bit(void)
{
    ow_low();
    delay_loops(L2);
    ow_release();
    delay_loops(L8); /* sample within 15 us of the falling edge */
    int bit = ow_level();
    delay_loops(L55);
    return bit;
}

static void ow_write(uint8_t b)
{
    for (int i = 0; i < 8; i++)
        ow_write_bit((b >> i) & 1);
}

static uint8_t ow_read(void)
{
    uint8_t b = 0;
    for (int i = 0; i < 8; i++)
        b |= (uint8_t)(ow_read_bit() << i);
    return b;
}

static uint8_t crc8(const uint8_t *p, int n)
{
    uint8_t crc = 0;
    while (n--) {
        uint8_t b = *p++;
        for (int i = 0; i < 8; i++) {
            uint8_t mix = (crc ^ b) & 1u;
            crc >>= 1;
            if (mix)
                crc ^= 0x8Cu;
            b >>= 1;
        }
    }
    return crc;
}

/* ---- SPI on USART0: set up by the radio driver (the bus the two chips share) ---- */
static int spi_init(void)
{
    P4OUT |= FLASH_S | FLASH_HOLD; /* flash deselected, not held */
    P4DIR |= FLASH_S | FLASH_HOLD;
    return cc2420_init();
}

static uint8_t spi(uint8_t b)
{
    IFG1 &= (uint8_t)~URXIFG0;
    U0TXBUF = b;
    while (!(IFG1 & URXIFG0)) {
    }
    return U0RXBUF;
}

static void sel(void) { P4OUT &= (uint8_t)~FLASH_S; }
static void desel(void) { P4OUT |= FLASH_S; }

static void flash_cmd(uint8_t cmd)
{
    sel();
    spi(cmd);
    desel();
}

static void flash_cmd_addr(uint8_t cmd, uint32_t addr)
{
    spi(cmd);
    spi((uint8_t)(addr >> 16));
    spi((uint8_t)(addr >> 8));
    spi((uint8_t)addr);
}

static uint8_t flash_status(void)
{
    sel();
    spi(0x05);
    uint8_t sr = spi(0);
    desel();
    return sr;
}

static void print_rdid(const char *what)
{
    sel();
    spi(0x9F);
    uint8_t a = spi(0), b = spi(0), c = spi(0);
    desel();
    printf("M25P80 %s rdid=%02x%02x%02x\n", what, a, b, c);
}

static void print_read(const char *what, uint32_t addr)
{
    uint8_t buf[6];
    sel();
    flash_cmd_addr(0x03, addr);
    for (int i = 0; i < 5; i++)
        buf[i] = spi(0);
    desel();
    buf[5] = 0;
    printf("M25P80 %s read=%02x%02x%02x%02x%02x\n", what, buf[0], buf[1], buf[2], buf[3], buf[4]);
}

static unsigned wait_wip(void)
{
    unsigned polls = 0;
    while (flash_status() & 1u)
        polls++;
    return polls;
}

int main(void)
{
    sky_init();
    __asm__ volatile("dint\n\tnop");
    delays_init();

    uint8_t rom[8];
    int presence = ow_reset();
    ow_write(0x33);
    for (int i = 0; i < 8; i++)
        rom[i] = ow_read();
    printf("DS2411 presence=%d rom=", presence);
    for (int i = 0; i < 8; i++)
        printf("%02x", rom[i]);
    printf(" crc=%s\n", crc8(rom, 7) == rom[7] ? "ok" : "bad");
    printf("DS2411 again presence=%d\n", ow_reset());

    printf("CC2420 init rc=%d\n", spi_init());
    print_rdid("id");
    sel();
    spi(0xAB);
    spi(0);
    spi(0);
    spi(0);
    uint8_t res = spi(0);
    desel();
    printf("M25P80 res=%02x sr=%02x\n", res, flash_status());

    flash_cmd(0x06); /* WREN */
    printf("M25P80 wren sr=%02x\n", flash_status());
    sel();
    flash_cmd_addr(0x02, 0x020000);
    const char *msg = "hello";
    for (int i = 0; i < 5; i++)
        spi((uint8_t)msg[i]);
    desel();
    sel();
    spi(0x9F); /* rejected while WIP */
    uint8_t busy_id = spi(0);
    desel();
    unsigned polls = wait_wip();
    printf("M25P80 busy rdid=%02x\n", busy_id);
    printf("M25P80 pp polls=%u sr=%02x\n", polls, flash_status());
    print_read("pp", 0x020000);

    sel();
    flash_cmd_addr(0x02, 0x030000); /* no WREN: ignored */
    spi(0x00);
    desel();
    printf("M25P80 nowren sr=%02x\n", flash_status());
    print_read("nowren", 0x030000);

    flash_cmd(0x06);
    sel();
    flash_cmd_addr(0xD8, 0x020123); /* SE: the whole 64 KB sector */
    desel();
    polls = wait_wip();
    printf("M25P80 se polls=%u\n", polls);
    print_read("se", 0x020000);

    flash_cmd(0xB9); /* DP */
    delay_us(5);
    print_rdid("dp");
    sel();
    spi(0xAB);
    spi(0);
    spi(0);
    spi(0);
    uint8_t sig = spi(0);
    desel();
    delay_us(5);
    printf("M25P80 woke sig=%02x\n", sig);
    print_rdid("woke");
    printf("sky_chips done\n");
    for (;;) {
    }
}
