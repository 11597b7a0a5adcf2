/* slipif.c — see slipif.h. */
#include "slipif.h"
#include "ipv6.h"

static uint8_t rx_buf[NET_BUF_SIZE];
static slip_decoder_t decoder;
static slip_putc_fn out_putc;

void slipif_init(slip_putc_fn putc)
{
    out_putc = putc;
    slip_decoder_init(&decoder, rx_buf, sizeof rx_buf);
}

int slipif_output(const uint8_t *pkt, uint16_t len)
{
    if (!out_putc)
        return -1;
    slip_send(pkt, len, out_putc);
    return 0;
}

void slipif_input_byte(uint8_t c)
{
    uint16_t n = slip_decode_byte(&decoder, c);
    if (n)
        ipv6_input(rx_buf, n, 0);
}

#if (SLIPIF_RX_RING & (SLIPIF_RX_RING - 1u)) != 0 || SLIPIF_RX_RING > 32768u
#error "SLIPIF_RX_RING must be a power of two, at most 32768"
#endif

static volatile uint8_t ring[SLIPIF_RX_RING];
static volatile uint16_t ring_head, ring_tail; /* 16-bit: one MSP430 access, atomic against the ISR */
static volatile uint16_t overruns;

void slipif_rx_irq(uint8_t c)
{
    uint16_t next = (uint16_t)((ring_head + 1u) & (SLIPIF_RX_RING - 1u));
    if (next != ring_tail) {
        ring[ring_head] = c;
        ring_head = next;
    } else {
        overruns++;
    }
}

int slipif_poll(void)
{
    while (ring_tail != ring_head) {
        uint8_t c = ring[ring_tail];
        ring_tail = (uint16_t)((ring_tail + 1u) & (SLIPIF_RX_RING - 1u));
        uint16_t n = slip_decode_byte(&decoder, c);
        if (n) {
            ipv6_input(rx_buf, n, 0);
            return ring_tail != ring_head;
        }
    }
    return 0;
}

uint16_t slipif_errors(void) { return decoder.errors; }

uint16_t slipif_overruns(void) { return overruns; }
