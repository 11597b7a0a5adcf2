"""Register pairs (two one-word, one-cycle register instructions run by one handler, csrc/cpu.c
RR_LIST): results, flags, cycles, interrupt and run-limit boundaries, single steps, breakpoints and
rewritten code must be exactly those of the two instructions run one by one.

The one-by-one reference is the core stepped an instruction at a time (`Mote.step`: a run limit
after every instruction never lets a pair run fused), whose single instructions the per-opcode tests
check against the user's guide."""

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

# the shapes of RR_LIST: (mnemonic, source kind)
_SHAPES = [("mov", "reg"), ("add", "reg"), ("addc", "reg"), ("subc", "reg"), ("sub", "reg"), ("cmp", "reg"),
           ("xor", "reg"), ("bic", "reg"), ("mov", "cg"), ("add", "cg"), ("sub", "cg"), ("cmp", "cg"),
           ("bis", "cg"), ("add.b", "cg"), ("cmp.b", "cg")]
_CONSTANTS = [0, 1, 2, 4, 8, -1]


def _insn(shape: tuple[str, str], src_reg: str, dst: str, n: int) -> str:
    op, kind = shape
    src = src_reg if kind == "reg" else f"#{_CONSTANTS[n % len(_CONSTANTS)]}"
    return f"{op} {src}, {dst}"


def _program() -> tuple[str, int]:
    """Every pair of register-pair shapes, the second reading the first's result or writing the same
    register, plus PC and SP sources; the flags after the pair and both results are folded into
    registers (add r2 reads the SR, so it never pairs)."""
    lines: list[str] = []
    n = 0
    cases = [(_insn(a, "r6", "r7", n), _insn(b, "r7", d, n + 1))
             for n, (a, b, d) in enumerate(itertools.product(_SHAPES, _SHAPES, ["r5", "r7"]))]
    cases += [("mov r1, r7", "add r0, r5"), ("add r0, r7", "sub r1, r5"), ("addc r7, r7", "addc r5, r5")]
    for first, second in cases:
        lines += ["        mov r10, r6", "        mov r11, r7", "        mov r10, r5", "        add r2, r13",
                  f"        {first}", f"        {second}", "        add r2, r13", "        add r7, r12",
                  "        rla r12", "        add r2, r13", "        add r5, r12"]
        n += 1
    setup = "        clr r12\n        clr r13"
    return value_table_program(setup, ["        setc", *lines]), n * len(FLAG_VALUES)


def test_register_pairs_match_single_steps() -> None:
    """Every pair of shapes on values with carries, overflow and byte/word sign cases: registers,
    flags and cycle count equal the one-by-one run."""
    source, n = _program()
    paired, stepped = run_and_step(source)
    assert (paired.regs, paired.now) == (stepped.regs, stepped.now)
    assert paired.reg(12) != 0 and paired.reg(13) != 0 and n > 4_000


# two register pairs and a jump: instruction boundaries at cycles 0, 1, 2, 3, 4 and 6 of each pass
LOOP = irq_loop_program("        mov #1, r5\n", """\
loop:   mov r5, r6
i1:     add r6, r7
i2:     addc r8, r9
i3:     addc r9, r10
i4:     jmp loop
""")
_boundary = loop_boundary([(0, "loop"), (1, "i1"), (2, "i2"), (3, "i3"), (4, "i4")], 6)


def _warm():
    return warm_loop(LOOP, 60)


def test_interrupt_and_run_limit_inside_the_pairs() -> None:
    """An interrupt asserted at any cycle of the loop is accepted at the first instruction boundary,
    between the two instructions of a pair too; a run limit at any cycle stops at that boundary."""
    check_irq_and_run_limits(_warm, _boundary, 13)


def test_single_steps_visit_both_of_a_pair() -> None:
    """Single steps visit every instruction of the pairs."""
    m = _warm()
    m.run_until_pc("loop", 100)
    start = m.now
    seen = []
    for _ in range(6):
        m.step()
        seen.append((m.pc, m.now - start))
    assert seen == [(m.symbol("i1"), 1), (m.symbol("i2"), 2), (m.symbol("i3"), 3), (m.symbol("i4"), 4),
                    (m.symbol("loop"), 6), (m.symbol("i1"), 7)]


def test_breakpoint_on_the_second_of_a_pair() -> None:
    """A breakpoint or stop address set on the second instruction after its pair was decoded stops
    there."""
    m = _warm()
    check_breakpoint_after_warm_up(m, m.symbol("i3"), 60)


def test_rewritten_second_of_a_pair() -> None:
    """Code in RAM turns the ADD of a decoded (and already run) pair into a SUB: the next run
    follows the new instruction."""
    routine = """
        mov r4, r12
        add r4, r12
        ret"""
    assert ram_routine_results(5, "xor #0xD000, &0x2002", routine) == [10, 10, 0]
