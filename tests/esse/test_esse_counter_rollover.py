"""The durable counters survive a reset at every instruction of a log roll-over.

firmware/apps/emutest_counters writes growing counter states through firmware/infomem forever and
records in RAM the last state whose write returned (what the CCS may have acknowledged). A reference
run steps it instruction by instruction and finds each segment erase (a roll-over); then, for every
instruction boundary from just before the erase until the state written after it is acknowledged, a
fresh mote runs to that boundary, is reset (power loss, watchdog) and boots again: the counters it
reads back must be at least the last acknowledged state. The emulator erases a segment at the start
of the erase and holds the CPU (which executes from flash) until the controller's 4819 timing-
generator cycles have passed (harness/emulator/csrc/periph_flash.c), so a reset N cycles into the
erase lands on the instruction boundary after it: instruction granularity covers every N."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.build import build_app
from harness.emulator.mote import Mote

BOOT = re.compile(rb"boot rx (\d+) tx (\d+) left (\d+)\n")
# roll-overs: A (12 entries) full -> bank M erased; M (51) full -> A erased; A full -> M erased again
ROLLS = 3
WRITES = 12 + 51 + 12 + 2


def acked(mote: Mote) -> tuple[int, int]:
    """The last (rx_counter, tx_mark) whose write returned, from the firmware's RAM."""
    raw = mote.read_bytes(mote.symbol("emutest_acked"), 8)
    return int.from_bytes(raw[:4], "little"), int.from_bytes(raw[4:], "little")


def erases(mote: Mote) -> int:
    """Segment erases the firmware did since reset (infomem_stats())."""
    return mote.read16(mote.read16(mote.symbol("emutest_stats")) + 2)


def booted(elf: Path) -> Mote:
    """A mote with the erased image, past its first boot line."""
    mote = Mote(elf)
    assert mote.run_until_uart(BOOT, 20_000_000).reason == "uart", mote.uart_text()
    return mote


def roll_windows(elf: Path) -> list[list[int]]:
    """For each roll-over: the cycle counts of the instruction boundaries from shortly before its
    erase until the state written after it is acknowledged."""
    mote = booted(elf)
    boundaries: list[int] = []
    windows: list[list[int]] = []
    seen, start, ack_before = 0, -1, (0, 0)
    while len(windows) < ROLLS:
        assert acked(mote)[0] <= WRITES, "fewer roll-overs than the log layout promises"
        boundaries.append(mote.now)
        a = acked(mote)
        mote.step()
        if start < 0 and erases(mote) > seen:
            seen = erases(mote)
            start, ack_before = len(boundaries) - 1, a
        elif start >= 0 and acked(mote) != ack_before:
            windows.append(boundaries[max(0, start - 40) :] + [mote.now])
            start = -1
        if start < 0 and len(boundaries) > 64:
            del boundaries[:-64]
    return windows


def reset_at(elf: Path, cycle: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """Run a fresh mote to `cycle`, reset it: (acknowledged before, counters read back after)."""
    mote = booted(elf)
    mote.run_until_cycle(cycle)
    before = acked(mote)
    assert mote.read16(mote.symbol("emutest_failures")) == 0
    mote.reset()
    twice = re.compile(BOOT.pattern + rb"(?s:.*)" + BOOT.pattern)
    run = mote.run_until_uart(twice, 20_000_000)
    assert run.reason == "uart" and run.match is not None, mote.uart_text()
    rx, tx = (int(g) for g in run.match.groups()[3:5])
    return before, (rx, tx)


@pytest.fixture(scope="module")
def elf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test firmware, built into the test's own directory."""
    return build_app("emutest_counters", build_root=tmp_path_factory.mktemp("build")).elf


def test_a_reset_anywhere_in_a_roll_over_keeps_the_acknowledged_counters(elf: Path) -> None:
    windows = roll_windows(elf)
    assert len(windows) == ROLLS
    for window in windows:
        assert len(window) > 50  # the erase, five word writes, the read-back
        for cycle in window:
            (ack_rx, ack_tx), (rx, tx) = reset_at(elf, cycle)
            assert rx >= ack_rx and tx >= ack_tx, (
                f"reset at cycle {cycle}: acknowledged rx {ack_rx} tx {ack_tx}, read back rx {rx} tx {tx}"
            )
            # nothing beyond the write in flight: the state is what was written, not made up
            assert rx <= ack_rx + 1 and tx <= ack_tx + 4, (cycle, ack_rx, ack_tx, rx, tx)
