"""Interrupt acceptance (6 cycles), RETI, priorities, GIE, NMI, the EINT delay, low-power modes
and wake-up, PUC. Peripheral-free: the interrupt lines are driven through the core's C API."""

from __future__ import annotations

from emu_helpers import (
    STOP_WATCHDOG,
    check_irq_and_run_limits,
    irq_loop_program,
    loop_boundary,
    mote_from_asm,
    warm_loop,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.emulator.mote import lib

GIE, CPUOFF, OSCOFF, SCG0, SCG1 = 0x08, 0x10, 0x20, 0x40, 0x80

PROGRAM = f"""
        .text
        .globl _start
_start: mov #0x3900, r1
        {STOP_WATCHDOG}
        eint
main:   inc r10
        jmp main
isr5:   inc r11
        reti
isr9:   inc r12
        reti
isr_nmi: inc r13
        bic #{GIE}, 0(r1)
        reti
        .section .vectors,"ax"
        .word 0, 0, 0, 0, 0, isr5, 0, 0, 0, isr9, 0, 0, 0, 0, isr_nmi, _start
"""


def booted():
    m = mote_from_asm(PROGRAM)
    m.run_until_pc("main", 1000)
    return m


def test_acceptance_takes_six_cycles_and_stacks_pc_and_sr() -> None:
    m = booted()
    sp, sr, pc = m.sp, m.sr, m.pc
    assert sr & GIE
    m.irq_set(5, True)
    before = m.now
    m.step()
    assert m.now - before == 6
    assert (m.pc, m.sp, m.sr) == (m.symbol("isr5"), sp - 4, 0)
    assert (m.read16(m.sp), m.read16(m.sp + 2)) == (sr, pc)
    m.irq_set(5, False)
    m.step()  # inc r11
    before = m.now
    m.step()  # reti
    assert (m.now - before, m.pc, m.sr, m.sp) == (5, pc, sr, sp)
    assert m.reg(11) == 1


def test_level_triggered_line_reenters_until_released() -> None:
    m = booted()
    m.irq_set(5, True)
    m.run(200)
    assert m.reg(11) > 5  # every RETI re-enables GIE and the line is still high
    m.irq_set(5, False)
    count = m.reg(11)
    m.run(200)
    assert m.reg(11) == count and m.reg(10) > 0


def test_highest_vector_wins() -> None:
    m = booted()
    m.irq_set(5, True)
    m.irq_set(9, True)
    m.step()
    assert m.pc == m.symbol("isr9")
    m.irq_set(9, False)
    m.step()  # inc r12
    m.step()  # reti -> the pending vector 5 is taken next
    m.step()
    assert m.pc == m.symbol("isr5")


def test_gie_masks_maskable_but_not_nmi() -> None:
    m = booted()
    m.sr = m.sr & ~GIE
    m.irq_set(5, True)
    m.run(100)
    assert m.reg(11) == 0
    m.irq_set(14, True)
    m.step()
    assert m.pc == m.symbol("isr_nmi")
    m.irq_set(14, False)
    m.run(100)
    assert m.reg(13) == 1 and m.reg(11) == 0


def test_instruction_after_eint_executes_before_the_interrupt() -> None:
    m = mote_from_asm(f"""
        .text
        .globl _start
_start: mov #0x3900, r1
        {STOP_WATCHDOG}
        dint
        nop
ready:  eint
        mov #1, r13
        mov #2, r13
1:        jmp 1b
isr5:   mov r13, r14
        bic #{GIE}, 0(r1)
        reti
        .section .vectors,"ax"
        .word 0, 0, 0, 0, 0, isr5, 0, 0, 0, 0, 0, 0, 0, 0, 0, _start
""")
    m.run_until_pc("ready", 1000)
    m.irq_set(5, True)
    m.run(100)
    assert m.reg(14) == 1


LPM_PROGRAM = f"""
        .text
        .globl _start
_start: mov #0x3900, r1
        {STOP_WATCHDOG}
sleep:  bis #{GIE | CPUOFF}, r2
woke:   mov #1, r13
1:        jmp 1b
isr5:   bic #{GIE | CPUOFF | SCG0 | SCG1 | OSCOFF}, 0(r1)
        reti
        .section .vectors,"ax"
        .word 0, 0, 0, 0, 0, isr5, 0, 0, 0, 0, 0, 0, 0, 0, 0, _start
"""


def test_lpm0_sleeps_until_an_interrupt_and_time_is_accounted() -> None:
    m = mote_from_asm(LPM_PROGRAM)
    m.run_until_pc("sleep", 1000)
    m.step()  # bis #GIE|CPUOFF, sr: 1 cycle (constant source, register destination)
    t_sleep = m.now
    assert m.cpu_mode() == "lpm0"
    m.schedule_irq(5, True, 10_000)
    m.run_until_cycle(9_000)
    assert m.now == 9_000 and m.reg(13) == 0  # asleep: time jumps, nothing executes
    m.run_until_pc("woke", 5_000)
    m.irq_set(5, False)
    # wake at 10 000: 6 cycles acceptance + BIC #imm,0(SP) (5) + RETI (5)
    assert m.now == 10_000 + 6 + 5 + 5
    modes = m.mode_cycles()
    assert modes["lpm0"] == 10_000 - t_sleep
    assert modes["active"] == t_sleep + 16
    assert sum(modes.values()) == m.now == m.active_cycles + modes["lpm0"]
    m.step()
    assert m.reg(13) == 1 and m.cpu_mode() == "active"


def test_without_events_lpm_runs_to_the_limit() -> None:
    m = mote_from_asm(LPM_PROGRAM)
    m.run_until_pc("sleep", 1000)
    m.step()  # now asleep
    assert m.mode_cycles()["lpm0"] == 0
    result = m.run(5_000_000)
    assert result.cycles == 5_000_000 and m.mode_cycles()["lpm0"] == 5_000_000


def test_lpm_modes_from_sr_bits() -> None:
    for bits, name in (
        (CPUOFF, "lpm0"),
        (CPUOFF | SCG0, "lpm1"),
        (CPUOFF | SCG1, "lpm2"),
        (CPUOFF | SCG0 | SCG1, "lpm3"),
        (CPUOFF | SCG0 | SCG1 | OSCOFF, "lpm4"),
    ):
        m2 = mote_from_asm(LPM_PROGRAM.replace(f"bis #{GIE | CPUOFF}, r2", f"bis #{GIE | bits}, r2"))
        m2.run_until_pc("sleep", 1000)
        m2.step()
        m2.run(1000)
        assert m2.cpu_mode() == name
        assert m2.mode_cycles()[name] >= 1000
        m2.irq_set(5, True)
        m2.run(100)
        assert m2.cpu_mode() == "active" and m2.reg(13) == 1  # the ISR cleared all bits on the stack


def test_puc_reloads_the_reset_vector() -> None:
    m = booted()
    m.run(500)
    assert m.reg(10) > 0
    lib.mote_puc(m.ptr)
    m.step()
    assert m.sr == 0 or m.pc != m.symbol("main")
    m.run_until_pc("main", 1000)
    assert m.sr & GIE  # went through _start again


def test_watchdog_expiry_causes_puc_through_the_core() -> None:
    # no STOP_WATCHDOG: after reset the watchdog counts 32 768 SMCLK cycles, then requests a PUC
    m = mote_from_asm("""
        .text
        .globl _start
_start: mov #0x3900, r1
        inc &boots
        eint
1:      jmp 1b
        .data
boots:  .word 0
""")
    m.run(100_000)
    boots = m.read16(m.symbol("boots"))
    assert 2 <= boots <= 4  # RAM survives the PUC; every PUC re-enters _start
    assert m.sr & GIE and m.sp == 0x3900


def test_nesting_when_the_isr_sets_gie() -> None:
    m = mote_from_asm(f"""
        .text
        .globl _start
_start: mov #0x3900, r1
        {STOP_WATCHDOG}
        eint
main:   jmp main
isr5:   eint
        nop
in5:    nop
        mov r12, r14
        reti
isr9:   inc r12
        reti
        .section .vectors,"ax"
        .word 0, 0, 0, 0, 0, isr5, 0, 0, 0, isr9, 0, 0, 0, 0, 0, _start
""")
    m.run_until_pc("main", 1000)
    m.irq_set(5, True)
    m.run_until_pc("isr5", 100)
    m.irq_set(5, False)
    sp_in_isr5 = m.sp
    m.run_until_pc("in5", 100)
    m.irq_set(9, True)
    m.step()
    assert m.pc == m.symbol("isr9") and m.sp == sp_in_isr5 - 4  # nested on top of isr5's frame
    m.irq_set(9, False)
    m.run_until_pc("main", 200)
    assert m.reg(14) == 1 and m.sp == 0x3900


@settings(max_examples=60, deadline=None)
@given(
    plan=st.lists(st.tuples(st.integers(0, 13), st.integers(1, 5_000)), min_size=1, max_size=40),
    probes=st.lists(st.integers(1, 6_000), min_size=1, max_size=8),
)
def test_event_queue_orders_and_reschedules(plan, probes) -> None:
    """Timed line changes through the event heap (schedule, re-schedule) with GIE off: at every
    probe time exactly the lines whose last scheduled time has passed are high."""
    m = mote_from_asm(LPM_PROGRAM.replace(f"bis #{GIE | CPUOFF}, r2", f"bis #{CPUOFF}, r2"))
    m.run_until_pc("sleep", 1000)
    m.step()  # asleep with GIE clear: lines never get accepted
    base = m.now
    when: dict[int, int] = {}
    for vec, t in plan:  # later entries re-schedule the same vector's event
        when[vec] = base + t
        m.schedule_irq(vec, True, base + t)
    for probe in sorted(probes):
        m.run_until_cycle(base + probe)
        want = sum(1 << v for v, t in when.items() if t <= m.now)
        assert m.ptr.irq_lines == want, (probe, when)


# The multiply helpers' shape: save the SR, DINT, restore it (GIE 0 -> 1, so the instruction after the
# restore runs first). 7 cycles a pass; GIE is clear at the boundaries 2..4.
DINT_LOOP = irq_loop_program("", """\
loop:   mov r2, r10
i1:     dint
i2:     nop
i3:     mov r10, r2
i4:     nop
i5:     jmp loop
""")
_DINT_STARTS = [(0, "loop"), (1, "i1"), (2, "i2"), (3, "i3"), (4, "i4"), (5, "i5")]


def test_interrupts_and_run_limits_around_dint() -> None:
    """DINT leaves the fast path alone (cpu.c sr_write): an interrupt asserted at any cycle of a DINT /
    SR-restore loop is still taken at the first boundary with GIE set and no EINT delay, and a run limit
    at any cycle stops at the next boundary."""
    check_irq_and_run_limits(lambda: warm_loop(DINT_LOOP, 70), loop_boundary(_DINT_STARTS, 7), 15,
                             loop_boundary(_DINT_STARTS, 7, {"loop", "i1", "i5"}))  # GIE set, no EINT delay
