/* periph_usart.h — USART0 (U0CTL.. 0x70-0x77) and USART1 (U1CTL.. 0x78-0x7F) in UART and SPI-master
 * mode. Enables in ME1/ME2 (UTXEx, URXEx/USPIEx), interrupt enables/flags in IE1/IFG1 (USART0) and
 * IE2/IFG2 (USART1); vectors USART0 RX 0xFFF2 / TX 0xFFF0, USART1 RX 0xFFE6 / TX 0xFFE4 (flags
 * auto-clear on acceptance).
 *
 * Character time: UART = (1 start + 7/8 data + parity + 1/2 stop) bits, each bit UBR (+1 when the
 * UMCTL bit for that bit position, LSB first from the start bit, is set) BRCLK periods; SPI = 8 bits
 * of UBR BRCLK periods. BRCLK per SSEL: 0 UCLKI (external: never ticks), 1 ACLK, 2/3 SMCLK.
 *
 * TX: every character leaving the shift register (UART mode) is passed at its last stop bit to
 * mote_serial_out(m, usart, byte) (the host-side buffer Python drains with mote_serial_take) and to
 * the optional listener below. RX: uart_rx_byte() delivers a byte now (RXBUF, URXIFG, OE on
 * overrun); uart_rx_push() queues bytes that the USART receives one per character time, paced at the
 * current baud rate, starting no earlier than one character time after the previous reception; while
 * the receiver is off (SWRST, URXEx = 0, PUC) queued bytes wait "on the wire" instead of being lost.
 * A character being shifted keeps its remaining BRCLK ticks across clock changes and stalls while its
 * clock is gated (SMCLK in LPM2-4), as on the chip.
 *
 * SPI master (SYNC = 1, MM = 1): a write to TXBUF starts an 8-bit transfer when the shift register is
 * free; after 8 bit times the attached device's exchange(mosi) returns the MISO byte into RXBUF
 * (URXIFG). USART0 on the Sky: P3.1 SIMO, P3.2 SOMI, P3.3 UCLK -> the CC2420.
 */
#ifndef ESSE_PERIPH_USART_H
#define ESSE_PERIPH_USART_H
#include <stddef.h>
#include "mote.h"

#define UART_RX_QUEUE_SIZE 4096u

/* TX listener: byte finished shifting out at cycle `cycle` (== m->now when called). */
typedef void (*uart_tx_fn)(mote_t *m, void *ctx, int usart, uint8_t byte, uint64_t cycle);
int uart_set_tx_listener(mote_t *m, int usart, uart_tx_fn fn, void *ctx); /* -1: one is set (NULL clears) */
/* A second, independent slot for an observer that must not take the listener's (the VCD trace,
 * trace_vcd.h); called after the listener, same arguments. */
int uart_set_tx_tap(mote_t *m, int usart, uart_tx_fn fn, void *ctx); /* -1: one is set (NULL clears) */

uint64_t uart_tx_count(mote_t *m, int usart); /* characters transmitted since power-on */

/* RX. uart_rx_byte: 0 accepted, 1 accepted with overrun (previous byte lost, OE set),
 * -1 dropped (receiver disabled, SWRST, or SPI mode). */
int uart_rx_byte(mote_t *m, int usart, uint8_t byte);
size_t uart_rx_push(mote_t *m, int usart, const uint8_t *data, size_t len); /* returns bytes queued */
size_t uart_rx_queued(mote_t *m, int usart);
/* Earliest cycle at which the next received byte may complete without overlapping the previous one
 * (pacing for external feeders calling uart_rx_byte at completion times). */
uint64_t uart_rx_ready_cycle(mote_t *m, int usart);
/* Duration of one character with the current settings, in cycles (0 if BRCLK never ticks). */
uint64_t uart_char_cycles(mote_t *m, int usart);
/* UART-mode receive health since power-on: the longest a character waited in RXBUF before the
 * firmware read it (cycles), and the characters lost unread under a newer one. A loss counts whether
 * or not the firmware could see it: URXIFG clears when the interrupt is accepted, so a handler that
 * reads RXBUF more than a character time after that loses the byte without OE. */
void uart_rx_health(mote_t *m, int usart, uint64_t *max_wait, uint64_t *lost);

/* SPI devices: exchange() is called at the end of each 8-bit transfer with m->now at that time.
 * Up to SPI_MAX_DEVICES share a bus (Sky USART0: the CC2420, CSn P4.2, and the M25P80 flash, S P4.4);
 * each one watches its own chip select and returns 0 when deselected; MISO is the OR of the returns
 * (0xFF with no device attached). */
#define SPI_MAX_DEVICES 4
typedef uint8_t (*spi_exchange_fn)(mote_t *m, void *ctx, uint8_t mosi);
int spi_attach(mote_t *m, int usart, spi_exchange_fn exchange, void *ctx); /* -1: bus full or device already on it; NULL detaches all */

/* DMA controller (periph_dma.c): the set of watched triggers changed (bit t: DMAxTSEL t). */
void usart_dma_watch(mote_t *m, unsigned watch);

void usart_attach(mote_t *m);
void usart_reset(mote_t *m, int por);
void usart_detach(mote_t *m);
#endif
