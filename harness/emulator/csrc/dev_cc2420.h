/*
 * dev_cc2420.h — the Chipcon/TI CC2420 2.4 GHz IEEE 802.15.4 transceiver of the Tmote Sky, as an
 * external device of one emulated mote (written from the CC2420 datasheet, SWRS041).
 *
 * Wiring (Tmote Sky): SPI on USART0 (P3.1 SIMO, P3.2 SOMI, P3.3 UCLK), CSn P4.2, VREG_EN P4.5,
 * RESETn P4.6 (MCU outputs the model listens to); FIFOP P1.0, FIFO P1.3, CCA P1.4, SFD P4.1 (radio
 * outputs, P4.1 also Timer_B CCI1A). The model sees each SPI byte through the USART0 exchange
 * callback and frames SPI transactions with CSn edges.
 *
 * Time: the radio keeps its own schedule in simulated nanoseconds (clk_now_ns) and maps every
 * deadline to MCLK cycles with clk_cycle_at_ns(), re-mapping its pending events when the DCO changes,
 * so air times are exact whatever the CPU clock does. 802.15.4 at 2.4 GHz: 1 symbol = 16 us,
 * 1 byte = 2 symbols = 32 us.
 *
 * The air, seen from the simulation (the medium decides who hears what):
 *  - TX: when the radio commits to a transmission (STXON, STXONCCA with a clear channel, or an
 *    acknowledgement), it calls the TX callback once with the PSDU (MPDU incl. the 2-byte FCS, which
 *    the radio computed when MDMCTRL0.AUTOCRC is set), the channel, the time the preamble starts
 *    (12 symbol periods after the strobe) and the time the last bit leaves. The frame is taken from
 *    the TXFIFO at the strobe, so receivers get 192 us + the SHR of lead time.
 *  - RX: cc2420_receive() puts a frame on the air at this radio (any channel; any time not in the
 *    past of this mote). While on the air on the radio's channel it counts as channel energy (CCA,
 *    RSSI); if the radio is searching for a SFD when the frame's SFD has arrived, on that channel,
 *    not already receiving and without RXFIFO overflow, it receives it byte by byte (32 us/byte).
 *  - cc2420_set_noise_dbm()/cc2420_set_channel_busy(): extra energy on the channel (interference).
 *
 * Power tracker: component "radio" with modes off (VREG off), powerdown (VREG on, oscillator off),
 * idle (oscillator on), listen (RX, calibration included), transmit (from the TX strobe to the last
 * bit on air, acknowledgements included).
 *
 * Stand-alone encryption (SAES): the SAES strobe encrypts SABUF (RAM 0x120) in place with KEY0 (0x100)
 * or KEY1 (0x130) as SECCTRL0.SEC_SAKEYSEL selects (AES-128, FIPS-197; key and block stored reversed,
 * least significant byte at the lowest address), ENC_BUSY for CC2420_SAES_NS; strobes while busy,
 * without the oscillator or with MAIN.ENC_RESETN low are ignored (stats.saes_ignored).
 *
 * Not modelled: the in-line security operations (SRXDEC/STXENC are accepted and do nothing), the test
 * modes of MDMCTRL1 (buffered mode 0 only), SACK/SACKPEND outside a reception, and TXFIFO writes
 * after the strobe (the frame is taken at the strobe).
 */
#ifndef ESSE_DEV_CC2420_H
#define ESSE_DEV_CC2420_H

#include <stdint.h>
#include "mote.h"

typedef struct cc2420 cc2420_t;

/* A frame put on the air by this radio. psdu: MPDU incl. FCS (len bytes, 1..127). channel: 11..26,
 * or -(2048 + FREQ) MHz when FSCTRL.FREQ is between channels. power: TXCTRL.PA_LEVEL (0..31, 31 =
 * 0 dBm). Called from inside mote_run(). */
typedef void (*cc2420_tx_fn)(void *ctx, cc2420_t *r, const uint8_t *psdu, unsigned len, int channel,
                             int power, uint64_t start_ns, uint64_t end_ns);

/* Attach a CC2420 to mote m (USART0 SPI device, port listener, component "radio"). Returns NULL
 * when USART0 already has a device or the port listeners are full. The mote does not own the
 * radio: free it with cc2420_free() only when neither will run again (the free touches only the
 * radio's memory, so the mote and the radio may be freed in either order). */
cc2420_t *cc2420_attach(mote_t *m);
void cc2420_free(cc2420_t *r);

void cc2420_set_tx_callback(cc2420_t *r, cc2420_tx_fn fn, void *ctx);

/* A frame on the air at this radio: preamble starts at start_ns (the sender's start_ns), standard
 * SHR (4 zero bytes + SFD), psdu = MPDU incl. FCS (len 1..127, the FCS is checked by the radio: a
 * corrupted frame reads CRC-OK = 0). rssi_dbm: received power; corr: correlation value 0..127
 * reported with the frame (typ. 110 for a strong signal). Returns 0, -1 bad length, -2 too many
 * frames on the air at once (CC2420_MAX_AIR). start_ns before the mote's present counts in
 * stats.rx_late (the simulation handed the frame over late: usually by a fraction of an instruction,
 * a running CPU's overshoot of its window): its energy starts now, and its SFD and end keep their
 * times unless the SFD is past too, then the whole frame starts now. The frame keeps the start_ns
 * given here as its identity for cc2420_corrupt(). */
#define CC2420_MAX_AIR 8
int cc2420_receive(cc2420_t *r, const uint8_t *psdu, unsigned len, int channel, int rssi_dbm, int corr,
                   uint64_t start_ns);

/* The frame on the air given to cc2420_receive() with this start_ns (as passed there, even when it
 * started late) is corrupted (e.g. by a collision the medium saw):
 * it reads CRC-OK = 0 and is not acknowledged. Returns 1 when applied, 0 when that frame is not on
 * the air at this radio or its last byte is already in the RXFIFO (call it before the frame ends). */
int cc2420_corrupt(cc2420_t *r, uint64_t start_ns);

/* Channel energy besides frames delivered with cc2420_receive(): a floor on every channel (default
 * -100 dBm) and a level per channel 11..26 (default none); busy = 1 puts 0 dBm on every channel. */
void cc2420_set_noise_dbm(cc2420_t *r, int dbm);
void cc2420_set_channel_energy(cc2420_t *r, int channel, int dbm);
void cc2420_set_channel_busy(cc2420_t *r, int busy);

/* Observation (no observable side effects: cc2420_rxfifo_count and cc2420_ram first push the received
 * bytes a sleeping CPU left pending, see dev_cc2420.c rx_lazy_plan). */
enum cc2420_state {
    CC2420_OFF = 0,       /* VREG_EN low */
    CC2420_VREG_STARTING,
    CC2420_POWER_DOWN,    /* regulator on, oscillator off (also while RESETn is low) */
    CC2420_XOSC_STARTING,
    CC2420_IDLE,
    CC2420_RX_CALIBRATE,  /* 12 symbols after SRXON / after a transmission */
    CC2420_RX_SEARCH,     /* looking for a SFD */
    CC2420_RX_FRAME,      /* receiving (or skipping a rejected frame) */
    CC2420_TX_CALIBRATE,  /* 12 symbols after STXON(CCA) */
    CC2420_TX_FRAME,      /* preamble, SFD and frame on the air */
    CC2420_ACK_CALIBRATE, /* 12 symbols after the end of an acknowledged frame */
    CC2420_ACK_FRAME
};
enum { CC2420_MODE_OFF = 0, CC2420_MODE_POWERDOWN, CC2420_MODE_IDLE, CC2420_MODE_LISTEN, CC2420_MODE_TRANSMIT };

int cc2420_state(const cc2420_t *r);
int cc2420_component(const cc2420_t *r);        /* index of the "radio" power-tracker component */
/* Whether a change of the CCA pin could interrupt the MCU now (its port pin has its interrupt enabled
 * or feeds a peripheral): the medium holds back energy changes for a sleeping mote only when not. */
int cc2420_cca_can_irq(const cc2420_t *r);
int cc2420_channel(const cc2420_t *r);          /* from FSCTRL.FREQ, see cc2420_tx_fn */
uint16_t cc2420_reg(const cc2420_t *r, int addr); /* register 0x10..0x30 */
uint8_t cc2420_ram(const cc2420_t *r, int addr);  /* RAM 0x000..0x16F */
uint8_t cc2420_status(const cc2420_t *r);         /* the SPI status byte: */
#define CC2420_ST_XOSC16M_STABLE 0x40u
#define CC2420_ST_TX_UNDERFLOW 0x20u
#define CC2420_ST_ENC_BUSY 0x10u /* a stand-alone encryption is running */
#define CC2420_ST_TX_ACTIVE 0x08u
#define CC2420_ST_LOCK 0x04u
#define CC2420_ST_RSSI_VALID 0x02u
int cc2420_rxfifo_count(const cc2420_t *r);
int cc2420_txfifo_count(const cc2420_t *r);
int cc2420_rx_overflow(const cc2420_t *r);
/* Pin levels as driven (after IOCFG0 polarity): bit 0 FIFOP, 1 FIFO, 2 CCA, 3 SFD. */
int cc2420_pins(const cc2420_t *r);

/* Counters since attach. */
typedef struct {
    uint64_t tx_frames;      /* frames emitted (acks included) */
    uint64_t tx_acks;        /* acknowledgements emitted */
    uint64_t tx_underflows;
    uint64_t cca_failures;   /* STXONCCA refused */
    uint64_t rx_frames;      /* frames completely received into the RXFIFO */
    uint64_t rx_crc_errors;  /* ... of which with a bad FCS */
    uint64_t rx_rejected;    /* dropped by address recognition */
    uint64_t rx_missed;      /* on the air on our channel but not received (not listening, busy) */
    uint64_t rx_overflows;
    uint64_t rx_late;        /* cc2420_receive() with start_ns already past: started late */
    uint64_t spi_bytes;
    uint64_t saes_blocks;    /* stand-alone encryptions completed */
    uint64_t saes_ignored;   /* SAES strobes ignored (busy, oscillator off, ENC_RESETN low) */
} cc2420_stats_t;
void cc2420_get_stats(const cc2420_t *r, cc2420_stats_t *out);

/* Datasheet timing used by the model (ns). */
#define CC2420_BYTE_NS 32000u         /* 250 kb/s */
#define CC2420_TURNAROUND_NS 192000u  /* 12 symbol periods */
#define CC2420_RSSI_VALID_NS 128000u  /* 8 symbol periods of reception */
#define CC2420_XOSC_STARTUP_NS 1000000u /* crystal oscillator start-up (datasheet typ. 1 ms) */
#define CC2420_VREG_STARTUP_NS 300000u  /* voltage regulator start-up (datasheet typ. 0.3 ms) */
#define CC2420_SAES_NS 14000u          /* stand-alone encryption of one block (datasheet Table 8) */
#define CC2420_RSSI_OFFSET_DBM (-45)  /* P = RSSI_VAL + RSSI_OFFSET */

#endif /* ESSE_DEV_CC2420_H */
