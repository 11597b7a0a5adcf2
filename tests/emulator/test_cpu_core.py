"""Core properties: code in RAM and self-modifying code (the predecode cache notices), independent
motes, deterministic runs, and the C sources compile warning-free with -Wall -Wextra."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from emu_helpers import STOP_WATCHDOG, mote_from_asm
from requirements import require_tool

from harness.emulator.mote import EmulatorFault

CSRC = Path(__file__).resolve().parents[2] / "harness" / "emulator" / "csrc"

RAM_CODE = f"""
        .text
        .globl _start
_start: mov #0x3900, r1
        {STOP_WATCHDOG}
        mov #0x1200, r4
        mov #0x5315, 0(r4)      ; inc r5
        mov #0x4130, 2(r4)      ; ret
        call r4
        call r4
        mov #0x5325, 0(r4)      ; incd r5 (rewrites code that already ran)
        call r4
done:   nop
1:      jmp 1b
"""


def test_code_in_ram_and_self_modification() -> None:
    m = mote_from_asm(RAM_CODE)
    assert m.run_until_pc("done", 10_000).reason == "stop"
    assert m.reg(5) == 1 + 1 + 2


def test_motes_are_independent_and_deterministic() -> None:
    a = mote_from_asm(RAM_CODE)
    b = mote_from_asm(RAM_CODE.replace("#0x5325", "#0x5335"))  # add #-1 instead of incd
    a.run_until_pc("done", 10_000)
    b.run_until_pc("done", 10_000)
    assert (a.reg(5), b.reg(5)) == (4, 1)
    c = mote_from_asm(RAM_CODE)
    c.run_until_pc("done", 10_000)
    assert (c.now, c.regs, c.read_bytes(0x1100, 0x400)) == (a.now, a.regs, a.read_bytes(0x1100, 0x400))


@pytest.mark.parametrize("source", ["cpu.c", "mote.c"])
def test_core_c_is_warning_free(source: str) -> None:
    cc = require_tool("gcc", "build-essential")
    proc = subprocess.run(
        [cc, "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-fsyntax-only", "-I", str(CSRC), CSRC / source],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr


def test_host_rewrites_code_between_runs() -> None:
    m = mote_from_asm(RAM_CODE)
    m.run_until_pc("done", 10_000)
    at = m.symbol("done")
    m.step()  # the nop at `done` is now predecoded
    m.pc = at
    m.write16(at, 0x4035)  # mov #imm, r5 (opcode word rewritten after it was decoded as nop)
    m.write16(at + 2, 0x1234)
    m.step()
    assert m.reg(5) == 0x1234


SR_AS_SOURCE = f"""
        .text
        .globl _start
_start: mov #0x3900, r1
        {STOP_WATCHDOG}
        mov #0x8000, r4
        cmp #1, r4              ; 0x8000 - 1 = 0x7fff: C (no borrow), V (overflow), not N
        mov r2, r6              ; SR read as a register source right after the flags changed
        push r2
        pop r7
        clr r5
        tst r5                  ; Z set, C set
        mov.b r2, r8
        bis #0x100, r2          ; SR as a destination (V) and its value read back
        mov r2, r9
done:   nop
1:      jmp 1b
"""


def test_sr_read_as_a_register_after_flag_updates() -> None:
    # the run loop keeps SR in a local: every read of R2 must see the flags of the instruction before
    m = mote_from_asm(SR_AS_SOURCE)
    assert m.run_until_pc("done", 10_000).reason == "stop"
    c_v = 0x0001 | 0x0100
    assert (m.reg(6), m.reg(7)) == (c_v, c_v)
    assert m.reg(8) == 0x0002 | 0x0001
    assert m.reg(9) == 0x0002 | 0x0001 | 0x0100
    assert m.reg(2) == m.reg(9)


def test_decoded_word_rewritten_to_zero_is_illegal() -> None:
    # a cached entry is keyed by its opcode word; 0x0000 written over it must fault, not run the old one
    m = mote_from_asm(RAM_CODE)
    m.run_until_pc("done", 10_000)  # 0x1200 was decoded (inc r5, then incd r5)
    m.write16(0x1200, 0x0000)
    m.pc = 0x1200
    with pytest.raises(EmulatorFault, match=r"illegal instruction at PC=0x1200"):
        m.run(m.now + 100)
