"""The clock module's time base against exact integer arithmetic (periph_clk.h): time in units of
2^-32 LFXT1 periods, t(c) = base_t + floor((c - base_c) * 2^47 / f_MCLK), ns(c) = floor(t(c) * 10^9 /
2^47), and the first cycle at ns = base_c + ceil((ceil(ns * 2^47 / 10^9) - base_t) * f / 2^47). The C
side computes these without 128-bit divisions (a reciprocal of f for short distances from the last
clock change, the division beyond 2^40 cycles; 10^9 split as 2^9 * 5^9): every path and boundary is
compared here, at the reset DCO and after the firmware re-tuned it."""

from __future__ import annotations

import random

import pytest
from emu_helpers import STOP_WATCHDOG, mote_from_asm

from harness.emulator.mote import Mote, lib

T_PER_SEC = 32768 << 32


def t_at(c: int, base_c: int, base_t: int, f: int) -> int:
    return base_t + (c - base_c) * T_PER_SEC // f


def ns_at(c: int, base_c: int, base_t: int, f: int) -> int:
    return t_at(c, base_c, base_t, f) * 10**9 // T_PER_SEC


def cycle_at_ns(ns: int, base_c: int, base_t: int, f: int) -> int:
    t = -(-ns * T_PER_SEC // 10**9)
    if t <= base_t:
        return base_c
    return base_c + -(-(t - base_t) * f // T_PER_SEC)


def distances(f: int) -> list[int]:
    """Cycle distances from the base: small ones, powers of two around the 2^40 switch, random, and
    those where d * 2^47 / f is a whole number (f's odd part divides d: a reciprocal's quotient falls
    short exactly there)."""
    rng = random.Random(7)
    odd = f // (f & -f)
    out = list(range(0, 70)) + [2**k + e for k in range(10, 48) for e in (-1, 0, 1)]
    out += [k * odd + e for k in (1, 2, 3, 1000, 2**20 + 1, 2**39 // odd) for e in (-1, 0, 1)]
    out += [rng.randrange(2**k) for k in (20, 30, 39, 40, 41, 45) for _ in range(40)]
    return out


def check_mapping(m: Mote, base_c: int, base_t: int) -> None:
    f = m.ptr.mclk_hz
    for d in distances(f):
        c = base_c + d
        ns = ns_at(c, base_c, base_t, f)
        assert lib.clk_cycle_to_ns(m.ptr, c) == ns, (d, f)
        for x in (ns - 1, ns, ns + 1):
            if x >= 0:
                assert lib.clk_cycle_at_ns(m.ptr, x) == cycle_at_ns(x, base_c, base_t, f), (d, x, f)
    rng = random.Random(f)
    for _ in range(2000):  # every residue class of ns mod 5^9 matters to the split
        x = rng.randrange(10**13)
        assert lib.clk_cycle_at_ns(m.ptr, x) == cycle_at_ns(x, base_c, base_t, f), (x, f)


SPIN = f"""
        .text
        .globl _start
_start: mov #0x3900, r1
        {STOP_WATCHDOG}
tune:   mov.b #0x87, &0x0057
tuned:  mov.b #0xE0, &0x0056
spin:   jmp spin
"""


def test_time_base_at_reset_dco() -> None:
    m = mote_from_asm(SPIN)
    assert m.ptr.mclk_hz == 750_000
    check_mapping(m, 0, 0)


@pytest.mark.parametrize("stop", ["tuned", "spin"])
def test_time_base_after_a_dco_change(stop: str) -> None:
    m = mote_from_asm(SPIN)
    m.run_until_pc(stop, 1000)
    # the last clock write took effect at the end of its instruction: that cycle is the new base
    base_c = m.now
    base_t = t_at(base_c, 0, 0, 750_000) if stop == "tuned" else None
    if base_t is None:  # two changes: the base moved at the first write's end too
        m1 = mote_from_asm(SPIN)
        m1.run_until_pc("tuned", 1000)
        c1, f1 = m1.now, m1.ptr.mclk_hz
        base_t = t_at(base_c, c1, t_at(c1, 0, 0, 750_000), f1)
    assert m.ptr.mclk_hz != 750_000
    check_mapping(m, base_c, base_t)


def run_stop_ok(m: Mote, ns: int) -> None:
    """The run reached ns and stopped at the first instruction boundary at or after its first cycle."""
    assert lib.clk_run_until_ns(m.ptr, ns) == 0
    first = lib.clk_cycle_at_ns(m.ptr, ns)
    assert lib.clk_now_ns(m.ptr) >= ns
    assert first <= m.now < first + 6  # at most one instruction past it


@pytest.mark.parametrize("ns", [1_000, 12_000, 17_777, 40_001, 1_000_003])
def test_run_until_ns_stops_at_the_first_cycle_of_that_time_across_dco_changes(ns: int) -> None:
    """clk_run_until_ns decides by cycles under the mapping in force; the firmware re-tunes the DCO
    twice near the start (faster), which moves the limit: the run must not stop at the old one."""
    run_stop_ok(mote_from_asm(SPIN), ns)


PUC_SLOW = f"""
        .text
        .globl _start
_start: mov #0x3900, r1
        {STOP_WATCHDOG}
        cmp #0x1234, &0x2000
        jeq spin
        mov #0x1234, &0x2000
        mov.b #0x80, &0x0057
        mov.b #0x00, &0x0056
        mov #200, r15
1:      dec r15
        jnz 1b
        mov #0, &0x0120
spin:   jmp spin
"""


@pytest.mark.parametrize("ns", [10_000_000, 20_000_000])
def test_run_until_ns_after_a_puc_restores_the_faster_reset_dco(ns: int) -> None:
    """A PUC (WDTCTL without its password) resets the DCO to 750 kHz from a slow setting without
    notifying: the run's cycle limit, computed at the slow clock, comes too early in time and the
    run must go on under the new mapping."""
    m = mote_from_asm(PUC_SLOW)
    run_stop_ok(m, ns)
    assert m.ptr.reset_count[2] == 1  # MOTE_RESET_WDT_KEY (mote.h)
    assert m.ptr.mclk_hz == 750_000


# Timer_A on ACLK, up mode to TACCR0 = 1: an interrupt every two ACLK ticks (61 us); each one wakes
# the CPU from LPM3 and its RETI puts it back (r4 counts them). Every wake-up starts SMCLK and every
# return stops it: thousands of SMCLK gatings with the DCO never touched.
LPM3_TICKER = f"""
        .text
        .globl _start
_start: mov #0x3900, r1
        {STOP_WATCHDOG}
        clr r4
        mov #1, &0x0172
        mov #0x0010, &0x0162
        mov #0x0114, &0x0160
sleep:  bis #0x00D8, r2
        jmp sleep
isr:    inc r4
        reti
        .section .vectors,"ax"
        .fill 6, 2, 0
        .word isr
        .fill 8, 2, 0
        .word _start
"""


def test_smclk_gating_keeps_the_time_base_and_counts_smclk_only_while_awake() -> None:
    """LPM3 stops SMCLK alone: its count freezes and restarts at the present cycle, and the cycle ->
    time mapping stays the one of the last DCO change (here the power-on one), exactly: a time base
    moved at each gating would round each time (floor of a part plus floor of the rest)."""
    m = mote_from_asm(LPM3_TICKER)
    assert lib.clk_run_until_ns(m.ptr, 50_000_000) == 0
    wakeups = m.ptr.r[4]
    assert wakeups > 700  # 50 ms / 61 us
    check_mapping(m, 0, 0)
    active = lib.mote_component_time(m.ptr, 0, 0)  # CPU component, ACTIVE mode: cycles
    assert 0 < active < m.now // 2
    assert lib.clk_ticks(m.ptr, 2) == active  # SMCLK = DCO / 1 ran exactly while the CPU was awake
