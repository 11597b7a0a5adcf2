"""Power tracking on real firmware: emutest_timer sleeps in LPM3 and wakes once per ACLK second;
the report must attribute the time to LPM3 and price it with the Sky LPM current."""

from __future__ import annotations

import pytest

from harness.build import build_app
from harness.emulator.mote import Mote
from harness.emulator.power import power_report
from harness.energy.model import CURRENT_MA, SUPPLY_V

CPU_ACTIVE_MA, CPU_LPM_MA = CURRENT_MA["CPU"], CURRENT_MA["LPM"]
SKY_VOLTAGE = SUPPLY_V



@pytest.fixture(scope="module")
def elf(tmp_path_factory):
    return build_app("emutest_timer", build_root=tmp_path_factory.mktemp("build")).elf


def test_lpm3_firmware_energy(elf) -> None:
    m = Mote(elf)
    assert m.run_until_uart(rb"dco_hz=\d+\n", max_cycles=50_000_000).reason == "uart"
    start = power_report(m)
    m.run(10 * m.mclk_hz)  # ten simulated seconds: ten wake-ups
    rep = power_report(m)
    active = rep.cycles("cpu", "active") - start.cycles("cpu", "active")
    lpm3 = rep.cycles("cpu", "lpm3") - start.cycles("cpu", "lpm3")
    assert active + lpm3 == rep.total_cycles - start.total_cycles
    assert lpm3 > 0.98 * (active + lpm3)
    assert m.uart_text().count("wake ") >= 9
    seconds = (rep.total_ns - start.total_ns) / 1e9
    energy = rep.energy_mj - start.energy_mj
    # bounded by all-LPM and all-active over the same time, and close to the LPM figure
    assert seconds * CPU_LPM_MA * SKY_VOLTAGE < energy < seconds * CPU_ACTIVE_MA * SKY_VOLTAGE
    active_ns = rep.ns("cpu", "active") - start.ns("cpu", "active")
    lpm3_ns = rep.ns("cpu", "lpm3") - start.ns("cpu", "lpm3")
    assert active_ns + lpm3_ns == rep.total_ns - start.total_ns
    want = (active_ns * CPU_ACTIVE_MA + lpm3_ns * CPU_LPM_MA) / 1e9 * SKY_VOLTAGE
    assert energy == pytest.approx(want, rel=1e-12)
    # the DCO is fixed after boot: cycles at that MCLK give the same times (ns are floored at
    # each of the few dozen mode changes)
    assert abs(active_ns - active * 1e9 / m.mclk_hz) < 100
    assert abs(lpm3_ns - lpm3 * 1e9 / m.mclk_hz) < 100
