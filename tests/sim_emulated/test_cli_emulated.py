"""`esse sim run` end to end with emulated Sky motes: the two-mote TOML scenario, the `.csc` it
renders, per-mote ADC inputs, and a serial socket talking to a mote's UART1 during a real-time run."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
import serial

from harness.cli import main
from harness.paths import COOJA_CONFIGS_DIR
from harness.sim.csc import read_csc

from .helpers import render_scenario

TWO = COOJA_CONFIGS_DIR / "scenarios" / "two_motes.toml"


def check_outputs(out, capsys_out: str) -> dict:
    testlog = (out / "COOJA.testlog").read_text().splitlines()
    assert testlog[0] == "Random seed: 123456" and testlog[-1] == "TEST OK"
    log = (out / "mote-output.log").read_text()
    assert "\tID:1\tTX seq=0 dst=2 len=50 rc=0 acked=1 " in log
    assert "\tID:2\tRX len=50 crc=1 " in log
    assert (out / "radio.pcap").stat().st_size > 24 + 16 + 52
    power = json.loads((out / "power.json").read_text())
    for mote in ("1", "2"):
        modes = power["motes"][mote]["modes"]
        assert set(modes) == {"CPU", "LPM", "TX", "RX"}
    csv = (out / "power.csv").read_text().splitlines()
    assert csv[0] == "mote,mode,time_us,current_mA,energy_mJ" and len(csv) == 9
    summary = json.loads((out / "summary.json").read_text())
    assert summary["verdict"] == "OK" and summary["stop_reason"] == "condition"
    frames = summary["frames"]
    assert frames["frames_sent"] >= 2 and frames["received"] >= 2 and frames["corrupted"] == 0
    assert set(summary["energy_mJ"]) == {"1", "2"} and all(v > 0 for v in summary["energy_mJ"].values())
    assert "frames: sent" in capsys_out and "mote 2:" in capsys_out
    return summary


def test_two_motes_from_toml_and_from_the_rendered_csc(radiotest_elf, tmp_path, capsys):
    assert main(["sim", "run", str(TWO), "--out", str(tmp_path / "toml")]) == 0
    a = check_outputs(tmp_path / "toml", capsys.readouterr().out)
    csc = tmp_path / "two.csc"
    assert main(["sim", "render", str(TWO), "-o", str(csc)]) == 0
    capsys.readouterr()
    assert main(["sim", "run", str(csc), "--out", str(tmp_path / "csc")]) == 0
    b = check_outputs(tmp_path / "csc", capsys.readouterr().out)
    assert a == b
    for name in ("COOJA.testlog", "mote-output.log", "radio.pcap", "power.csv"):
        assert (tmp_path / "toml" / name).read_bytes() == (tmp_path / "csc" / name).read_bytes(), name


def test_adc_values_from_the_scenario_reach_the_firmware(beacon_elf, tmp_path, capsys):
    scenario = tmp_path / "adc.toml"
    scenario.write_text(
        'title = "ADC"\nseed = 5\nduration_s = 0.6\nmotedelay_us = 0\n'
        '[[motes]]\napp = "beacon"\nadc = { temperature = 2400, light = 300 }\n'
        '[[motes]]\napp = "beacon"\nadc = { "10" = 1234 }\n'
    )
    csc = tmp_path / "adc.csc"
    text, seen = render_scenario(scenario, csc)
    assert "// esse-adc mote=1 ch=4 value=300" in text and "// esse-adc mote=2 ch=10 value=1234" in text
    assert read_csc(csc).esse_adc() == {1: {4: 300, 10: 2400}, 2: {10: 1234}}
    assert [r.adc for r in seen] == [{4: 300, 10: 2400}, {10: 1234}]
    capsys.readouterr()
    assert main(["sim", "run", str(csc), "--out", str(tmp_path / "out")]) == 0
    log = (tmp_path / "out" / "mote-output.log").read_text()
    assert "ID:1\tbeacon node=1 ready light=300 temp=2400" in log
    assert "ID:2\tbeacon node=2 ready light=0 temp=1234" in log


def test_bad_adc_value_is_a_clear_error(tmp_path, capsys):
    scenario = tmp_path / "bad.toml"
    scenario.write_text('duration_s = 1.0\n[[motes]]\napp = "beacon"\nadc = { temperature = 5000 }\n')
    assert main(["sim", "run", str(scenario), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "bad.toml" in err and "5000" in err and "0..4095" in err


@pytest.mark.slow
def test_serial_socket_to_an_emulated_mote_in_a_realtime_run(radiotest_elf, tmp_path):
    scenario = tmp_path / "serial.toml"
    scenario.write_text(
        'title = "serial"\nseed = 1\nduration_s = 30.0\nmotedelay_us = 0\n'
        '[[motes]]\napp = "radiotest"\ncount = 2\n'
        "[serial]\nmotes = [1]\n"
    )
    cmd = [sys.executable, "-c", "import sys; from harness.cli import main; sys.exit(main(sys.argv[1:]))"]
    p = subprocess.Popen(
        [*cmd, "sim", "run", str(scenario), "--realtime", "--out", str(tmp_path / "out"), "--port-base", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready = p.stdout.readline()
        m = re.fullmatch(r"SERIAL READY id=1 port=(\d+)", ready.strip())
        assert m, (ready, p.stderr.read() if p.poll() else "")
        port = int(m[1])
        with serial.serial_for_url(f"socket://127.0.0.1:{port}", timeout=5) as s:
            # connected before the mote booted: its first line comes through the socket
            assert s.read_until(b"radiotest node=1 ready\n").endswith(b"radiotest node=1 ready\n")
            s.write(b"period 0\n")
            assert s.read_until(b"OK period 0\n").endswith(b"OK period 0\n")
            s.write(b"stats\n")
            got = s.read_until(b"OK stats\n")
            assert b"STATS dropped=0 chan=26\n" in got and got.endswith(b"OK stats\n")
            s.write(b"send 2\n")
            got = s.read_until(b"OK send 2\n")
            assert b"TX seq=" in got and b"rc=0 acked=1" in got
        # stopping a realtime run (SIGTERM, as a parent process does) still writes the outputs
        p.terminate()
        assert p.wait(timeout=20) == 130, p.stderr.read()
        assert "interrupted at" in p.stderr.read()
        out = tmp_path / "out"
        assert (out / "radio.pcap").stat().st_size > 24 and (out / "summary.json").exists()
        assert "RX len=" in (out / "mote-output.log").read_text()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=10)


CRASHER = """
        .text
        .globl _start
_start: mov #0x3900, r1
        mov #0x5a80, &0x0120
        mov #2000, r15
1:      dec r15
        jnz 1b
        br #0x3a00
        .section .vectors,"ax"
        .fill 15, 2, 0
        .word _start
"""


def test_a_faulting_mote_is_named_and_the_outputs_are_kept(radiotest_elf, tmp_path, capsys):
    from harness.emulator.asm import assemble

    crasher = assemble(CRASHER, out_dir=tmp_path / "asm")
    csc = tmp_path / "two.csc"
    assert main(["sim", "render", str(TWO), "-o", str(csc)]) == 0
    sim = read_csc(csc)
    # mote 2 runs a program that jumps to unmapped memory (0x3A00) after ~6000 cycles
    sim.mote_types.append(type(sim.mote_types[0])("crasher", "crasher", str(crasher)))
    sim.motes[1].type_identifier = "crasher"
    sim.motedelay_us = 0  # both power on at 0: the crash comes within the first 10 ms
    from harness.sim.csc import write_csc

    write_csc(sim, csc)
    capsys.readouterr()
    assert main(["sim", "run", str(csc), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "mote 2 (" in err and "PC=0x3a00" in err and "outputs up to then" in err
    assert (tmp_path / "out" / "COOJA.testlog").read_text().splitlines()[-1] == "TEST FAILED"
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["stop_reason"] == "error" and 0 < summary["end_us"] < 10_000
