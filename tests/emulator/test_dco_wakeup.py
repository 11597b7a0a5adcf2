"""DCO wake-up from LPM3/LPM4: the DCO is off there and the CPU starts once it runs again, at most
6 us after the interrupt (F1611 datasheet, "wake-up from LPM3 < 6 us"; MOTE_DCO_WAKE_NS). LPM0-2 keep
the DCO (or its DC generator) on: no delay. Events due meanwhile fire on time."""

from __future__ import annotations

import pytest
from emu_helpers import mote_from_asm
from test_cpu_irq import CPUOFF, GIE, LPM_PROGRAM, OSCOFF, SCG0, SCG1

from harness.emulator.mote import lib

LPM3_PROGRAM = LPM_PROGRAM.replace(f"bis #{GIE | CPUOFF}, r2", f"bis #{GIE | CPUOFF | SCG0 | SCG1}, r2")


def wake_cycles(mclk_hz: int, ns: int = 6000) -> int:
    return -(-mclk_hz * ns // 1_000_000_000)


@pytest.mark.parametrize(
    ("bits", "delayed"),
    [
        (CPUOFF, False),
        (CPUOFF | SCG0, False),
        (CPUOFF | SCG1, False),
        (CPUOFF | SCG0 | SCG1, True),
        (CPUOFF | SCG0 | SCG1 | OSCOFF, True),
    ],
)
def test_wake_latency_by_mode(bits: int, delayed: bool) -> None:
    m = mote_from_asm(LPM_PROGRAM.replace(f"bis #{GIE | CPUOFF}, r2", f"bis #{GIE | bits}, r2"))
    m.run_until_pc("sleep", 1000)
    m.step()
    m.schedule_irq(5, True, 10_000)
    m.run_until_pc("woke", 50_000)
    m.irq_set(5, False)
    extra = wake_cycles(m.ptr.mclk_hz) if delayed else 0
    assert m.now == 10_000 + extra + 6 + 5 + 5  # (+ wake-up) + acceptance + BIC + RETI
    if delayed:
        assert 1 <= extra <= 6 * m.ptr.mclk_hz // 1_000_000 + 1


def test_wake_latency_can_be_switched_off_and_events_keep_their_time() -> None:
    m = mote_from_asm(LPM3_PROGRAM)
    m.ptr.dco_wake_ns = 0
    m.run_until_pc("sleep", 1000)
    m.step()
    m.schedule_irq(5, True, 10_000)
    m.run_until_pc("woke", 50_000)
    assert m.now == 10_000 + 6 + 5 + 5
    # with the delay: an event due during the start-up fires at its own time
    m2 = mote_from_asm(LPM3_PROGRAM)
    m2.ptr.dco_wake_ns = 100_000  # long enough to see it
    m2.run_until_pc("sleep", 1000)
    m2.step()
    m2.schedule_irq(5, True, 10_000)
    m2.run_until_cycle(10_010)
    assert m2.cpu_mode() == "lpm3" and m2.ptr.irq_lines == 1 << 5  # waking, not yet accepted
    lib.mote_schedule_irq(m2.ptr, 7, 1, 10_020)
    m2.run_until_cycle(10_030)
    assert m2.ptr.irq_lines == (1 << 5) | (1 << 7) and m2.now == 10_030
    assert lib.mote_component_time(m2.ptr, 0, 0) + lib.mote_component_time(m2.ptr, 0, 4) == 10_030
