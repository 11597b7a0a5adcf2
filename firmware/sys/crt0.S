/*
 * crt0.S - reset entry for the MSP430F1611: stack, watchdog off, .data copied from its load
 * address in flash, .bss cleared, then main(). Also the trap every unused vector points at.
 * Timer_B is started on ACLK right away: sky_boot_ticks() reads the boot time from it.
 */
        .section .crt0.trap, "ax", @progbits
        .global __unexpected_trap
        .type   __unexpected_trap, @function
__unexpected_trap:                      /* at 0x4000: the fill value of empty vector slots */
        br      #__unexpected_interrupt
        .size   __unexpected_trap, .-__unexpected_trap

        .section .crt0.start, "ax", @progbits
        .global _start
        .type   _start, @function
_start:
        mov     #__stack, r1
        mov     #0x5a80, &0x0120        /* WDTCTL = WDTPW | WDTHOLD */
        mov     #0x0124, &0x0180        /* TBCTL = TBSSEL_1 | MC_2 | TBCLR: Timer_B counts ACLK
                                           from here, so the boot's length can be read (energest) */
        mov     #__data_load_start, r12
        mov     #__data_start, r13
        mov     #__data_end, r14
1:      cmp     r14, r13
        jhs     2f
        mov     @r12+, r15              /* word copy (2-aligned, even size); LLVM's assembler */
        mov     r15, 0(r13)             /* rejects the one-instruction @rN+ -> x(rM) form */
        incd    r13
        jmp     1b
2:      mov     #__bss_start, r13
        mov     #__bss_end, r14
3:      cmp     r14, r13
        jhs     4f
        clr     0(r13)
        incd    r13
        jmp     3b
4:      call    #main
        dint
5:      jmp     5b                      /* main returned: stop here */
        .size   _start, .-_start

        /* Default handler for an interrupt without a vector; a C function of the same
           name overrides it. Stops with interrupts off so a debugger finds the PC here. */
        .section .text.__unexpected_interrupt, "ax", @progbits
        .weak   __unexpected_interrupt
        .type   __unexpected_interrupt, @function
__unexpected_interrupt:
        dint
        nop
6:      jmp     6b
        .size   __unexpected_interrupt, .-__unexpected_interrupt

        .section __interrupt_vector_16, "ax", @progbits
        .word   _start
