"""Motes sharing one predecode cache (csrc/mote.h, mote_share_code): each runs its own memory exactly as
with a private cache, a stop (breakpoint, stop address) or code in the RAM mirror takes a mote back to
a private cache, and the other motes never run past its stops or into its mirror's stale bytes."""

from __future__ import annotations

from emu_helpers import mote_from_asm
from harness.emulator._core import lib

LOOP = """
        .text
        .globl _start
_start: mov #0x3900, sp
        clr r4
        mov #50, r5
loop:   add #3, r4
        dec r5
tail:   jne loop
done:   jmp done
"""


def shared_pair(source: str):
    a, b = mote_from_asm(source), mote_from_asm(source)
    assert lib.mote_share_code(b.ptr, a.ptr) == 0
    assert lib.mote_shares_code(a.ptr, b.ptr) == 1
    return a, b


def finish(m) -> None:
    """Run m to its `done` loop without a stop address (one would take it private)."""
    m.run(2_000)
    assert m.pc == m.symbol("done")


def test_shared_motes_run_as_private_ones():
    alone = mote_from_asm(LOOP)
    finish(alone)
    a, b = shared_pair(LOOP)
    finish(a)
    finish(b)
    for m in (a, b):
        assert (m.reg(4), m.reg(5), m.now) == (alone.reg(4), alone.reg(5), alone.now)
        assert (m.reg(4), m.reg(5)) == (150, 0)
    assert lib.mote_shares_code(a.ptr, b.ptr) == 1


def test_a_breakpoint_takes_its_mote_private_and_others_do_not_skip_it():
    a, b = shared_pair(LOOP)
    finish(a)  # the loop is decoded (dec + jne fused) in the shared cache
    tail = b.symbol("tail")
    lib.mote_set_breakpoint(b.ptr, tail, 1)
    assert lib.mote_shares_code(a.ptr, b.ptr) == 0
    lib.mote_reset(a.ptr)
    finish(a)  # re-decodes (fuses) the loop in what was the shared cache
    rc = lib.mote_run(b.ptr, b.now + 1_000)
    assert rc == lib.MOTE_FAULT_HALT and b.pc == tail
    # and a mote with a stop shares nothing
    assert lib.mote_share_code(a.ptr, b.ptr) == -1 and lib.mote_share_code(b.ptr, a.ptr) == -1


def test_a_stop_address_takes_its_mote_private():
    a, b = shared_pair(LOOP)
    finish(a)
    b.run_until_pc("tail", 10_000)  # set_stop_pc inside
    assert b.pc == b.symbol("tail") and lib.mote_shares_code(a.ptr, b.ptr) == 0


MIRROR = """
        .text
        .globl _start
_start: mov #0x3900, sp
        mov #0x5a80, &0x0120
        mov #0x4038, &0x1200      ; mov #0x4321, r8 ; ret at RAM 0x1200 = mirror 0x0300
        mov &0x1300, &0x1202      ; the immediate: set by the host
        mov #0x4130, &0x1204
        call #0x0300
        mov r8, r9
done:   jmp done
"""


def test_code_in_the_mirror_takes_its_mote_private():
    # b runs the mirror routine, is reset (its mirror bytes stay as a stale copy) and runs again with
    # a new immediate written through the RAM address; a, sharing the cache, ran the old routine
    # from the mirror meanwhile: b must fetch the new one, not a's entry keyed by its stale copy
    a, b = shared_pair(MIRROR)
    for m in (a, b):
        m.write16(0x1300, 0x4321)
    finish(b)
    assert b.reg(9) == 0x4321 and lib.mote_shares_code(a.ptr, b.ptr) == 0
    lib.mote_reset(b.ptr)
    assert lib.mote_share_code(b.ptr, a.ptr) == 0
    finish(a)
    assert a.reg(9) == 0x4321
    b.write16(0x1300, 0x7777)
    finish(b)
    assert b.reg(9) == 0x7777
