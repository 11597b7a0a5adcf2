/*
 * mspabi_divcore.S - unsigned restoring division cores for mspabi_div.c (clang's C for the
 * same loop is several times slower: it cannot keep the multi-word shift in the carry chain).
 *
 * Each step shifts the dividend's top bit (through the carry) into the partial remainder and
 * subtracts the divisor when it fits, setting the quotient bit in the dividend's freed low
 * bit; after all steps the dividend registers hold the quotient. Leading zero words of the
 * dividend are skipped first, which is only valid for a divisor != 0: the C callers handle 0.
 * After i steps the remainder is below 2^i, so its shift never carries out.
 *
 *   uint16_t mspabi_udivmod16(uint16_t n, uint16_t d, uint16_t *rem)   n R12, d R13, rem R14
 *   uint32_t mspabi_udivmod32(uint32_t n, uint32_t d, uint32_t *rem)   n R13:R12, d R15:R14,
 *                                                                       rem on the stack
 *   uint64_t mspabi_udivmod64(uint64_t n, uint64_t d, uint64_t *rem)   n R15:R12, d and rem
 *                                                                       on the stack
 */
        .section .text.mspabi_udivmod16, "ax", @progbits
        .global mspabi_udivmod16
        .type   mspabi_udivmod16, @function
mspabi_udivmod16:
        clr     r15                     /* remainder */
        mov     #16, r11
1:      rla     r12
        rlc     r15
        cmp     r13, r15
        jlo     2f
        sub     r13, r15
        bis     #1, r12
2:      dec     r11
        jnz     1b
        mov     r15, 0(r14)
        ret
        .size   mspabi_udivmod16, .-mspabi_udivmod16

        .section .text.mspabi_udivmod32, "ax", @progbits
        .global mspabi_udivmod32
        .type   mspabi_udivmod32, @function
mspabi_udivmod32:
        push    r10
        push    r9                      /* rem pointer now at 6(r1) */
        clr     r10                     /* remainder r11:r10 */
        clr     r11
        mov     #32, r9
        tst     r13
        jnz     1f
        mov     r12, r13                /* high word zero: 16 steps fewer */
        clr     r12
        mov     #16, r9
1:      rla     r12
        rlc     r13
        rlc     r10
        rlc     r11
        cmp     r15, r11
        jlo     3f
        jne     2f
        cmp     r14, r10
        jlo     3f
2:      sub     r14, r10
        subc    r15, r11
        bis     #1, r12
3:      dec     r9
        jnz     1b
        mov     6(r1), r15
        mov     r10, 0(r15)
        mov     r11, 2(r15)
        pop     r9
        pop     r10
        ret
        .size   mspabi_udivmod32, .-mspabi_udivmod32

        .section .text.mspabi_udivmod64, "ax", @progbits
        .global mspabi_udivmod64
        .type   mspabi_udivmod64, @function
mspabi_udivmod64:
        push    r10
        push    r9
        push    r8
        push    r7
        push    r6                      /* d at 12..18(r1), rem pointer at 20(r1) */
        clr     r8                      /* remainder r11:r10:r9:r8 */
        clr     r9
        clr     r10
        clr     r11
        mov     #64, r7
0:      tst     r15                     /* skip leading zero words of the dividend */
        jnz     1f
        mov     r14, r15
        mov     r13, r14
        mov     r12, r13
        clr     r12
        sub     #16, r7
        jnz     0b                      /* not reached with n != 0 (the callers ensure d <= n) */
1:      rla     r12
        rlc     r13
        rlc     r14
        rlc     r15
        rlc     r8
        rlc     r9
        rlc     r10
        rlc     r11
        cmp     18(r1), r11
        jlo     3f
        jne     2f
        cmp     16(r1), r10
        jlo     3f
        jne     2f
        cmp     14(r1), r9
        jlo     3f
        jne     2f
        cmp     12(r1), r8
        jlo     3f
2:      sub     12(r1), r8
        subc    14(r1), r9
        subc    16(r1), r10
        subc    18(r1), r11
        bis     #1, r12
3:      dec     r7
        jnz     1b
        mov     20(r1), r6
        mov     r8, 0(r6)
        mov     r9, 2(r6)
        mov     r10, 4(r6)
        mov     r11, 6(r6)
        pop     r6
        pop     r7
        pop     r8
        pop     r9
        pop     r10
        ret
        .size   mspabi_udivmod64, .-mspabi_udivmod64
