"""`esse sim run --vcd`: one VCD per emulated mote on the simulation's time line; recording changes
nothing the simulation writes, and each trace agrees with the run's power report and frame counts."""

from __future__ import annotations

import json

from harness.cli import main
from harness.paths import COOJA_CONFIGS_DIR
from tests.emulator.vcd_reader import read_vcd

TWO = COOJA_CONFIGS_DIR / "scenarios" / "two_motes.toml"
OUTPUTS = ("COOJA.testlog", "mote-output.log", "radio.pcap", "power.csv", "power.json", "summary.json")
RADIO = {"listen": 3, "transmit": 4}  # dev_cc2420.h: CC2420_MODE_*


def _ns(var, end: int, keep) -> int:
    return sum(b - a for a, b, v in var.intervals(end) if keep(a, v))


def test_sim_vcd_changes_no_output_and_matches_the_power_report(radiotest_elf, tmp_path, capsys) -> None:
    assert main(["sim", "run", str(TWO), "--out", str(tmp_path / "plain"), "--port-base", "0"]) == 0
    traces = tmp_path / "vcd"
    own = tmp_path / "two.vcd"
    argv = ["sim", "run", str(TWO), "--out", str(tmp_path / "traced"), "--port-base", "0"]
    assert main([*argv, "--vcd", str(traces), "--vcd", f"2={own}"]) == 0
    capsys.readouterr()
    for name in OUTPUTS:
        assert (tmp_path / "plain" / name).read_bytes() == (tmp_path / "traced" / name).read_bytes(), name
    assert sorted(p.name for p in traces.iterdir()) == ["mote1.vcd"]  # mote 2 went to its own file

    power = json.loads((tmp_path / "plain" / "power.json").read_text())["motes"]
    summary = json.loads((tmp_path / "plain" / "summary.json").read_text())
    for mote_id, path in ((1, traces / "mote1.vcd"), (2, own)):
        vcd = read_vcd(path.read_text())
        assert vcd.end // 1000 == summary["end_us"]  # the run's end, in ns
        scope = f"mote{mote_id}"
        # held back by the start-up delay (CPU mode lpm4) until its power-on reset
        t_on = vcd[f"{scope}.reset"].changes[0][0]
        assert t_on > 0 and vcd[f"{scope}.cpu_mode"].value_at(t_on - 1) == 5
        cpu = vcd[f"{scope}.cpu_mode"]
        modes = power[str(mote_id)]["modes"]
        assert _ns(cpu, vcd.end, lambda a, v: v == 0) // 1000 == modes["CPU"]["time_us"]
        assert _ns(cpu, vcd.end, lambda a, v, on=t_on: v and a >= on) // 1000 == modes["LPM"]["time_us"]
        radio = vcd[f"{scope}.radio_mode"]
        assert _ns(radio, vcd.end, lambda a, v: v == RADIO["transmit"]) // 1000 == modes["TX"]["time_us"]
        assert _ns(radio, vcd.end, lambda a, v: v == RADIO["listen"]) // 1000 == modes["RX"]["time_us"]
        sent = [a for a, _, v in radio.intervals(vcd.end) if v == RADIO["transmit"]]
        assert len(sent) == summary["frames_per_mote"][str(mote_id)]["frames_sent"] >= 1


def test_sim_vcd_user_errors(radiotest_elf, tmp_path, capsys) -> None:
    base = ["sim", "run", str(TWO), "--out", str(tmp_path / "o"), "--port-base", "0"]
    assert main([*base, "--vcd", "7=x.vcd"]) == 2
    assert "no mote 7" in capsys.readouterr().err
    assert main([*base, "--vcd", "1="]) == 2
    assert "want DIR or MOTE=FILE" in capsys.readouterr().err
    assert main([*base, "--vcd", str(tmp_path / "a"), "--vcd", str(tmp_path / "b")]) == 2
    assert "one directory only" in capsys.readouterr().err
