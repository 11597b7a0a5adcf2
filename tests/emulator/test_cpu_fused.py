"""Fused pairs (a compare/test/arithmetic instruction and the conditional jump after it, run by one
handler, csrc/cpu.c): results, flags, cycles, interrupt and run-limit boundaries, single steps,
breakpoints and rewritten code must be exactly those of the two instructions run one by one.

The one-by-one reference is the core itself stepped an instruction at a time (`Mote.step`: a run
limit after every instruction never lets a pair run fused), whose single instructions the per-opcode
tests check against the user's guide."""

from __future__ import annotations

import itertools

from emu_helpers import STOP_WATCHDOG, mote_from_asm

# source operand forms: (assembler text, how its value (r10) is set)
_SOURCES = {
    "reg": ("r6", "mov r10, r6"),
    "imm": ("#0x8001", ""),
    "idx": ("2(r8)", "mov r10, 2(r8)"),
    "abs": ("&srcv", "mov r10, &srcv"),
}
# destination forms: (assembler text, how its value (r11) is set)
_DESTS = {
    "reg": ("r7", "mov r11, r7"),
    "idx": ("4(r8)", "mov r11, 4(r8)"),
    "abs": ("&dstv", "mov r11, &dstv"),
}
_JUMPS = ["jne", "jeq", "jnc", "jc", "jn", "jge", "jl"]
_OPS = ["cmp", "cmp.b", "sub", "sub.b", "add", "add.b", "bit", "bit.b", "mov", "xor"]
# (source, destination) values the whole program runs with: equal, below/above unsigned and signed,
# sign changes, overflow, byte carries
_VALUES = [(0, 0), (1, 2), (2, 1), (0x8000, 1), (1, 0x8000), (0x7FFF, 0xFFFF), (0xFFFF, 0x7FFF),
           (0x80, 0x7F), (0xFF, 0x180), (0x8001, 0x8001), (0x7F, 0x8081)]
# constant-generator sources (TST = CMP #0, DEC = SUB #1, INC = ADD #1, ...)
_CONSTANTS = [0, 1, 2, 4, 8, -1]


def _case(lines: list[str], n: int, setup: list[str], insn: str, jump: str, dtext: str) -> None:
    """One pair with its set-up; the outcome (r15, rotated so none is lost), the flags (r13) and the
    result (r12) are folded into registers."""
    lines += [*setup, f"        {insn}", f"        {jump} t{n}", "        add #1, r15", f"        jmp e{n}",
              f"t{n}:    add #2, r15", f"e{n}:    rla r15", "        adc r15", "        add r2, r13",
              f"        add {dtext}, r12"]


def _program() -> tuple[str, int]:
    """Every fused shape (and a few that are not fused) x every condition, run on each value pair."""
    lines: list[str] = []
    n = 0
    for op, (stext, sset), (dtext, dset), jump in itertools.product(
        _OPS, _SOURCES.values(), _DESTS.values(), _JUMPS
    ):
        _case(lines, n, [f"        {x}" for x in (sset, dset) if x], f"{op} {stext}, {dtext}", jump, dtext)
        n += 1
    for op, c, jump in itertools.product(_OPS[:-1], _CONSTANTS, _JUMPS):
        _case(lines, n, ["        mov r11, r7"], f"{op} #{c}, r7", jump, "r7")
        n += 1
    body = "\n".join(lines)
    table = "\n".join(f"        .word {s}, {d}" for s, d in _VALUES)
    source = f"""
        .text
        .globl _start
_start: mov #0x3900, r1
        {STOP_WATCHDOG}
        mov #buf, r8
        clr r12
        clr r13
        clr r15
        mov #values, r9
next:   mov @r9+, r10
        mov @r9+, r11
{body}
        cmp #values_end, r9
        jeq done
        br #next
done:   jmp done
values:
{table}
values_end:
        .data
srcv:   .word 0
dstv:   .word 0
buf:    .fill 16, 1, 0
"""
    return source, n * len(_VALUES)


def _state(m) -> tuple:
    return (m.regs, m.now, m.read_bytes(0x1100, 0x40))


def test_fused_pairs_match_single_steps() -> None:
    """Every fused shape and condition on operands that take and skip the jump (including
    overflow and byte/word sign cases): state, flags and cycle count equal the one-by-one run."""
    source, n = _program()
    fused = mote_from_asm(source)
    fused.run_until_pc("done", 50_000_000)
    stepped = mote_from_asm(source)
    done = stepped.symbol("done")
    while stepped.pc != done:
        stepped.step()
    assert _state(fused) == _state(stepped)
    assert fused.reg(15) != 0 and n > 10_000


LOOP = f"""
        .text
        .globl _start
_start: mov #0x3900, r1
        {STOP_WATCHDOG}
        mov #0xFFFF, r14
        eint
        nop
loop:   dec r14
jnz_at: jnz loop
        jmp loop
isr:    reti
        .section .vectors,"ax"
        .fill 5, 2, 0
        .word isr
        .fill 9, 2, 0
        .word _start
"""


def _boundary(base: int, t: int) -> tuple[int, str]:
    """First instruction boundary at or after base + t in the loop (dec: 1 cycle, jnz: 2)."""
    k, r = divmod(t, 3)
    if r == 0:
        return base + 3 * k, "loop"
    if r == 1:
        return base + 3 * k + 1, "jnz_at"
    return base + 3 * k + 3, "loop"


def test_interrupt_between_the_pair() -> None:
    """An interrupt asserted at any cycle around a fused dec/jnz is accepted at the first
    instruction boundary, between the two instructions too, 6 cycles before the ISR runs."""
    for t in range(0, 9):
        m = mote_from_asm(LOOP)
        m.run_until_pc("loop", 1000)
        m.run(30)  # the pair is decoded and has run fused
        m.run_until_pc("loop", 100)
        base = m.now
        m.schedule_irq(5, True, base + t)
        m.run_until_pc("isr", 1000)
        at, where = _boundary(base, t)
        assert (m.now, m.read16(m.sp + 2)) == (at + 6, m.symbol(where)), t


def test_run_limit_and_single_step_between_the_pair() -> None:
    """A run limit between the two stops there; single steps visit both instructions."""
    m = mote_from_asm(LOOP)
    m.run_until_pc("loop", 1000)
    m.run(30)
    m.run_until_pc("loop", 100)
    base = m.now
    for t in range(0, 9):
        m.run_until_cycle(base + t)
        at, where = _boundary(base, t)
        assert (m.now, m.pc) == (at, m.symbol(where)), t
    m.run_until_pc("loop", 100)
    seen = []
    for _ in range(4):
        m.step()
        seen.append((m.pc, m.now))
    start = seen[0][1] - 1
    assert seen == [(m.symbol("jnz_at"), start + 1), (m.symbol("loop"), start + 3),
                    (m.symbol("jnz_at"), start + 4), (m.symbol("loop"), start + 6)]


def test_breakpoint_and_stop_on_the_jump_of_a_pair() -> None:
    """A breakpoint or stop address set on the jump after its pair was decoded stops there."""
    from harness.emulator._core import lib

    m = mote_from_asm(LOOP)
    m.run_until_pc("loop", 1000)
    m.run(30)
    jnz = m.symbol("jnz_at")
    lib.mote_set_breakpoint(m.ptr, jnz, 1)
    rc = lib.mote_run(m.ptr, m.now + 100)
    assert rc == lib.MOTE_FAULT_HALT and m.pc == jnz
    lib.mote_clear_fault(m.ptr)
    lib.mote_set_breakpoint(m.ptr, jnz, 0)
    m.run(30)
    m.run_until_pc("jnz_at", 100)
    assert m.pc == jnz


REWRITE = f"""
        .text
        .globl _start
_start: mov #0x3900, r1
        {STOP_WATCHDOG}
        mov #routine, r5
        mov #0x2000, r6
        mov #(routine_end - routine) / 2, r7
copy:   mov @r5+, r10
        mov r10, 0(r6)
        incd r6
        dec r7
        jnz copy
        mov #3, r4
        call #0x2000
        mov r12, &res1
        call #0x2000
        mov r12, &res2
        xor #0x0400, &0x2006
        call #0x2000
        mov r12, &res3
done:   jmp done
routine:
        clr r12
        cmp #3, r4
        jeq 1f
        mov #1, r12
        ret
1:      mov #2, r12
        ret
routine_end:
        .data
res1:   .word 0
res2:   .word 0
res3:   .word 0
"""


def test_rewritten_jump_of_a_pair() -> None:
    """Code in RAM turns the JEQ of a decoded (and already run) pair into a JNE: the next run
    follows the new jump."""
    m = mote_from_asm(REWRITE)
    m.run_until_pc("done", 10_000)
    assert [m.read16(m.symbol(s)) for s in ("res1", "res2", "res3")] == [2, 2, 1]
