"""VCD trace of an emulated mote (`esse run --vcd`, harness/emulator/vcd.py, csrc/trace_vcd.c), read back
with the tests' own reader (tests/emulator/vcd_reader.py) and checked against the firmware's timing,
the radio's air time, the power tracker's totals and the UART output; recording changes no output."""

from __future__ import annotations

import io
import re

import pytest

from harness.build import build_app
from harness.emulator.cli import run_command
from harness.emulator.mote import Mote, lib
from harness.emulator.radio import BYTE_NS, TURNAROUND_NS, Radio
from harness.emulator.vcd import MoteTrace, VcdWriter
from tests.emulator.vcd_reader import read_vcd

ACLK_HZ = 32768
HEARTBEAT_NS = 500_000_000  # hello: the blue LED toggles every SKY_CLOCK_HZ / 2 ACLK ticks
BEACON_MPDU = 30  # beacon: MPDU bytes without the FCS the radio adds
SHR_BYTES = 5  # 4 preamble bytes + SFD
SLACK_NS = 3_000  # an event may fire up to one instruction late (<= 6 cycles) while the CPU runs


@pytest.fixture(scope="module")
def hello_elf():
    return build_app("hello").elf


@pytest.fixture(scope="module")
def beacon_elf():
    return build_app("beacon").elf


def intervals_by_value(var, end: int) -> dict[int | None, int]:
    out: dict[int | None, int] = {}
    for start, stop, value in var.intervals(end):
        out[value] = out.get(value, 0) + stop - start
    return out


def test_esse_run_vcd_changes_no_output_and_traces_hello(hello_elf, tmp_path, capsys) -> None:
    vcd_file = tmp_path / "hello.vcd"
    assert run_command(str(hello_elf), 10**12, seconds=9.2) == 0
    plain = capsys.readouterr().out
    assert run_command(str(hello_elf), 10**12, seconds=9.2, vcd=str(vcd_file)) == 0
    traced = capsys.readouterr().out
    assert traced == plain  # byte for byte: UART output, cycles, per-mode times

    vcd = read_vcd(vcd_file.read_text())
    assert vcd.timescale == "1ns"
    assert vcd.end == int(re.search(r"^TIME_NS (\d+)$", plain, re.M).group(1))

    # the UART1 bytes in the trace are the mote's output, and their times are increasing
    uart = vcd["mote1.uart1_tx"].changes[1:]  # the first entry is the initial x
    body = plain[: plain.index("\nCYCLES ")]
    assert bytes(v for _, v in uart).decode("latin-1") == body
    assert len(vcd["mote1.uart1_byte"].changes) == len(uart)

    # green LED (active low) lit around the self-test, whose length in ACLK ticks the firmware prints
    # (measured between the banner's and the result line's printf: a few ms of UART buffering apart)
    green = vcd["mote1.pins.led_green_n"].changes
    lit = [(a, b) for a, b, v in vcd["mote1.pins.led_green_n"].intervals(vcd.end) if v == 0 and a > 0]
    assert len(lit) == 1 and green[-1][1] == 1
    ticks = int(re.search(r"T selftest_ticks=(\d+)", plain).group(1))
    selftest_ns = ticks * 1_000_000_000 // ACLK_HZ
    assert selftest_ns <= lit[0][1] - lit[0][0] <= selftest_ns + 10_000_000

    # blue LED heartbeat: lit at once after the self-test, then one toggle every half second of ACLK
    # from there (the wake-up latency is the same for each beat: the spacing is exact to an instruction)
    blue = [t for t, _ in vcd["mote1.pins.led_blue_n"].changes[2:]]  # [0]: POR, [1]: sky_init drives it
    assert blue[0] > lit[0][1] and len(blue) >= 5
    blue = blue[1:]
    assert all(abs((b - a) - HEARTBEAT_NS) <= SLACK_NS for a, b in zip(blue, blue[1:], strict=False))
    assert vcd["mote1.ports.P5"].value_at(blue[-1]) >> 6 & 1 == vcd["mote1.pins.led_blue_n"].changes[-1][1]

    # CPU modes: the intervals add up to the power tracker's totals (STATE_NS CPU/LPM), exactly
    per_mode = intervals_by_value(vcd["mote1.cpu_mode"], vcd.end)
    cpu_ns = int(re.search(r"^STATE_NS CPU (\d+)$", plain, re.M).group(1))
    lpm_ns = int(re.search(r"^STATE_NS LPM (\d+)$", plain, re.M).group(1))
    assert per_mode.get(0, 0) == cpu_ns
    assert sum(ns for mode, ns in per_mode.items() if mode) == lpm_ns
    assert per_mode.get(4, 0) > 0  # the heartbeat sleeps in LPM3

    # DCO: 750 kHz-ish model value after the POR (RSEL 4, DCO 3), then the firmware's calibration
    dco = vcd["mote1.dco_hz"].changes
    assert dco[0] == (0, lib.clk_dco_model_hz(4, 3, 0))
    assert abs(dco[-1][1] - int(re.search(r"dco_hz=(\d+)", plain).group(1))) < 0.01 * dco[-1][1]


def _traced_hello(elf, node_id: int) -> tuple[Mote, str]:
    mote = Mote(elf, node_id=node_id)
    buf = io.StringIO()
    trace = MoteTrace(mote, buf)
    for step in range(1, 9):
        mote.run_until_time(step * 1_100_000_000 + 12_345)
        trace.poll()
    trace.close()
    return mote, buf.getvalue()


def test_cpu_mode_intervals_equal_the_trackers_ns(hello_elf) -> None:
    mote, text = _traced_hello(hello_elf, 4)
    assert _traced_hello(hello_elf, 4)[1] == text  # the same run gives the same file, byte for byte
    vcd = read_vcd(text)
    assert vcd.end == mote.time_ns
    per_mode = intervals_by_value(vcd["mote4.cpu_mode"], vcd.end)
    cpu_modes = list(mote.mode_ns(0))  # the core's mode names, in its order (the VCD's values)
    assert {name: per_mode.get(k, 0) for k, name in enumerate(cpu_modes)} == mote.mode_ns(0)


def test_radio_goes_to_transmit_for_each_frame_for_its_air_time(beacon_elf) -> None:
    mote = Mote(beacon_elf, node_id=1)
    radio = Radio(mote)
    buf = io.StringIO()
    trace = MoteTrace(mote, buf)  # after the radio: its component is known
    mote.run_until_time(3_600_000_000)
    trace.close()
    assert "beacon node=1 ready" in mote.uart_text()
    frames = radio.transmitted
    assert len(frames) >= 3
    vcd = read_vcd(buf.getvalue())
    transmit = list(mote.mode_ns(mote.components().index("radio"))).index("transmit")
    tx = [(a, b) for a, b, v in vcd["mote1.radio_mode"].intervals(vcd.end) if v == transmit]
    assert len(tx) == len(frames)
    sfd = [(a, b) for a, b, v in vcd["mote1.pins.cc2420_sfd"].intervals(vcd.end) if v == 1]
    assert len(sfd) == len(frames)
    air_ns = (SHR_BYTES + 1 + BEACON_MPDU + 2) * BYTE_NS  # preamble+SFD, length byte, MPDU, FCS
    for f, (a, b), (s0, s1) in zip(frames, tx, sfd, strict=True):
        assert len(f.psdu) == BEACON_MPDU + 2 and f.end_ns - f.start_ns == air_ns
        # transmit from the strobe (12 symbols before the preamble) to the frame's last bit
        assert a == f.start_ns - TURNAROUND_NS
        assert 0 <= b - f.end_ns <= SLACK_NS
        assert abs((b - a) - (TURNAROUND_NS + air_ns)) <= SLACK_NS
        # SFD pin: high from the end of the SFD byte to the end of the frame
        assert 0 <= s0 - (f.start_ns + SHR_BYTES * BYTE_NS) <= SLACK_NS
        assert 0 <= s1 - f.end_ns <= SLACK_NS
    # the radio's mode totals are the tracker's too
    comp = lib.cc2420_component(radio._r)
    per_mode = intervals_by_value(vcd["mote1.radio_mode"], vcd.end)
    tracker = [lib.mote_component_ns(mote.ptr, comp, k) for k in range(5)]
    assert [per_mode.get(k, 0) for k in range(5)] == tracker
    # the CC2420 control lines the firmware drives: VREG_EN and RESETn high once it is up
    assert vcd["mote1.pins.cc2420_vreg_en"].changes[-1][1] == 1
    assert vcd["mote1.pins.cc2420_resetn"].changes[-1][1] == 1


def test_resets_and_stopped_trace(hello_elf) -> None:
    mote = Mote(hello_elf)
    buf = io.StringIO()
    trace = MoteTrace(mote, buf)
    mote.run_until_time(10_000_000)
    lib.mote_puc_cause(mote.ptr, 1)  # as a watchdog expiry would
    mote.run_until_time(20_000_000)
    trace.close()
    vcd = read_vcd(buf.getvalue())
    assert len(vcd["mote0.reset"].changes) == 1
    t_reset = vcd["mote0.reset"].changes[0][0]
    assert 10_000_000 <= t_reset < 10_010_000
    assert vcd["mote0.reset_cause"].changes[-1] == (t_reset, 1)
    assert vcd["mote0.cpu_mode"].value_at(t_reset) == 0
    size = len(buf.getvalue())
    mote.run_until_time(30_000_000)  # closed: nothing more is recorded or written
    assert lib.vcdt_pending(trace._t) == 0 and len(buf.getvalue()) == size


def test_writer_codes_and_values() -> None:
    codes = [VcdWriter._code(i) for i in range(94 * 95 + 3)]
    assert len(set(codes)) == len(codes)
    assert all(33 <= ord(c) <= 126 for code in codes for c in code)
    assert codes[0] == "!" and codes[93] == "~" and len(codes[94]) == 2
    out = io.StringIO()
    w = VcdWriter(out)
    w.scope("top")
    a = w.var("a")
    b = w.var("b", 8, "reg")
    w.header(5, {a: 1, b: None}, "test")
    w.change(5, b, 0x2A)
    w.change(7, a, 0)
    with pytest.raises(ValueError, match="backwards"):
        w.change(6, a, 1)
    w.end(9)
    vcd = read_vcd(out.getvalue())
    assert vcd["top.a"].changes == [(5, 1), (7, 0)]
    assert vcd["top.b"].changes == [(5, None), (5, 0x2A)]
    assert vcd.end == 9


def test_run_vcd_bad_path_is_a_clear_error(hello_elf, tmp_path, capsys) -> None:
    bad = tmp_path / "no" / "such" / "dir" / "x.vcd"
    assert run_command(str(hello_elf), 1000, vcd=str(bad)) == 1
    err = capsys.readouterr().err
    assert "--vcd" in err and "Traceback" not in err
