/* sky_uart.c - USART1 in UART mode on P3.6 (TXD) / P3.7 (RXD), clocked from SMCLK. */
#include <msp430.h>

#include "energest.h"
#include "sky.h"

static sky_uart_rx_fn rx_handler;
static volatile uint16_t rx_overruns;

void sky_uart1_init(uint32_t smclk_hz, uint32_t baud)
{
    uint16_t ubr;
    uint8_t umctl;
    sky_uart_divisor(smclk_hz, baud, &ubr, &umctl);
    U1CTL = SWRST;
    U1CTL = SWRST | CHAR; /* 8 data bits, no parity, 1 stop bit */
    U1TCTL = SSEL1;       /* BRCLK = SMCLK */
    U1RCTL = 0;
    U1BR0 = (uint8_t)ubr;
    U1BR1 = (uint8_t)(ubr >> 8);
    U1MCTL = umctl;
    ME2 |= UTXE1 | URXE1;
    P3SEL |= 0xC0u;
    P3DIR = (uint8_t)((P3DIR | 0x40u) & ~0x80u);
    U1CTL &= (uint8_t)~SWRST;
    if (rx_handler)
        IE2 |= URXIE1;
}

void sky_uart1_putc(char c)
{
    while (!(IFG2 & UTXIFG1)) {
    }
    U1TXBUF = (uint8_t)c;
    energest_uart_byte();
}

void sky_uart1_set_rx_handler(sky_uart_rx_fn fn)
{
    rx_handler = fn;
    if (fn)
        IE2 |= URXIE1;
    else
        IE2 &= (uint8_t)~URXIE1;
}

uint16_t sky_uart1_overruns(void) { return rx_overruns; }

SKY_WAKEUP_ISR(SKY_VECTOR_USART1RX, sky_uart1_rx_isr)
{
    if (U1RCTL & OE) /* a byte came before its predecessor was read: that one is lost */
        rx_overruns++;
    uint8_t byte = U1RXBUF; /* reading clears URXIFG1 and OE */
    if (rx_handler)
        rx_handler(byte);
    sky_wake_main();
}
