/* cc2420.c - CC2420 radio driver for the Tmote Sky (see cc2420.h). */
#include "cc2420.h"

#include <msp430.h>

#include "cc2420_bus.h"
#include <string.h>

#include "energest.h"
#include "irq.h"
#include "sky.h"

/* ---- pins */
#define FIFO_BIT 0x08u  /* P1.3 */
#define CCA_BIT 0x10u   /* P1.4 */
#define SFD_BIT 0x02u   /* P4.1 */
#define VREG_BIT 0x20u  /* P4.5 */
#define RESETN_BIT 0x40u /* P4.6 */

/* ---- chip: strobes, registers, RAM, bits (CC2420 datasheet) */
enum {
    SNOP = 0x00, SXOSCON = 0x01, SRXON = 0x03, STXON = 0x04, STXONCCA = 0x05, SRFOFF = 0x06,
    SFLUSHRX = 0x08, SFLUSHTX = 0x09, SACK = 0x0A, SACKPEND = 0x0B,
    MDMCTRL0 = 0x11, MDMCTRL1 = 0x12, RSSI = 0x13, RXCTRL1 = 0x17, FSCTRL = 0x18, SECCTRL0 = 0x19,
    IOCFG0 = 0x1C,
    TXFIFO = 0x3E, RXFIFO = 0x3F
};
#define REG_READ 0x40u
#define RAM_IEEEADR 0x160u
#define RAM_PANID 0x168u
#define RAM_SHORTADR 0x16Au

#define ST_XOSC16M_STABLE 0x40u
#define ST_TX_UNDERFLOW 0x20u
#define ST_TX_ACTIVE 0x08u
#define ST_RSSI_VALID 0x02u

#define MDM_PAN_COORDINATOR 0x1000u
#define MDM_ADR_DECODE 0x0800u
#define MDM_AUTOCRC 0x0020u
#define MDM_AUTOACK 0x0010u
#define CORR_THR_20 (20u << 6) /* MDMCTRL1: CORR_THR = 20 (datasheet) */

/* ---- state */
typedef struct {
    uint8_t len;
    cc2420_rx_info_t info;
    uint8_t data[CC2420_MAX_MPDU];
} rx_slot_t;

static rx_slot_t rxq[CC2420_RX_QUEUE];
static rx_slot_t *rxq_head = rxq; /* the oldest frame */
static volatile uint8_t rxq_count;

/* The slot after `s` in the ring (pointers, not indices: the slot size is no power of two and an
 * index would cost a multiplication per access). */
static rx_slot_t *rxq_next(rx_slot_t *s) { return s + 1 == rxq + CC2420_RX_QUEUE ? rxq : s + 1; }

static volatile uint16_t rx_dropped;
static volatile uint16_t sfd_rise, sfd_fall;
static volatile uint16_t tx_sfd_rise, tx_sfd_fall;
static volatile uint8_t transmitting;
/* tx_sleep: bit 0 while it waits for the SFD ISR to see the frame's end (or the timeout), bit 1 once
 * another handler woke main() meanwhile (that wake-up is handed back when it returns) */
static volatile uint8_t tx_wait;
#define TXW_WAITING 1u
#define TXW_OTHER 2u
extern volatile uint8_t __sky_wake_flag; /* sky_sleep.c: a wake-up of main() is pending */
static uint8_t listening;
static uint8_t channel;
static cc2420_rx_fn rx_callback;

/* ---- the bus: every main-context transaction masks the FIFOP interrupt (cc2420_bus.h) */
static uint8_t strobe(uint8_t s)
{
    uint8_t lk = cc2420_bus_lock();
    cc2420_csn_low();
    uint8_t st = cc2420_spi(s);
    cc2420_csn_high();
    cc2420_bus_unlock(lk);
    return st;
}

static uint8_t status(void) { return strobe(SNOP); }

static uint16_t reg_read(uint8_t a)
{
    uint8_t lk = cc2420_bus_lock();
    cc2420_csn_low();
    cc2420_spi((uint8_t)(a | REG_READ));
    uint16_t v = (uint16_t)(cc2420_spi(0) << 8);
    v |= cc2420_spi(0);
    cc2420_csn_high();
    cc2420_bus_unlock(lk);
    return v;
}

static void reg_write(uint8_t a, uint16_t v)
{
    uint8_t lk = cc2420_bus_lock();
    cc2420_csn_low();
    cc2420_spi(a);
    cc2420_spi((uint8_t)(v >> 8));
    cc2420_spi((uint8_t)v);
    cc2420_csn_high();
    cc2420_bus_unlock(lk);
}

static void ram_write(uint16_t addr, const uint8_t *p, uint8_t n)
{
    uint8_t lk = cc2420_bus_lock();
    cc2420_csn_low();
    cc2420_spi((uint8_t)(0x80u | (addr & 0x7Fu)));
    cc2420_spi((uint8_t)((addr >> 1) & 0xC0u)); /* bank bits B1:B0, R/W = 0 (write) */
    while (n--)
        cc2420_spi(*p++);
    cc2420_csn_high();
    cc2420_bus_unlock(lk);
}

static void flush_rx(void)
{
    /* twice, as the datasheet recommends, so the SFD logic is back to idle too */
    strobe(SFLUSHRX);
    strobe(SFLUSHRX);
}

/* ---- time */
static int wait_status(uint8_t mask, uint32_t ticks)
{
    uint32_t t0 = sky_clock_ticks();
    while (!(status() & mask))
        if (sky_clock_ticks() - t0 > ticks)
            return 0;
    return 1;
}

/* ---- init and configuration */
static uint8_t inits;

uint8_t cc2420_inits(void) { return inits; }

int cc2420_init(void)
{
    inits++;
    /* radio outputs are MCU inputs; Timer_B captures SFD */
    P1DIR &= (uint8_t)~(CC2420_FIFOP_BIT | FIFO_BIT | CCA_BIT);
    P1SEL &= (uint8_t)~(CC2420_FIFOP_BIT | FIFO_BIT | CCA_BIT);
    P4DIR = (uint8_t)((P4DIR | CC2420_CSN_BIT | VREG_BIT | RESETN_BIT) & ~SFD_BIT);
    P4SEL |= SFD_BIT;
    P4OUT |= CC2420_CSN_BIT;

    /* USART0 as SPI master, mode 0 (CKPH = 1), SMCLK/2, 8 bits */
    U0CTL = SWRST;
    U0CTL = SWRST | CHAR | SYNC | MM;
    U0TCTL = CKPH | SSEL1 | SSEL0 | STC;
    U0BR0 = 2;
    U0BR1 = 0;
    U0MCTL = 0;
    ME1 |= USPIE0;
    P3SEL |= 0x0Eu;
    P3DIR = (uint8_t)((P3DIR | 0x0Au) & ~0x04u);
    U0CTL &= (uint8_t)~SWRST;
    (void)U0RXBUF;

    /* Supply on, wait for the regulator (0.6 ms margin), then a reset pulse. */
    P4OUT &= (uint8_t)~RESETN_BIT;
    P4OUT |= VREG_BIT;
    sky_clock_wait(SKY_CLOCK_HZ / 1000 + 20);
    P4OUT &= (uint8_t)~RESETN_BIT;
    sky_clock_wait(2);
    P4OUT |= RESETN_BIT;
    sky_clock_wait(2);

    strobe(SXOSCON);
    if (!wait_status(ST_XOSC16M_STABLE, SKY_CLOCK_HZ / 100)) /* 10 ms */
        return CC2420_ERR_CHIP;
    /* A chip answers when a written register reads back (an absent one reads 0 or 0xFFFF).
     * Not the chip id: MSPSim's CC2420 model leaves MANFIDL/MANFIDH at 0. */
    reg_write(MDMCTRL1, CORR_THR_20);
    if (reg_read(MDMCTRL1) != CORR_THR_20)
        return CC2420_ERR_CHIP;

    /* Defaults: AUTOCRC, CCA mode 3 and 3 preamble bytes as reset (0x0AE2) minus ADR_DECODE. */
    reg_write(MDMCTRL0, (uint16_t)(0x0AE2u & ~MDM_ADR_DECODE));
    reg_write(RXCTRL1, (uint16_t)(reg_read(RXCTRL1) | 0x2000u)); /* RXBPF_LOCUR (datasheet) */
    reg_write(SECCTRL0, (uint16_t)(reg_read(SECCTRL0) & ~0x0200u)); /* no RXFIFO protection */
    reg_write(IOCFG0, 127u); /* FIFOP only on complete frames (or >127 bytes) */

    cc2420_set_channel(26);
    cc2420_set_pan_id(0xFFFFu);
    cc2420_set_short_addr(0xFFFFu);

    /* SFD timestamps: Timer_B continuous on SMCLK, CCR1 captures both edges of CCI1A = P4.1 */
    TBCTL = TBSSEL_2 | MC_2; /* no TBCLR: energest measures CPU stretches with TBR */
    TBCCTL1 = CM_3 | CCIS_0 | SCS | CAP | CCIE;

    rxq_head = rxq;
    rxq_count = 0;
    strobe(SFLUSHTX);
    flush_rx();
    P1IES &= (uint8_t)~CC2420_FIFOP_BIT; /* rising edge */
    P1IFG &= (uint8_t)~CC2420_FIFOP_BIT;
    P1IE |= CC2420_FIFOP_BIT;
    listening = 0;
    return CC2420_OK;
}

void cc2420_set_channel(uint8_t ch)
{
    if (ch < 11 || ch > 26)
        return;
    channel = ch;
    uint16_t f = (uint16_t)(357u + 5u * (ch - 11u));
    reg_write(FSCTRL, (uint16_t)((reg_read(FSCTRL) & ~0x03FFu) | f));
    if (listening)
        strobe(SRXON); /* recalibrate the synthesizer on the new frequency */
}

uint8_t cc2420_get_channel(void) { return channel; }

void cc2420_set_pan_id(uint16_t pan)
{
    uint8_t b[2] = {(uint8_t)pan, (uint8_t)(pan >> 8)};
    ram_write(RAM_PANID, b, 2);
}

void cc2420_set_short_addr(uint16_t addr)
{
    uint8_t b[2] = {(uint8_t)addr, (uint8_t)(addr >> 8)};
    ram_write(RAM_SHORTADR, b, 2);
}

void cc2420_set_ext_addr(const uint8_t addr[8]) { ram_write(RAM_IEEEADR, addr, 8); }

/* The radio acknowledges by itself (energest: that time is TX, not listen). */
static uint8_t autoacking;
/* An automatic acknowledgement: 12-symbol turnaround, 5 bytes of preamble and SFD, length + 5-byte
 * frame, 32 us a byte (CC2420 datasheet; IEEE 802.15.4-2003 at 2.4 GHz). */
#define ACK_TX_US (192u + 5u * 32u + 6u * 32u)

void cc2420_set_address_filter(int enable, int autoack, int pan_coordinator)
{
    autoacking = enable && autoack;
    uint16_t v = reg_read(MDMCTRL0) & (uint16_t)~(MDM_ADR_DECODE | MDM_AUTOACK | MDM_PAN_COORDINATOR);
    if (enable)
        v |= MDM_ADR_DECODE;
    if (enable && autoack)
        v |= MDM_AUTOACK;
    if (pan_coordinator)
        v |= MDM_PAN_COORDINATOR;
    reg_write(MDMCTRL0, v);
}

void cc2420_set_ack_pending(int pending) { strobe(pending ? SACKPEND : SACK); }

void cc2420_on(void)
{
    listening = 1;
    strobe(SRXON);
    energest_on(ENERGEST_LISTEN);
}

void cc2420_off(void)
{
    listening = 0;
    strobe(SRFOFF);
    energest_off(ENERGEST_LISTEN);
}

int cc2420_is_on(void) { return listening; }

/* ---- transmit */
static int tx_start(uint8_t lk, int cca);

int cc2420_send(const uint8_t *mpdu, uint8_t len, int cca)
{
    if (len > CC2420_MAX_MPDU)
        return CC2420_ERR_LEN;
    if (cca && !listening) {
        strobe(SRXON);
        energest_on(ENERGEST_LISTEN);
        if (!wait_status(ST_RSSI_VALID, SKY_CLOCK_HZ / 500)) { /* 2 ms */
            strobe(SRFOFF);
            energest_off(ENERGEST_LISTEN);
            return CC2420_ERR_TX;
        }
    }
    uint8_t lk = cc2420_bus_lock();
    cc2420_csn_low();
    cc2420_spi(SFLUSHTX);
    cc2420_csn_high();
    cc2420_csn_low();
    cc2420_spi(TXFIFO);
    cc2420_spi((uint8_t)(len + 2u)); /* length field counts the FCS */
    for (uint8_t i = 0; i < len; i++)
        cc2420_spi(mpdu[i]);
    cc2420_csn_high();
    return tx_start(lk, cca);
}

/* SMCLK ticks (Timer_B) the sleep through a transmission may last: 10 ms at the 3.9 MHz DCO, within
 * TBR's 16.8 ms period. The longest frame ends 4.5 ms after the strobe. */
#define TX_SLEEP_TICKS ((uint16_t)(SKY_DCO_TARGET_HZ / 100u))

/* The end of the frame on air: sleep in LPM0 (SMCLK keeps Timer_B capturing SFD) until the SFD ISR
 * sees its falling edge, bounded by Timer_B CCR2, instead of polling the radio's status over SPI
 * for the frame's whole air time. Only with interrupts enabled (main context); else the caller polls.
 * Another handler's wake-up ends the sleep (tx_start polls the rest: a stream of UART1 bytes, each
 * waking main(), would otherwise cost a sleep and a wake-up per byte) and is handed back to main(). */
static void tx_sleep(void)
{
    TBCCR2 = (uint16_t)(TBR + TX_SLEEP_TICKS); /* the timeout: CCIFG also when not sleeping */
    TBCCTL2 = 0;
    uint16_t sr = irq_save_disable();
    if (!(sr & GIE)) {
        irq_restore(sr);
        return;
    }
    tx_wait = TXW_WAITING;
    TBCCTL2 = CCIE;
    irq_restore(sr);
    sky_sleep(SKY_LPM0);
    if (tx_wait & TXW_WAITING) /* another handler woke main() first: tx_start polls from here */
        tx_wait = TXW_OTHER;
    TBCCTL2 &= (uint16_t)~CCIE;
    if (tx_wait) /* TXW_OTHER */
        sky_wake_main(); /* main() sees it at its own next sleep */
}

/* The wait of tx_sleep ends (SFD ISR: the frame's last bit, or the timeout). */
static void tx_wait_done(void)
{
    if (!(tx_wait & TXW_WAITING))
        return;
    /* a wake-up already pending came from another handler: keep it for main() */
    tx_wait = __sky_wake_flag ? TXW_OTHER : 0;
    sky_wake_main();
}

/* Strobes TX for the frame in the TXFIFO and waits for its end (the FIFOP interrupt is locked). */
static int tx_start(uint8_t lk, int cca)
{
    transmitting = 1;
    tx_sfd_rise = tx_sfd_fall = 0;
    cc2420_csn_low();
    cc2420_spi(cca ? STXONCCA : STXON);
    uint16_t strobed = TBR; /* the radio acted on the strobe as its last bit went in */
    cc2420_csn_high();
    energest_switch_at(ENERGEST_LISTEN, ENERGEST_TX, strobed); /* TX calibration counts as TX */
    cc2420_bus_unlock(lk);

    int rc = CC2420_OK;
    if (!(status() & ST_TX_ACTIVE)) {
        rc = CC2420_ERR_BUSY;
    } else {
        tx_sleep();
        /* TX_ACTIVE from the strobe to the frame's end (the longest lasts 4.5 ms): after the sleep
         * this ends at once; it polls when the caller cannot sleep, up to the timeout */
        while (((P4IN & SFD_BIT) || (status() & ST_TX_ACTIVE)) && !(TBCCTL2 & CCIFG)) {
        }
        if (status() & (ST_TX_UNDERFLOW | ST_TX_ACTIVE))
            rc = CC2420_ERR_TX;
    }
    transmitting = 0;
    /* TX ends at the frame's last bit (SFD's fall), or now when there was none */
    energest_switch_at(ENERGEST_TX, ENERGEST_LISTEN, rc == CC2420_OK && tx_sfd_fall != 0 ? tx_sfd_fall : TBR);
    if (!listening) {
        strobe(SRFOFF); /* after a transmission the radio listens: keep it off if it was */
        energest_off(ENERGEST_LISTEN);
    }
    return rc;
}

int cc2420_resend(void)
{
    return tx_start(cc2420_bus_lock(), 0); /* the TXFIFO keeps the frame after sending it */
}

void cc2420_last_tx_sfd(uint16_t *rise, uint16_t *fall)
{
    *rise = tx_sfd_rise;
    *fall = tx_sfd_fall;
}

void cc2420_last_sfd(uint16_t *rise, uint16_t *fall)
{
    uint16_t sr = irq_save_disable();
    *rise = sfd_rise;
    *fall = sfd_fall;
    irq_restore(sr);
}

/* ---- receive */
uint8_t cc2420_pending(void) { return rxq_count; }
uint16_t cc2420_rx_dropped(void) { return rx_dropped; }
void cc2420_set_rx_callback(cc2420_rx_fn fn) { rx_callback = fn; }

int cc2420_read(uint8_t *buf, uint8_t max, cc2420_rx_info_t *info)
{
    uint8_t lk = cc2420_bus_lock();
    if (rxq_count == 0) {
        cc2420_bus_unlock(lk);
        return -1;
    }
    rx_slot_t *s = rxq_head;
    int n = s->len;
    if (buf && n > max) {
        n = CC2420_ERR_LEN;
    } else {
        if (buf)
            memcpy(buf, s->data, s->len);
        if (info)
            *info = s->info;
    }
    rxq_head = rxq_next(s);
    rxq_count--;
    cc2420_bus_unlock(lk);
    return n;
}

/* The next n bytes of the open RXFIFO read into dst, two bytes in flight: USART0's transmit buffer
 * holds the next dummy byte while the current one shifts, so the poll for a byte overlaps the
 * transfer of the next one. A byte in the shift register completes 16 SMCLK cycles after the one
 * before it, which must be read by then or it is overrun: interrupts are held off for one burst of
 * at most RX_BURST bytes. UART1's handler must read each byte within one character time (339 cycles
 * at 115200 baud) of its arrival, and this burst adds to the other stretches with interrupts off
 * (energest's stamp, the entry and exit code of handlers of higher priority): with 8-byte bursts
 * (200 cycles) a border router streamed SLIP while it read frames waited up to 333 cycles, and lost
 * a byte of the host's datagram now and then with no OE to show it (URXIFG clears at acceptance);
 * with 2 it waits at most 214 (tests/net/test_net_br_load.py). */
#define RX_BURST 2u
static void spi_read(uint8_t *dst, uint8_t n)
{
    while (n) {
        uint8_t k = n < RX_BURST ? n : RX_BURST;
        n = (uint8_t)(n - k);
        uint8_t *last = dst + k - 1;
        uint16_t sr = irq_save_disable();
        U0TXBUF = 0;
        while (!(IFG1 & UTXIFG0)) { /* the first byte moved into the shift register */
        }
        while (dst != last) {
            U0TXBUF = 0; /* queued behind the byte shifting now */
            while (!(IFG1 & URXIFG0)) {
            }
            *dst++ = U0RXBUF; /* the queued byte starts shifting as this one completes */
        }
        while (!(IFG1 & URXIFG0)) {
        }
        *dst++ = U0RXBUF;
        irq_restore(sr);
    }
}

/* Read one frame from the RXFIFO into the queue (interrupts are off). rise/fall: its SFD pulse. */
static void read_frame(uint16_t rise, uint16_t fall)
{
    cc2420_csn_low();
    cc2420_spi(RXFIFO | REG_READ);
    uint8_t len = cc2420_spi(0) & 0x7Fu;
    if (len < 3) { /* no room for RSSI/CRC bytes: garbage, resynchronise */
        cc2420_csn_high();
        flush_rx();
        rx_dropped++;
        return;
    }
    rx_slot_t *s = 0;
    if (rxq_count < CC2420_RX_QUEUE) {
        s = rxq_head;
        for (uint8_t k = rxq_count; k; k--)
            s = rxq_next(s);
    }
    uint8_t n = (uint8_t)(len - 2u);
    if (s) {
        spi_read(s->data, n);
    } else { /* no room: read and dropped */
        for (uint8_t i = 0; i < n; i++)
            cc2420_spi(0);
    }
    uint8_t tail[2]; /* RSSI, CRC-OK and correlation */
    spi_read(tail, 2);
    int8_t rssi = (int8_t)tail[0];
    uint8_t crc_corr = tail[1];
    cc2420_csn_high();
    if (!s) {
        rx_dropped++;
        return;
    }
    s->len = n;
    s->info.rssi_dbm = (int8_t)(rssi - 45);
    s->info.crc_ok = (crc_corr & 0x80u) != 0;
    s->info.corr = crc_corr & 0x7Fu;
    s->info.sfd_time = rise;
    s->info.sfd_ticks = (uint16_t)(fall - rise);
    rxq_count++;
    /* the radio acknowledged it on its own (same conditions as the chip: ack requested, not an ack) */
    if (autoacking && s->info.crc_ok && n >= 2 && (s->data[0] & 0x20u) && (s->data[0] & 7u) != 2u)
        energest_move(ENERGEST_LISTEN, ENERGEST_TX, ACK_TX_US);
}

static int rx_in_progress(void)
{
    /* SFD high while not transmitting: a frame is still arriving behind the complete ones */
    return (P4IN & SFD_BIT) && !(status() & ST_TX_ACTIVE);
}

/* Move complete frames from the RXFIFO to the queue (interrupts off). */
static void drain(void)
{
    if ((P1IN & CC2420_FIFOP_BIT) && !(P1IN & FIFO_BIT)) { /* RXFIFO overflow */
        flush_rx();
        rx_dropped++;
        return;
    }
    /* The SFD capture of the newest complete frame (Timer_B's interrupt has the higher priority). */
    uint16_t rise = sfd_rise, fall = sfd_fall;
    /* FIFOP means the newest frame is complete: so is everything before it. */
    uint8_t first = 1;
    while ((P1IN & FIFO_BIT) && (first || !rx_in_progress())) {
        read_frame(rise, fall);
        first = 0;
    }
}

static uint8_t paused;

void cc2420_rx_pause(int pause)
{
    uint8_t lk = cc2420_bus_lock();
    paused = pause != 0;
    if (paused)
        return; /* stays masked */
    P1IFG &= (uint8_t)~CC2420_FIFOP_BIT;
    if (P1IN & CC2420_FIFOP_BIT)
        drain();
    (void)lk;
    P1IE |= CC2420_FIFOP_BIT;
}

/* A wake-up handler: main() sleeping in sky_sleep() runs again once a frame is queued and left there
 * by the rx callback (one that takes every frame, e.g. to count them, keeps main() asleep). The frames
 * are read with interrupts enabled (FIFOP itself masked), so UART1 bytes are not overrun meanwhile. */
SKY_WAKEUP_ISR(SKY_VECTOR_PORT1, cc2420_fifop_isr)
{
    if (!(P1IFG & CC2420_FIFOP_BIT))
        return;
    P1IE &= (uint8_t)~CC2420_FIFOP_BIT;
    P1IFG &= (uint8_t)~CC2420_FIFOP_BIT;
    irq_enable();
    drain();
    irq_disable();
    if (!paused)
        P1IE |= CC2420_FIFOP_BIT;
    if (rx_callback)
        rx_callback();
    if (rxq_count)
        sky_wake_main();
}

/* A wake-up handler only for its entry/exit code (energest: it may run while main() sleeps). */
SKY_WAKEUP_ISR(SKY_VECTOR_TIMERB1, cc2420_sfd_isr)
{
    uint16_t iv = TBIV;
    if (iv == 0x04u) { /* CCR2: tx_sleep's timeout (reading TBIV cleared CCIFG: set for tx_start) */
        TBCCTL2 = CCIFG;
        tx_wait_done();
        return;
    }
    if (iv != 0x02u)
        return;
    uint16_t t = TBCCR1;
    int rising = (TBCCTL1 & CCI) != 0;
    if (rising) {
        sfd_rise = t;
        if (transmitting)
            tx_sfd_rise = t;
    } else {
        sfd_fall = t;
        if (transmitting) {
            tx_sfd_fall = t;
            tx_wait_done();
        }
    }
}

int8_t cc2420_rssi_dbm(void) { return (int8_t)((int8_t)(reg_read(RSSI) & 0xFFu) - 45); }

int cc2420_cca(void) { return (P1IN & CCA_BIT) != 0; }

int cc2420_rssi_valid(void) { return (status() & ST_RSSI_VALID) != 0; }

int cc2420_sfd(void) { return (P4IN & SFD_BIT) != 0; }
