"""Faults stop the run and raise EmulatorFault naming the PC and the nearest symbol."""

from __future__ import annotations

import pytest
from emu_helpers import STOP_WATCHDOG, mote_from_asm

from harness.emulator.mote import EmulatorFault, ffi, lib


def program(body: str) -> str:
    return f"""
        .text
        .globl _start
_start: mov #0x3900, r1
        {STOP_WATCHDOG}
        call #culprit
1:        jmp 1b
        .globl culprit
culprit:
        nop
{body}
        ret
        .data
buffer: .fill 32, 1, 0
"""


def test_fetch_outside_memory() -> None:
    m = mote_from_asm(program("        br #0x3a00"))  # vacant: above RAM (0x0300 is the RAM mirror)
    with pytest.raises(EmulatorFault, match=r"fetch outside flash/RAM at PC=0x3a00") as info:
        m.run(1000)
    assert info.value.pc == 0x3A00


def test_write_to_flash_without_controller() -> None:
    m = mote_from_asm(program("        mov #1, &0x8000"))
    lib.mote_set_flash_writer(m.ptr, ffi.NULL, ffi.NULL)  # no flash controller on this chip
    pc = m.symbol("culprit") + 2
    with pytest.raises(EmulatorFault, match=rf"flash without .* at PC=0x{pc:04x} \(culprit\+0x2\)"):
        m.run(1000)
    assert m.read16(0x8000) != 1


def test_stack_below_end() -> None:
    m = mote_from_asm(program("again:  push r5\n        jmp again"))
    assert m.symbol("_end") > 0x1100
    pc = m.symbol("again")
    with pytest.raises(EmulatorFault, match=rf"stack overflow .* at PC=0x{pc:04x} \(again\)"):
        m.run(100_000)
    assert m.sp < m.symbol("_end")


def test_illegal_opcode() -> None:
    m = mote_from_asm(program("        .word 0x0000"))
    pc = m.symbol("culprit") + 2
    with pytest.raises(EmulatorFault, match=rf"illegal instruction at PC=0x{pc:04x} \(culprit\+0x2\)"):
        m.run(1000)


def test_fault_is_reported_once_and_state_kept() -> None:
    m = mote_from_asm(program("        .word 0x0000"))
    with pytest.raises(EmulatorFault):
        m.run(1000)
    assert m.pc == m.symbol("culprit") + 2  # stopped at the offending instruction
