/*
 * cc2420.h - driver for the CC2420 802.15.4 radio of the Tmote Sky (written from the CC2420 datasheet).
 *
 * Wiring: SPI on USART0 (P3.1 SIMO, P3.2 SOMI, P3.3 UCLK, SMCLK/2), CSn P4.2, VREG_EN P4.5, RESETn P4.6;
 * FIFOP P1.0 (rising-edge interrupt), FIFO P1.3, CCA P1.4, SFD P4.1 (Timer_B CCR1 capture, both edges,
 * Timer_B continuous on SMCLK: SFD timestamps). The driver owns USART0, the PORT1 vector (P1.0) and
 * Timer_B.
 *
 * Frames: the caller passes MPDUs without FCS; the radio appends the FCS (MDMCTRL0.AUTOCRC) on TX and
 * replaces it with RSSI and CRC-OK/correlation on RX. Received frames are read from the RXFIFO in the
 * FIFOP interrupt into a small queue (CC2420_RX_QUEUE frames); cc2420_read() takes them out.
 *
 * Every SPI transaction from the main loop runs with the FIFOP interrupt masked (the FIFOP handler is
 * the only other user of the bus and the queue), not with all interrupts off; the handler itself reads
 * frames with interrupts enabled. So UART and timer interrupts are served during transfers of up to
 * ~1 ms (a 115200-baud UART byte lasts 87 us). The FIFOP handler is a SKY_WAKEUP_ISR: a queued frame
 * wakes main() from sky_sleep(). Call nothing here from other interrupt handlers except the rx
 * callback's own work (it runs at the end of the FIFOP interrupt, interrupts off).
 */
#ifndef ESSE_CC2420_H
#define ESSE_CC2420_H

#include <stdint.h>

#define CC2420_MAX_PSDU 127u                  /* length field limit (MPDU incl. FCS) */
#define CC2420_MAX_MPDU (CC2420_MAX_PSDU - 2u) /* what cc2420_send() accepts */
#ifndef CC2420_RX_QUEUE /* frames the FIFOP interrupt queues while main() is busy elsewhere */
#define CC2420_RX_QUEUE 3u
#endif

/* Return codes */
#define CC2420_OK 0
#define CC2420_ERR_LEN (-1)     /* frame too long / bad argument */
#define CC2420_ERR_BUSY (-2)    /* STXONCCA refused: channel not clear */
#define CC2420_ERR_TX (-3)      /* underflow or the frame never started/ended */
#define CC2420_ERR_CHIP (-4)    /* init: oscillator did not start or no chip answers */

typedef struct {
    uint8_t crc_ok;    /* FCS verified by the radio */
    int8_t rssi_dbm;   /* RSSI_VAL + offset (-45) */
    uint8_t corr;      /* correlation value 0..127 (LQI source) */
    uint16_t sfd_time;  /* Timer_B (SMCLK) at the SFD rising edge */
    uint16_t sfd_ticks; /* SFD pulse length (SFD received to last byte), Timer_B ticks */
} cc2420_rx_info_t;

/* Power up (VREG_EN, RESETn pulse), start the oscillator, check the chip answers (a register reads
 * back what was written), set defaults: AUTOCRC on, address recognition and auto-ack off, channel 26,
 * PAN 0xFFFF, short 0xFFFF, radio off (idle). */
int cc2420_init(void);
/* How many times cc2420_init() ran (wraps at 256): state kept in the chip (the SAES keys and key
 * selection, cc2420_saes.h) is to be set again when it changes. */
uint8_t cc2420_inits(void);

void cc2420_set_channel(uint8_t channel); /* 11..26; recalibrates when listening */
uint8_t cc2420_get_channel(void);
void cc2420_set_pan_id(uint16_t pan);
void cc2420_set_short_addr(uint16_t addr);
void cc2420_set_ext_addr(const uint8_t addr[8]); /* as it appears in frames (least significant byte first) */
/* Hardware address recognition (MDMCTRL0.ADR_DECODE) and automatic acknowledgements (AUTOACK). */
void cc2420_set_address_filter(int enable, int autoack, int pan_coordinator);
/* Frame-pending bit of automatic acknowledgements (SACKPEND sets it, SACK clears it). Issued while a
 * frame is being received, the strobe also acknowledges that frame (datasheet behaviour). */
void cc2420_set_ack_pending(int pending);

void cc2420_on(void);  /* receive (SRXON) */
void cc2420_off(void); /* idle (SRFOFF), oscillator kept running */
int cc2420_is_on(void);

/* Transmit one MPDU (len <= CC2420_MAX_MPDU, FCS added by the radio). With cca, the radio must listen
 * (turned on for the attempt if off) and the frame goes out only on a clear channel. Returns once the
 * last byte is on the air: CC2420_OK or CC2420_ERR_*. The radio is left as it was (on/off).
 * Called with interrupts enabled, it sleeps in LPM0 while the frame is on the air (until SFD's fall,
 * Timer_B CCR2 bounding the wait at 10 ms); a wake-up of main() by another handler meanwhile ends the
 * sleep (the rest is polled) and is handed back, so main()'s next sky_sleep() returns at once. */
int cc2420_send(const uint8_t *mpdu, uint8_t len, int cca);
/* The last frame again, straight from the TXFIFO (no CCA); same results as cc2420_send(). */
int cc2420_resend(void);
/* Timer_B timestamps (SMCLK ticks) of the SFD edges of the last transmitted frame. */
void cc2420_last_tx_sfd(uint16_t *rise, uint16_t *fall);
/* Timer_B timestamps of the last SFD pulse seen (received or transmitted frame). */
void cc2420_last_sfd(uint16_t *rise, uint16_t *fall);

/* Frames received and not yet read. */
uint8_t cc2420_pending(void);
/* Copy the oldest received MPDU (without FCS) into buf; returns its length, or -1 when none, or
 * CC2420_ERR_LEN when buf is too small (the frame is dropped). info may be NULL. buf NULL: the frame
 * is taken out without a copy (a caller that needs only its info, e.g. to count frames). */
int cc2420_read(uint8_t *buf, uint8_t max, cc2420_rx_info_t *info);
/* Called in the FIFOP interrupt after frames were queued (e.g. to count or take them there). main()
 * is woken afterwards only when frames are still queued. */
typedef void (*cc2420_rx_fn)(void);
void cc2420_set_rx_callback(cc2420_rx_fn fn);
/* Flow control: while paused, the FIFOP interrupt is off and frames stay in the RXFIFO (128 bytes;
 * beyond that the radio overflows and stops receiving). Resuming drains it; after an overflow the
 * whole RXFIFO is flushed (its frames count as dropped). */
void cc2420_rx_pause(int pause);

int8_t cc2420_rssi_dbm(void); /* current RSSI (valid 8 symbols after listening starts) */
int cc2420_cca(void);         /* CCA pin: 1 = channel clear */
int cc2420_rssi_valid(void);  /* listening long enough for RSSI and CCA to mean something */
int cc2420_sfd(void);         /* SFD pin: a frame is on the air (being received or sent) */
uint16_t cc2420_rx_dropped(void); /* frames lost to a full queue, overflows or bad lengths */

#endif /* ESSE_CC2420_H */
