/*
 * mspabi_div64.S - 64-bit divide/remainder entry points with LLVM's special convention:
 * dividend in R8:R11, divisor in R12:R15 (low word first), result in R12:R15.
 * Each shim pushes the divisor as the stacked second argument of the C body
 * (mspabi_*_c(dividend in R12:R15, divisor on the stack)) and moves the dividend over.
 * R8-R10 survive because the C body saves them; R11 is a scratch register anyway.
 */
        .macro  DIV64_SHIM name, body
        .section .text.\name, "ax", @progbits
        .global \name
        .type   \name, @function
\name:
        push    r15
        push    r14
        push    r13
        push    r12
        mov     r8, r12
        mov     r9, r13
        mov     r10, r14
        mov     r11, r15
        call    #\body
        add     #8, r1
        ret
        .size   \name, .-\name
        .endm

        DIV64_SHIM __mspabi_divull, mspabi_divull_c
        DIV64_SHIM __mspabi_remull, mspabi_remull_c
        DIV64_SHIM __mspabi_divlli, mspabi_divlli_c
        DIV64_SHIM __mspabi_remlli, mspabi_remlli_c
