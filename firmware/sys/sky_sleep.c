/*
 * sky_sleep.c - low-power sleep and wake-up (see sky.h).
 *
 * __sky_wake_flag is sticky: set by sky_wake_main() in an interrupt handler, read by the entry
 * code of SKY_WAKEUP_ISR handlers (which then clear the LPM bits of the saved SR), cleared
 * when sky_sleep() returns. Checking it with interrupts off and entering the low-power mode
 * together with GIE in one instruction closes the window between "no work" and "asleep".
 */
#include <msp430.h>

#include "energest.h"
#include "irq.h"
#include "sky.h"

volatile uint8_t __sky_wake_flag;

void sky_wake_main(void)
{
    __sky_wake_flag = 1;
}

void sky_sleep(uint16_t mode)
{
    if (mode & SCG1) {
        while (!(U1TCTL & TXEPT)) { /* SMCLK stops: let the last byte leave */
        }
    }
    energest_settle();
    irq_disable();
    if (!__sky_wake_flag) {
        energest_sleep(mode);
        __asm__ volatile("bis %0, r2\n\tnop" : : "r"((uint16_t)(mode | GIE)) : "memory");
    }
    irq_disable();
    __sky_wake_flag = 0;
    irq_enable();
    energest_wake(); /* normally done already by the interrupt's exit code */
}
