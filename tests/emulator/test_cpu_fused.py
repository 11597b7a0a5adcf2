"""Fused pairs (a compare/test/arithmetic instruction and the conditional jump after it, run by one
handler, csrc/cpu.c): results, flags, cycles, interrupt and run-limit boundaries, single steps,
breakpoints and rewritten code must be exactly those of the two instructions run one by one.

The one-by-one reference is the core itself stepped an instruction at a time (`Mote.step`: a run
limit after every instruction never lets a pair run fused), whose single instructions the per-opcode
tests check against the user's guide."""

from __future__ import annotations

import itertools

from emu_helpers import (
    FLAG_VALUES,
    check_breakpoint_after_warm_up,
    check_irq_and_run_limits,
    irq_loop_program,
    loop_boundary,
    ram_routine_results,
    run_and_step,
    value_table_program,
    warm_loop,
)

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
    setup = "        mov #buf, r8\n        clr r12\n        clr r13\n        clr r15"
    data = "srcv:   .word 0\ndstv:   .word 0\nbuf:    .fill 16, 1, 0"
    return value_table_program(setup, lines, data), n * len(FLAG_VALUES)


def _state(m) -> tuple:
    return (m.regs, m.now, m.read_bytes(0x1100, 0x40))


def test_fused_pairs_match_single_steps() -> None:
    """Every fused shape and condition on operands that take and skip the jump (including
    overflow and byte/word sign cases): state, flags and cycle count equal the one-by-one run."""
    source, n = _program()
    fused, stepped = run_and_step(source)
    assert _state(fused) == _state(stepped)
    assert fused.reg(15) != 0 and n > 10_000


LOOP = irq_loop_program("        mov #0xFFFF, r14\n", """\
loop:   dec r14
jnz_at: jnz loop
        jmp loop
""")
# first instruction boundary at or after base + t in the loop (dec: 1 cycle, jnz: 2)
_boundary = loop_boundary([(0, "loop"), (1, "jnz_at")], 3)


def _warm():
    return warm_loop(LOOP, 30)


def test_interrupt_and_run_limit_between_the_pair() -> None:
    """An interrupt asserted at any cycle around a fused dec/jnz is accepted at the first
    instruction boundary, between the two instructions too, 6 cycles before the ISR runs; a run
    limit between the two stops there."""
    check_irq_and_run_limits(_warm, _boundary, 9)


def test_single_steps_visit_both_of_the_pair() -> None:
    """Single steps visit both instructions."""
    m = _warm()
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
    m = _warm()
    check_breakpoint_after_warm_up(m, m.symbol("jnz_at"), 30)


def test_rewritten_jump_of_a_pair() -> None:
    """Code in RAM turns the JEQ of a decoded (and already run) pair into a JNE: the next run
    follows the new jump."""
    routine = """
        clr r12
        cmp #3, r4
        jeq 1f
        mov #1, r12
        ret
1:      mov #2, r12
        ret"""
    assert ram_routine_results(3, "xor #0x0400, &0x2006", routine) == [2, 2, 1]
