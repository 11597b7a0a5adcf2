/*
 * emutest_dma - the DMA controller driven by compiled code on the real board layer.
 *
 * 1. A block copy of 16 words on DMAREQ (block mode), checked against the source: "copy ok".
 * 2. A line sent over UART1 by channel 1, one byte per UTXIFG1 edge (single transfers); the first
 *    edge is made by clearing and setting UTXIFG1 in software.
 * 3. After "ready", five bytes received over UART1 by channel 2, one per URXIFG1 edge (URXIE1 stays
 *    off: an enabled interrupt would keep the flag from triggering), echoed as "rx <bytes>".
 * 4. A chain: channel 0's DMA0IFG (trigger 14) starts channel 1's block, whose DMAIFG interrupts on
 *    0xFFE0; the handler counts and clears it: "chain ok 1".
 */
#include <msp430.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sky.h"

static uint16_t src[16], mid[16], dst[16];
static char rx[6];
static const char line[] = "dma line over uart1\n";
volatile uint16_t emutest_dma_irqs;
void emutest_dma_isr(void);

/* DMAIFG is not cleared by the interrupt's acceptance (the vector is shared with the DAC12). */
__asm__(".section .text.emutest_dma_isr,\"ax\",@progbits\n"
        ".globl emutest_dma_isr\n"
        "emutest_dma_isr:\n"
        "    bic #0x0008, &0x01e8\n" /* DMA1CTL: DMAIFG */
        "    inc &emutest_dma_irqs\n"
        "    reti\n"
        ".text\n");

__attribute__((section("__interrupt_vector_1"), used)) static void (*const dma_vector)(void) = emutest_dma_isr;

static void uart_drain(void)
{
    while (!(U1TCTL & TXEPT)) {
    }
}

int main(void)
{
    sky_init();
    for (unsigned i = 0; i < 16; i++)
        src[i] = (uint16_t)(0x1111u * i + 7u);

    DMA0SA = (uintptr_t)src;
    DMA0DA = (uintptr_t)dst;
    DMA0SZ = 16;
    DMA0CTL = DMADT_1 | DMASRCINCR_3 | DMADSTINCR_3 | DMAEN;
    DMA0CTL |= DMAREQ;
    printf("copy %s\n", memcmp(src, dst, sizeof src) == 0 ? "ok" : "bad");
    uart_drain();

    DMACTL0 = DMA1TSEL_10;
    DMA1SA = (uintptr_t)line;
    DMA1DA = (uintptr_t)&U1TXBUF;
    DMA1SZ = sizeof line - 1;
    DMA1CTL = DMADT_0 | DMASRCINCR_3 | DMASBDB | DMAEN;
    IFG2 &= (uint8_t)~UTXIFG1;
    IFG2 |= UTXIFG1;
    while (DMA1CTL & DMAEN) {
    }
    uart_drain();

    DMACTL0 = DMA2TSEL_9;
    DMA2SA = (uintptr_t)&U1RXBUF;
    DMA2DA = (uintptr_t)rx;
    DMA2SZ = 5;
    DMA2CTL = DMADT_0 | DMADSTINCR_3 | DMASBDB | DMAEN;
    printf("ready\n");
    uart_drain();
    while (DMA2CTL & DMAEN) {
    }
    printf("rx %s\n", rx);
    uart_drain();

    memset(dst, 0, sizeof dst);
    DMACTL0 = DMA0TSEL_0 | DMA1TSEL_14;
    DMA0SA = (uintptr_t)src;
    DMA0DA = (uintptr_t)mid;
    DMA0SZ = 16;
    DMA1SA = (uintptr_t)mid;
    DMA1DA = (uintptr_t)dst;
    DMA1SZ = 16;
    DMA1CTL = DMADT_1 | DMASRCINCR_3 | DMADSTINCR_3 | DMAIE | DMAEN;
    DMA0CTL = DMADT_1 | DMASRCINCR_3 | DMADSTINCR_3 | DMAEN;
    __asm__ volatile("eint\n\tnop" ::: "memory");
    DMA0CTL |= DMAREQ;
    __asm__ volatile("nop" ::: "memory");
    printf("chain %s %u\n", memcmp(src, dst, sizeof src) == 0 ? "ok" : "bad", emutest_dma_irqs);
    uart_drain();
    for (;;) {
        __asm__ volatile("bis %0, r2\n\tnop" : : "i"(0x00D8) : "memory");
    }
}
