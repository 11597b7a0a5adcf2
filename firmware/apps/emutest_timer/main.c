/*
 * emutest_timer - one wake-up per second from LPM3.
 *
 * The board layer runs Timer_A continuous on ACLK (its monotonic clock). This app adds a compare
 * on TACCR0, advanced by 32 768 ACLK ticks in each interrupt, whose handler clears the LPM bits of
 * the saved status register so main() runs once per second: it prints "wake <n>" and waits for
 * the UART's last stop bit (SMCLK, the UART clock, stops in LPM3) before sleeping again.
 */
#include <msp430.h>
#include <stdio.h>

#include "sky.h"

#define ONE_SECOND_ACLK 32768u
#define SR_LPM3_GIE 0x00D8u /* CPUOFF | SCG0 | SCG1 | GIE */

volatile uint16_t emutest_wakeups;
void emutest_ta0_isr(void);

/* The handler is assembly: it must clear CPUOFF/SCG0/SCG1/OSCOFF in the SR saved on the stack,
 * which sits at 0(SP) only because the handler pushes nothing. */
__asm__(".section .text.emutest_ta0_isr,\"ax\",@progbits\n"
        ".globl emutest_ta0_isr\n"
        "emutest_ta0_isr:\n"
        "    add #0x8000, &0x0172\n" /* TACCR0 += 32768: next second */
        "    inc &emutest_wakeups\n"
        "    bic #0x00f0, 0(r1)\n"   /* return to active mode */
        "    reti\n"
        ".text\n");

__attribute__((section("__interrupt_vector_7"), used)) static void (*const ta0_vector)(void) = emutest_ta0_isr;

static void uart_drain(void)
{
    while (!(U1TCTL & TXEPT)) {
    }
}

int main(void)
{
    sky_init();
    printf("emutest_timer dco_hz=%lu\n", (unsigned long)sky_dco_hz());
    uart_drain();
    TACCR0 = (uint16_t)(sky_clock_ticks() + ONE_SECOND_ACLK);
    TACCTL0 = CCIE;
    for (;;) {
        __asm__ volatile("bis %0, r2\n\tnop" : : "i"(SR_LPM3_GIE) : "memory");
        printf("wake %u\n", emutest_wakeups);
        uart_drain();
    }
}
