"""MSP430F1611 RAM mirror (datasheet memory map): RAM 0x1100-0x18FF also appears at 0x0200-0x09FF.
A write through either address hits the same byte, and code runs from the mirror."""

from __future__ import annotations

from emu_helpers import mote_from_asm

PROGRAM = """
        .text
        .globl _start
_start: mov #0x3900, sp
        mov #0x5a80, &0x0120
        mov #0x1234, &0x0200      ; mirror -> RAM 0x1100
        mov.b #0x56, &0x09ff      ; last mirrored byte -> 0x18ff
        mov #0xbeef, &0x1102      ; RAM -> mirror 0x0202
        mov.b #0x77, &0x1105      ; odd byte of a RAM word -> 0x0205
        mov #0xaaaa, &0x1900      ; first RAM word above the mirrored part: no mirror
        mov &0x1100, r4
        mov &0x0202, r5
        mov.b &0x18ff, r6
        mov.b &0x0205, r7
        ; copy a routine (mov #0x4321, r8; ret) to 0x0300 through the mirror and call it there
        mov #0x4038, &0x0300
        mov #0x4321, &0x0302
        mov #0x4130, &0x0304
        call #0x0300
        mov r8, r9
        ; the same routine is at its RAM address 0x1200 too
        mov #0x0, r8
        call #0x1200
done:   jmp done
"""


def test_mirror_reads_writes_and_fetches():
    m = mote_from_asm(PROGRAM)
    m.run_until_pc(m.symbol("done"), 10_000)
    mem = m.ptr.mem
    assert (m.reg(4), m.reg(5), m.reg(6), m.reg(7)) == (0x1234, 0xBEEF, 0x56, 0x77)
    assert (mem[0x1100], mem[0x1101]) == (0x34, 0x12) and mem[0x18FF] == 0x56
    assert (mem[0x0202], mem[0x0203]) == (0xEF, 0xBE) and mem[0x0205] == 0x77
    assert (mem[0x1900], mem[0x1901]) == (0xAA, 0xAA) and (mem[0x0A00], mem[0x0A01]) == (0, 0)
    assert m.reg(9) == 0x4321 and m.reg(8) == 0x4321


def test_host_writes_reach_the_mirror_at_reset():
    m = mote_from_asm(PROGRAM)
    m.ptr.mem[0x1180] = 0x5A
    m.reset()
    assert m.ptr.mem[0x0280] == 0x5A
