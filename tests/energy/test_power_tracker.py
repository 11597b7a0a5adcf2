"""One power tracker: `esse run` and the simulation (SkySimMote.power) read the same nanoseconds
from the C core, and those are right across the boot-time DCO calibration.

Issue 11's case: ccs_serial, 2 s from power-on. Converting CPU-active cycles at the final MCLK gave
222.6 ms while the simulation summed nanoseconds (446.3 ms): boot runs at about 750 kHz before the
firmware tunes the DCO to 3.9 MHz. The oracle here is independent of the tracker: it single-steps
the boot (every DCO step of the calibration) and prices each instruction's cycles at the MCLK
frequency in force when it ran, in exact fractions, then adds the rest at the settled frequency."""

from __future__ import annotations

import io
import re
from fractions import Fraction

import pytest

from harness.build import build_app
from harness.emulator.cli import run_command
from harness.emulator.mote import Mote
from harness.emulator.power import power_report
from harness.emulator.simmote import SkySimMote

SECONDS = 2


@pytest.fixture(scope="module")
def elf():
    return build_app("ccs_serial").elf


def oracle_active_ns(elf) -> tuple[Fraction, int]:
    """CPU-active time over SECONDS from power-on, counted per MCLK frequency segment."""
    m = Mote(elf)
    settled = m.symbol("sky_clock_start")  # the DCO calibration has returned; MCLK stays put
    ns = Fraction(0)
    frequencies = set()
    while m.reg(0) != settled:
        assert m.cpu_mode() == "active"  # the boot never sleeps
        cycle, hz = m.now, m.mclk_hz
        frequencies.add(hz)
        m.step()
        ns += Fraction((m.now - cycle) * 10**9, hz)
    active, hz = m.active_cycles, m.mclk_hz
    m.run_until_time(SECONDS * 10**9)
    assert m.mclk_hz == hz
    ns += Fraction((m.active_cycles - active) * 10**9, hz)
    return ns, len(frequencies)


def test_esse_run_and_simulation_agree_with_the_oracle(elf) -> None:
    out = io.StringIO()
    assert run_command(str(elf), 10**9, out=out, seconds=SECONDS) == 0
    text = out.getvalue()
    run_cpu_ns = int(re.search(r"^STATE_NS CPU (\d+)$", text, re.M).group(1))
    run_line_us = float(re.search(r"^\s+cpu active\s+([\d.]+) us", text, re.M).group(1))

    sim = SkySimMote(elf, mote_id=1)
    sim.run_until(SECONDS * 1_000_000)
    sim_cpu_us = sim.power()["CPU"]

    want, segments = oracle_active_ns(elf)
    assert segments > 100  # the calibration really walked the DCO
    # ns are floored once per mode change: a few ns apart at most over thousands of changes
    assert abs(run_cpu_ns - want) < 1_000
    assert run_line_us == pytest.approx(run_cpu_ns / 1000, abs=0.001)
    assert sim_cpu_us == run_cpu_ns // 1000
    # the old conversion (all active cycles at the final MCLK) is far off: boot ran slower
    m = Mote(elf)
    m.run_until_time(SECONDS * 10**9)
    assert m.active_cycles * 10**9 / m.mclk_hz < 0.6 * float(want)


def test_report_states_sum_to_elapsed_time(elf) -> None:
    m = Mote(elf)
    m.run_until_time(SECONDS * 10**9)
    rep = power_report(m)
    states = rep.state_ns()
    assert states["CPU"] + states["LPM"] == rep.total_ns == m.time_ns
    assert rep.ns("cpu", "active") == m.active_ns == states["CPU"]


def test_esse_run_refuses_a_non_positive_time(elf, capsys) -> None:
    assert run_command(str(elf), 10**6, seconds=0) == 1
    assert "--seconds must be positive" in capsys.readouterr().err
