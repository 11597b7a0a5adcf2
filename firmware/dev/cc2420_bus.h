/*
 * cc2420_bus.h - the CC2420's SPI bus on USART0 and its exclusion rule, shared by the radio driver
 * (cc2420.c) and the drivers of the chip's other functions (cc2420_saes.c). Main context only.
 *
 * The FIFOP handler is the only interrupt handler that uses the bus (it reads frames from the RXFIFO),
 * so main-context code excludes it by masking the FIFOP interrupt, not all interrupts: the UART1
 * receiver (a byte every 87 us at 115200 baud, one byte of buffer) and the timers keep running during
 * transfers of up to a millisecond. An edge that comes while masked stays in P1IFG and is taken at the
 * unmask. Every transaction (CSn low ... CSn high) of main-context code runs between
 * cc2420_bus_lock() and cc2420_bus_unlock(), so it never interleaves with the handler's.
 */
#ifndef ESSE_CC2420_BUS_H
#define ESSE_CC2420_BUS_H

#include <msp430.h>
#include <stdint.h>

#define CC2420_FIFOP_BIT 0x01u /* P1.0 */
#define CC2420_CSN_BIT 0x04u   /* P4.2 */

/* Plain static (not inline) like the driver's own copies were: the compiler decides, as before;
 * `unused` because a file may use only some of them. */
#define CC2420_BUS_FN static __attribute__((unused))

/* Mask the FIFOP interrupt; returns whether it was enabled (for cc2420_bus_unlock). */
CC2420_BUS_FN uint8_t cc2420_bus_lock(void)
{
    uint8_t was = P1IE & CC2420_FIFOP_BIT;
    P1IE &= (uint8_t)~CC2420_FIFOP_BIT;
    return was;
}

CC2420_BUS_FN void cc2420_bus_unlock(uint8_t was)
{
    if (was)
        P1IE |= CC2420_FIFOP_BIT;
}

/* One byte out on SI, the byte on SO back (SPI master, mode 0, SMCLK/2). */
CC2420_BUS_FN uint8_t cc2420_spi(uint8_t b)
{
    U0TXBUF = b;
    while (!(IFG1 & URXIFG0)) {
    }
    return U0RXBUF;
}

static inline void cc2420_csn_low(void) { P4OUT &= (uint8_t)~CC2420_CSN_BIT; }
static inline void cc2420_csn_high(void) { P4OUT |= CC2420_CSN_BIT; }

#endif /* ESSE_CC2420_BUS_H */
