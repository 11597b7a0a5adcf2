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
        mov r8, r10
        ; code running from the mirror sees a later store through the RAM address
        mov #0x4408, &0x1200      ; mov r4, r8
        mov #0x4130, &0x1202      ; ret
        clr r8
        call #0x0300
        mov.b &0x0201, r11        ; data read through the mirror while it runs code
done:   jmp done
"""


def test_mirror_reads_writes_and_fetches():
    m = mote_from_asm(PROGRAM)
    m.run_until_pc(m.symbol("done"), 10_000)
    assert (m.reg(4), m.reg(5), m.reg(6), m.reg(7)) == (0x1234, 0xBEEF, 0x56, 0x77)
    # the host sees memory as the CPU's data accesses do: the mirror is RAM
    assert m.read16(0x1100) == 0x1234 and m.read8(0x18FF) == 0x56
    assert m.read16(0x0202) == 0xBEEF and m.read8(0x0205) == 0x77
    assert m.read16(0x1900) == 0xAAAA and m.read16(0x0A00) == 0
    assert m.reg(9) == 0x4321 and m.reg(10) == 0x4321
    assert m.reg(8) == 0x1234 and m.reg(11) == 0x12


def test_host_writes_through_the_mirror_reach_ram():
    m = mote_from_asm(PROGRAM)
    m.write16(0x0280, 0xC0DE)
    m.write_bytes(0x09FF, b"\x42")
    assert m.read16(0x1180) == 0xC0DE and m.read8(0x18FF) == 0x42
    assert m.read_bytes(0x09FE, 3) == bytes([m.read8(0x18FE), 0x42, m.read8(0x0A00)])


def test_code_in_the_mirror_runs_what_the_host_wrote_to_ram():
    # the program's routine is called from the mirror at 0x0300 = RAM 0x1200; the host patches its
    # immediate through the RAM address before the run: the mirror's fetch must see it
    m = mote_from_asm(PROGRAM)
    m.run_until_pc(m.symbol("done"), 10_000)
    m.reset()
    m.write16(0x1200, 0x4038)  # mov #imm, r8
    m.write16(0x1202, 0x7777)
    m.write16(0x1204, 0x4130)  # ret
    m.set_reg(0, 0x0300)
    m.set_reg(1, 0x3900)
    m.write16(0x38FE, m.symbol("done"))
    m.set_reg(1, 0x38FE)
    m.run_until_pc(m.symbol("done"), 1_000)
    assert m.reg(8) == 0x7777
