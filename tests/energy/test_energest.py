"""Firmware energest (firmware/sys/energest.c) against the emulator's power tracker, and the parser.

Two emulated Sky motes run `beacon` built with ENERGEST_PERIOD_S=1 and BEACON_ACKED=1: boot (DCO
calibration at ~750 kHz up), then every 250 ms an acknowledged frame to the other mote, LPM3 between,
the radio always listening. The firmware's reports are parsed from UART1; a second, identical run
(same seed: same bytes) stops at each report's instant to read the tracker. Per state and per
interval the two must agree within 2 % (they agree to about 0.2 %: what is left is ACLK-tick
resolution on stretches that cross LPM3 and the few cycles around a stamp)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from harness import paths
from harness.build import build_firmware
from harness.build.manifest import load_app
from harness.emulator.power import power_report
from harness.emulator.simmote import SkySimMote
from harness.energy.energest import (
    EnergestFormatError,
    EnergestMonitor,
    intervals_from_log,
    parse_line,
)
from harness.sim.engine import Engine, MoteLine

SECONDS = 4
TOLERANCE = 0.02
STATES = ("CPU", "LPM", "TX", "RX")


@pytest.fixture(scope="module")
def beacon_elf(tmp_path_factory) -> Path:
    spec = load_app(paths.APPS_DIR / "beacon")
    defines = [*spec.defines, "ENERGEST_PERIOD_S=1", "BEACON_ACKED=1", "BEACON_PERIOD_MS=250"]
    out = tmp_path_factory.mktemp("build") / "beacon"
    res = build_firmware(spec.name, spec.sources, [spec.root, *spec.include_dirs], defines, spec.cflags,
                         modules=spec.modules, out_dir=out, linker_script=spec.linker_script)
    return res.elf


def simulation(elf: Path) -> Engine:
    motes = [SkySimMote(elf, i) for i in (1, 2)]
    return Engine(motes, {1: (0.0, 0.0, 0.0), 2: (10.0, 0.0, 0.0)}, seed=3)


@pytest.fixture(scope="module")
def compared(beacon_elf):
    """[(line, firmware interval, tracker interval seconds per state)] for every report."""
    first = simulation(beacon_elf)
    lines: list[MoteLine] = []
    first.add_line_listener(lines.append)
    first.run(until_us=SECONDS * 1_000_000)
    reports = sorted(((s.now, line) for line in lines if (s := parse_line(line.text))),
                     key=lambda r: (r[0], r[1].mote_id))
    second = simulation(beacon_elf)
    monitor = EnergestMonitor()
    before: dict[int, dict[str, int]] = {}
    out = []
    for now, line in reports:
        second.run(until_us=math.ceil(now * 1e6 / 32768))  # the report's instant (ACLK ticks)
        states = power_report(second.by_id[line.mote_id].mote).state_ns()
        last = before.get(line.mote_id, dict.fromkeys(states, 0))
        before[line.mote_id] = states
        interval = monitor.feed_line(line.text)
        assert interval is not None
        out.append((line, interval, {k: (states[k] - last[k]) / 1e9 for k in states}))
    assert not monitor.errors
    return out


def test_reports_cover_boot_radio_and_sleep(compared) -> None:
    nodes = {iv.node for _, iv, _ in compared}
    assert nodes == {1, 2}
    boot = [iv for _, iv, _ in compared if iv.seq == 0]
    assert len(boot) == 2 and all(0.3 < iv.seconds["CPU"] < 0.6 for iv in boot)  # the DCO calibration
    later = [iv for _, iv, _ in compared if iv.seq > 0]
    assert len(later) >= 2 * (SECONDS - 1)
    for iv in later:  # one second: mostly LPM3, four frames sent and four acknowledged
        assert iv.end_s - iv.start_s == pytest.approx(1.0, abs=0.06)
        assert iv.seconds["LPM"] > 0.9 and iv.seconds["TX"] > 4 * 1.4e-3
        assert iv.seconds["RX"] == pytest.approx(iv.end_s - iv.start_s - iv.seconds["TX"], rel=0.01)


@pytest.mark.parametrize("state", STATES)
def test_firmware_energest_matches_the_tracker(compared, state: str) -> None:
    for line, iv, tracker in compared:
        fw, emu = iv.seconds[state], tracker[state]
        if iv.seq == 0 and state in ("LPM", "TX"):
            assert emu == 0 and abs(fw) < 200e-6  # boot never sleeps nor sends; ACLK-tick residue
            continue
        assert fw == pytest.approx(emu, rel=TOLERANCE), (state, line.text)
    totals = {s: sum(t[s] for _, _, t in compared) for s in STATES}
    fw_totals = {s: sum(iv.seconds[s] for _, iv, _ in compared) for s in STATES}
    for s in STATES:
        assert fw_totals[s] == pytest.approx(totals[s], rel=TOLERANCE)


def test_parse_line_forms() -> None:
    line = "EG1 2 3 3b5000 8000 10 20 0 0 1 2 0 0 0 0 0 0 5"
    s = parse_line(line)
    assert s is not None and (s.node, s.seq, s.hz, s.now, s.uart_bytes) == (2, 3, 0x3B5000, 0x8000, 5)
    assert s.ticks[:3] == (0x10, 0, 1) and s.fine[:3] == (0x20, 0, 2)
    cooja = f"123456\tID:2\t{line}"
    assert parse_line(cooja) == s
    assert parse_line("beacon node=1 ready") is None
    with pytest.raises(EnergestFormatError, match="fields"):
        parse_line("EG1 2 3 3b5000")
    with pytest.raises(EnergestFormatError, match="hexadecimal"):
        parse_line("EG1 2 3 3b5000 8000 10 2x 0 0 1 2 0 0 0 0 0 0 5")


def test_intervals_difference_modulo_wrap() -> None:
    hz = 4_000_000
    a = f"EG1 1 0 {hz:x} 8000 8000 0 0 0 0 0 0 0 0 0 0 0 0"  # boot: one second, all CPU
    # one second later: CPU +0.25 s (ticks) + 1 ms (SMCLK counts), 11 520 bytes sent
    now, cpu = (0x8000 + 0x8000) % 2**32, (0x8000 + 0x2000) % 2**32
    b = f"EG1 1 1 {hz:x} {now:x} {cpu:x} {4000:x} 0 0 0 0 0 0 0 0 0 0 {11520:x}"
    mon = EnergestMonitor()
    boot = mon.feed_line(a)
    assert boot is not None and boot.seconds["CPU"] == pytest.approx(1.0) and boot.seconds["LPM"] == 0
    iv = mon.feed_line(b)
    assert iv is not None
    assert iv.seconds["CPU"] == pytest.approx(0.251) and iv.seconds["LPM"] == pytest.approx(0.749)
    assert iv.seconds["UART_TX"] == pytest.approx(1.0)  # 11 520 bytes at 115 200 baud
    assert iv.total_seconds["CPU"] == pytest.approx(1.251)
    text = str(iv)
    assert "\n" not in text and "node 1 #1" in text and "mJ" in text
    # SLIP framing (ccs_serial) and Cooja output both reach the parser
    framed = b"\xc0" + a.encode() + b"\n\xc0garbage\xc0" + b"1000\tID:1\t" + b.encode() + b"\n"
    intervals, errors = intervals_from_log(framed)
    assert [i.seq for i in intervals] == [0, 1] and not errors


def test_wrapped_ticks_counters() -> None:
    mon = EnergestMonitor()
    mon.feed_line("EG1 1 4 3b5000 fffff000 fffff000 0 0 0 0 0 0 0 0 0 0 0 0")  # joined mid-run
    iv = mon.feed_line("EG1 1 5 3b5000 1000 fffff800 0 0 0 0 0 0 0 0 0 0 0 0")
    assert iv is not None
    assert iv.seconds["CPU"] == pytest.approx(0x800 / 32768)
    assert iv.end_s - iv.start_s == pytest.approx(0x2000 / 32768)


def test_esse_energest_command(compared, tmp_path, capsys) -> None:
    from harness.cli import main

    log = tmp_path / "cooja.log"  # Cooja's mote output format: time, mote, text
    log.write_text("".join(f"{line.time_us}\tID:{line.mote_id}\t{line.text}\n" for line, _, _ in compared))
    assert main(["energest", str(log)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(compared) and all(" mJ " in line for line in out)
    empty = tmp_path / "empty.log"
    empty.write_text("hello\n")
    assert main(["energest", str(empty), str(tmp_path / "missing.log")]) == 1
    err = capsys.readouterr().err
    assert "no energest reports" in err and "cannot read" in err


def test_ccs_serial_reports_in_slip_frames(tmp_path) -> None:
    """ccs_serial carries SLIP on UART1: its report is a frame of its own, and the log parser finds it."""
    from harness.emulator.mote import Mote

    spec = load_app(paths.APPS_DIR / "ccs_serial")
    res = build_firmware(spec.name, spec.sources, [spec.root, *spec.include_dirs],
                         [*spec.defines, "ENERGEST_PERIOD_S=1"], spec.cflags, modules=spec.modules,
                         out_dir=tmp_path / "ccs_serial", linker_script=spec.linker_script)
    mote = Mote(res.elf)
    mote.run_until_time(2_600_000_000)
    raw = mote.uart_output()
    assert b"\xc0EG1 " in raw
    intervals, errors = intervals_from_log(raw)
    assert not errors and [iv.seq for iv in intervals] == [0, 1, 2]
    last = parse_line(raw.split(b"\xc0")[-2].decode())
    assert last is not None and last.seq == 2
    again = Mote(res.elf)  # the same run, stopped at the last report's instant
    again.run_until_time(math.ceil(last.now * 1e9 / 32768))
    tracker = power_report(again).state_ns()
    total = intervals[-1].total_seconds
    for state in ("CPU", "LPM"):
        assert total[state] == pytest.approx(tracker[state] / 1e9, rel=TOLERANCE), state


def test_probe_reads_what_the_firmware_prints(beacon_elf) -> None:
    """harness.energy.energest_probe (the set-up runs' energest, read from RAM and timers without running
    the mote) against the firmware's own EG1 lines: stopped at each report's instant (ACLK tick), the
    probe's counters since power-on are the line's within the time between the stop and the stamp."""
    from harness.energy.energest import ACLK_HZ, COUNTED
    from harness.energy.energest_probe import EnergestProbe

    first = simulation(beacon_elf)
    lines: list[MoteLine] = []
    first.add_line_listener(lines.append)
    first.run(until_us=2_500_000)
    reports = sorted(((s.now, s) for line in lines if (s := parse_line(line.text))),
                     key=lambda r: (r[0], r[1].node))
    assert len(reports) >= 4
    second = simulation(beacon_elf)
    probes = {i: EnergestProbe(second.by_id[i], beacon_elf, i) for i in (1, 2)}
    tick = 1 / ACLK_HZ
    for now, printed in reports:
        second.run(until_us=math.ceil(now * 1e6 / ACLK_HZ))
        read = probes[printed.node].read()
        assert read is not None and read.hz == printed.hz and read.seq in (printed.seq, printed.seq + 1)
        assert abs(read.now - printed.now) <= 1
        allowed = (abs(read.now - printed.now) + 1) * tick * 1.05  # the stop and the stamp: <= 2 ticks apart
        for i, state in enumerate(COUNTED):
            fw = printed.ticks[i] * tick + printed.fine[i] / printed.hz
            probed = read.ticks[i] * tick + read.fine[i] / read.hz
            assert probed == pytest.approx(fw, abs=allowed), (state, printed, read)
