/*
 * irq.h - global interrupt enable (GIE) control for the MSP430.
 *
 * irq_save_disable() returns the status register and clears GIE; irq_restore() puts it back.
 * The NOPs follow the family user's guide: DINT takes effect one instruction late, and an
 * instruction right after EINT may already be interrupted.
 */
#ifndef ESSE_IRQ_H
#define ESSE_IRQ_H

#include <stdint.h>

#ifdef __MSP430__
static inline uint16_t irq_save_disable(void)
{
    uint16_t sr;
    __asm__ volatile("mov r2, %0\n\tdint\n\tnop" : "=r"(sr) : : "memory");
    return sr;
}

static inline void irq_restore(uint16_t sr)
{
    __asm__ volatile("nop\n\tmov %0, r2\n\tnop" : : "r"(sr) : "memory");
}

static inline void irq_enable(void)
{
    __asm__ volatile("nop\n\teint\n\tnop" : : : "memory");
}

static inline void irq_disable(void)
{
    __asm__ volatile("dint\n\tnop" : : : "memory");
}
#else /* host builds of the portable parts (tests): no interrupts to mask */
static inline uint16_t irq_save_disable(void) { return 0; }
static inline void irq_restore(uint16_t sr) { (void)sr; }
static inline void irq_enable(void) {}
static inline void irq_disable(void) {}
#endif

#endif /* ESSE_IRQ_H */
