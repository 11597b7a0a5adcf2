/*
 * slipif.h — an IPv6 interface over a SLIP serial line (RFC 1055): raw IPv6 datagrams, one per frame.
 * The border router's host side, and the link of a CCS attached to the host directly by UART.
 */
#ifndef SLIPIF_H
#define SLIPIF_H

#include <stdint.h>
#include "slip.h"

#ifndef SLIPIF_RX_RING
#define SLIPIF_RX_RING 128u /* power of two, <= 32768: 128 B is about 11 ms of 115200 baud */
#endif

/* putc writes one byte to the serial line (blocking). */
void slipif_init(slip_putc_fn putc);
/* An ipv6_output_fn: send one datagram. */
int slipif_output(const uint8_t *pkt, uint16_t len);
/* Feed one received byte (from the main loop, not the UART interrupt); a completed frame goes to
 * ipv6_input with no link-layer sender. */
void slipif_input_byte(uint8_t c);
/* For a UART receive interrupt: queue one byte (SLIPIF_RX_RING bytes; beyond that bytes are lost and
 * the frame fails upstream). slipif_poll() from the main loop decodes what is queued, up to one
 * datagram, and returns nonzero when bytes are left: a host streaming datagrams must not keep the
 * main loop from the radio (whose frames wait in a small queue meanwhile). */
void slipif_rx_irq(uint8_t c);
int slipif_poll(void);

/* Frames dropped (bad escapes, oversize) so far. */
uint16_t slipif_errors(void);
/* Bytes lost because the receive ring was full (the frame they belonged to fails upstream). */
uint16_t slipif_overruns(void);

#endif
