"""firmware/apps/emutest_timer on the emulator: the real board layer (DCO calibration against ACLK,
Timer_A clock, UART1 at 115200) plus a Timer_A CCR0 compare on ACLK that wakes the CPU from LPM3.

Checks: one wake-up every 32 768 ACLK ticks exactly (= MCLK cycles per second +-1 rounding), almost
no active cycles between wake-ups, UART characters back to back at 10 bit times of 115200 baud."""

from __future__ import annotations

import re
from itertools import pairwise

import pytest

from harness.build import build_app
from harness.emulator.mote import Mote


@pytest.fixture(scope="module")
def elf(tmp_path_factory):
    return build_app("emutest_timer", build_root=tmp_path_factory.mktemp("build")).elf


@pytest.fixture
def booted(elf) -> Mote:
    mote = Mote(elf)
    run = mote.run_until_uart(rb"emutest_timer dco_hz=(\d+)\n", max_cycles=20_000_000)
    assert run.reason == "uart", mote.uart_text()
    dco = int(run.match.group(1))
    assert abs(dco - 3_900_000) < 0.01 * 3_900_000
    return mote


def test_wakes_once_per_aclk_second_from_lpm3(booted: Mote) -> None:
    m = booted
    mclk = m.mclk_hz
    entries, active = [], []
    for _ in range(5):
        assert m.run_until_pc("emutest_ta0_isr", 2 * mclk).reason == "stop"
        entries.append(m.now)
        active.append(m.mode_cycles()["active"])
        m.step()
    gaps = [b - a for a, b in pairwise(entries)]
    assert all(abs(g - mclk) <= 1 for g in gaps), (gaps, mclk)
    busy = [b - a for a, b in pairwise(active)]
    # per second: the ISR, one printf of "wake n" and its wait for the last stop bit (~0.6 ms)
    assert all(b < 0.01 * mclk for b in busy), busy
    lpm3 = m.mode_cycles()["lpm3"]
    assert lpm3 > 0.8 * m.now
    assert re.search(rb"wake 1\nwake 2\nwake 3\n", m.uart_output())


def test_uart_characters_take_ten_bit_times(booted: Mote) -> None:
    m = booted
    start = len(m.uart_output())
    stamps = []
    for k in range(1, 8):  # "wake 1\n": written back to back through the double buffer
        pattern = re.compile(rb"(?s)\A.{%d}" % (start + k))
        assert m.run_until_uart(pattern, max_cycles=2 * m.mclk_hz).reason == "uart"
        stamps.append(m.now)
    gaps = [b - a for a, b in pairwise(stamps)]
    # when printf keeps TXBUF full the characters follow each other at exactly one character time
    # (the same modulation pattern each time); a slower putc only makes a gap longer
    char = min(gaps)
    assert sum(1 for g in gaps if g <= char + 1) >= 3, gaps
    micros = char * 1e6 / m.mclk_hz
    assert abs(micros - 86.806) < 0.03 * 86.806, micros
