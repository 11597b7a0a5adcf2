"""Simulations with translated motes (`esse sim run --translate`, harness/emulator/translate.py): the
same scenario and seed give byte-identical outputs with and without translation, a firmware is
translated once per process, the group stepper still shares code between translated motes, and a
firmware that cannot be translated is a one-line error naming the mote."""

from __future__ import annotations

from pathlib import Path

import pytest

import harness.emulator.simmote as simmote
from harness.cli import main
from harness.emulator.mote import Mote, lib
from harness.emulator.simmote import SkyMoteGroup, SkySimMote
from harness.emulator.translate import TranslateError, Translation, attached
from harness.sim.engine import Engine
from harness.sim.medium import UDGMParams
from harness.sim.runner import build_motes
from harness.sim.scenario import load_scenario

# 25 beacon motes on a 5 x 5 grid 20 m apart (each hears up to ~12 others), receptions failing at
# random and start-up offsets drawn from the seed: the seed matters to every output; each mote
# prints its ready line and, after 10 frames, its tx/rx/crc_err counts
BEACONS = """title = "beacons"
duration_s = 12.0
motedelay_us = 800000
[medium]
success_ratio_rx = 0.9
[topology]
kind = "grid"
spacing = 20.0
columns = 5
[[motes]]
app = "beacon"
count = 25
"""
OUTPUTS = ("COOJA.testlog", "mote-output.log", "radio.pcap", "power.json", "power.csv", "summary.json")


def _sim_run(scenario: Path, out: Path, *extra: str) -> dict[str, bytes]:
    assert main(["sim", "run", str(scenario), "--out", str(out), *extra]) == 0
    return {name: (out / name).read_bytes() for name in OUTPUTS}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_translated_run_writes_the_same_outputs(beacon_elf, tmp_path, capsys, seed):
    """`esse sim run --translate`: serial log (times), pcap, power/energy per mote, summary alike."""
    scenario = tmp_path / "beacons.toml"
    scenario.write_text(BEACONS)
    a = _sim_run(scenario, tmp_path / "interpreted", "--seed", str(seed))
    b = _sim_run(scenario, tmp_path / "translated", "--seed", str(seed), "--translate")
    capsys.readouterr()
    for name in OUTPUTS:
        assert a[name] == b[name], name
    log = a["mote-output.log"].decode()
    assert log.count("\tbeacon node=") == 25 and log.count("\tSTAT tx=10 rx=") == 25, log[:2000]


def _mixed_run(radiotest: Path, beacon: Path, translate: bool, seed: int) -> tuple[list, list, dict, Engine]:
    """Motes 1 and 2 run radiotest (1 sends acknowledged frames to 2 every 9 ms from 1 s on, a
    command typed on its UART1), motes 3..22 beacon on a 5 x 4 grid 20 m apart; 12 s simulated (the
    beacons print their tx/rx counts every 10 s)."""
    motes = [SkySimMote(radiotest if i <= 2 else beacon, i, translate=translate) for i in range(1, 23)]
    pos = {1: (40.0, 30.0, 0.0), 2: (44.0, 30.0, 0.0)}
    pos |= {i: ((i - 3) % 5 * 20.0, (i - 3) // 5 * 20.0, 0.0) for i in range(3, 23)}
    e = Engine(motes, pos, UDGMParams(50.0, 100.0, 1.0, 0.9), seed=seed, motedelay_us=500_000)
    lines: list = []
    events: list = []
    e.add_line_listener(lines.append)
    e.add_radio_listener(events.append)
    e.run(until_us=1_000_000)
    e.queue_uart_rx(1, b"period 9\n")
    e.run(until_us=12_000_000)
    got_lines = [(ln.time_us, ln.mote_id, ln.text) for ln in lines]
    got_events = [(ev.kind, ev.time_us, ev.sender, ev.receiver, ev.frame) for ev in events]
    power = {m.mote_id: m.power_ns() for m in motes}
    return got_lines, got_events, power, e


def test_translated_motes_same_events_one_build_shared_code(radiotest_elf, beacon_elf, monkeypatch):
    """Lines with times, radio events and per-mode ns per mote alike; one translation per firmware
    for its motes; the group shares one predecode cache between the translated motes of one
    firmware (not across firmware); their translated code ran."""
    builds: list[Translation] = []
    real_build = simmote.build

    def counting_build(mote: Mote) -> Translation:
        builds.append(real_build(mote))
        return builds[-1]

    monkeypatch.setattr(simmote, "_XLAT_CACHE", {})
    monkeypatch.setattr(simmote, "build", counting_build)
    a = _mixed_run(radiotest_elf, beacon_elf, False, seed=5)
    b = _mixed_run(radiotest_elf, beacon_elf, True, seed=5)
    assert a[:3] == b[:3]
    assert len(builds) == 2
    texts = [t for _, _, t in a[0]]
    assert any("acked=1" in t for t in texts) and any(t.startswith("RX len=50 crc=1") for t in texts)
    assert sum(t.startswith("STAT tx=10 rx=") for t in texts) == 20
    e = b[3]
    assert isinstance(e.group, SkyMoteGroup) and len(e.group.motes) == 22
    p = [m.mote.ptr for m in e.group.motes]
    assert all(attached(m.mote) for m in e.group.motes) and all(q.xlat_runs > 0 for q in p)
    assert lib.mote_shares_code(p[0], p[1]) and all(lib.mote_shares_code(p[2], q) for q in p[3:])
    assert not lib.mote_shares_code(p[0], p[2])
    interpreted = a[3].group
    assert isinstance(interpreted, SkyMoteGroup)
    assert all(m.mote.ptr.xlat_runs == 0 for m in interpreted.motes)
    assert not lib.mote_shares_code(p[2], interpreted.motes[2].mote.ptr)


def test_scenario_key_and_no_translate_switch(beacon_elf, tmp_path):
    """`translate = true` in a TOML scenario reaches the motes (build_motes(translate=...))."""
    scenario = tmp_path / "t.toml"
    scenario.write_text('translate = true\nduration_s = 1.0\n[[motes]]\napp = "beacon"\ncount = 2\n')
    sc = load_scenario(scenario)
    assert sc.translate
    on = build_motes(sc.sim, translate=sc.translate)
    off = build_motes(sc.sim)
    assert all(attached(m.mote) for m in on)  # type: ignore[attr-defined]
    assert not any(attached(m.mote) for m in off)  # type: ignore[attr-defined]


def test_untranslatable_firmware_is_a_clear_error(beacon_elf, tmp_path, capsys, monkeypatch):
    """A TranslateError becomes one line naming the mote and the firmware, exit 2, no traceback."""

    def refuse(mote: Mote) -> Translation:
        raise TranslateError("no flash function to translate (stripped ELF?)")

    monkeypatch.setattr(simmote, "_XLAT_CACHE", {})
    monkeypatch.setattr(simmote, "build", refuse)
    scenario = tmp_path / "t.toml"
    scenario.write_text('duration_s = 1.0\n[[motes]]\napp = "beacon"\n')
    assert main(["sim", "run", str(scenario), "--out", str(tmp_path / "out"), "--translate"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("esse sim run: mote 1: cannot run ") and "beacon" in err
    assert "no flash function to translate" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
