"""Nothing silent: every PUC is counted with its cause (csrc/mote.h mote_reset_cause), reported by
`esse run` and `esse sim run` (which fail on one with --fail-on-reset), logged by the simulation;
a stripped ELF is warned about (esse run) or refused (simulation)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from emu_helpers import mote_from_asm, two_motes_csc_with

from harness.cli import main
from harness.emulator.asm import assemble
from harness.emulator.cli import run_command
from harness.emulator.resets import reset_counts
from harness.emulator.simmote import SkySimMote
from harness.proc import require
from harness.sim.engine import STOP_GRACE_US, Engine

# Never stops the watchdog: after a PUC the WDT runs (SMCLK/32768) and resets the chip again.
SPIN = """
        .text
        .globl _start
_start: mov #0x3900, sp
1:      jmp 1b
"""
VECTORS = '\n        .section .vectors,"ax"\n        .fill 15, 2, 0\n        .word _start\n'


def test_causes_are_counted():
    m = mote_from_asm(SPIN)
    m.run(200_000)
    counts = reset_counts(m.ptr)
    assert counts["power-on"] >= 1 and counts["watchdog"] >= 5  # 32768 SMCLK cycles each
    assert m.ptr.last_reset_cause == 1

    wdt_key = mote_from_asm(SPIN.replace("1:      jmp 1b", "        mov #0x1280, &0x0120\n1:      jmp 1b"))
    wdt_key.run(100)
    assert reset_counts(wdt_key.ptr)["watchdog password"] >= 1  # every pass through _start
    flash_key = mote_from_asm(SPIN.replace("1:      jmp 1b", "        mov #0x1200, &0x0128\n1:      jmp 1b"))
    flash_key.run(100)
    assert reset_counts(flash_key.ptr)["flash key"] >= 1
    good = mote_from_asm(SPIN.replace("1:      jmp 1b", "        mov #0x5a80, &0x0120\n1:      jmp 1b"))
    good.run(200_000)
    counts = reset_counts(good.ptr)
    assert sum(counts.values()) == counts["power-on"]  # watchdog held: power-on resets only


def test_esse_run_reports_and_fails_on_reset(capsys):
    elf = str(assemble(SPIN + VECTORS))
    assert run_command(elf, 3_000_000) == 2
    err = capsys.readouterr().err
    assert "RESET (watchdog) at cycle" in err
    assert run_command(elf, 3_000_000, fail_on_reset=True) == 1
    assert "RESET (watchdog)" in capsys.readouterr().err


@pytest.mark.parametrize("group", [True, False])
def test_simulation_logs_resets(group):
    elf = assemble(SPIN + VECTORS)
    motes = [SkySimMote(elf, 1, with_radio=False), SkySimMote(elf, 2, with_radio=False)]
    e = Engine(motes, seed=1, group=group)
    seen = []
    e.add_reset_listener(seen.append)
    e.run(until_us=200_000)
    assert seen == e.resets and len(seen) >= 8
    assert {r.cause for r in seen} == {"watchdog"} and {r.mote_id for r in seen} == {1, 2}
    first = [r.time_us for r in seen if r.mote_id == 1][0]
    assert 20_000 < first < 60_000  # 32768 SMCLK cycles at the reset DCO (~0.8 MHz)
    motes = [SkySimMote(elf, 1, with_radio=False)]
    e = Engine(motes, seed=1, group=group)
    e.stop_on_reset = True
    res = e.run(until_us=1_000_000)
    assert res.reason == "reset" and len(e.resets) == 1 and res.end_us == e.resets[0].time_us + STOP_GRACE_US


def _resetting_csc(tmp_path: Path) -> Path:
    return two_motes_csc_with(tmp_path, assemble(SPIN + VECTORS, out_dir=tmp_path / "asm"), "spin")


def test_esse_sim_run_fail_on_reset(tmp_path, capsys):
    csc = _resetting_csc(tmp_path)
    capsys.readouterr()
    assert main(["sim", "run", str(csc), "--duration", "1.5", "--out", str(tmp_path / "a")]) == 1
    err = capsys.readouterr().err
    assert "mote 2 reset (watchdog) at" in err
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert summary["resets"] and {r["mote"] for r in summary["resets"]} == {2}
    assert main(["sim", "run", str(csc), "--fail-on-reset", "--out", str(tmp_path / "b")]) == 1
    err = capsys.readouterr().err
    assert "failed: mote 2 reset (watchdog)" in err and "--fail-on-reset" in err
    summary = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert summary["stop_reason"] == "reset" and len(summary["resets"]) == 1


def test_stripped_elf_is_warned_about_and_refused(tmp_path, capsys):
    from harness.build import build_app

    hello = build_app("hello").elf
    stripped = tmp_path / "hello-stripped.elf"
    strip = require("llvm-strip-16", "apt-get install llvm-16")
    subprocess.run([strip, "-o", str(stripped), str(hello)], check=True)
    assert run_command(str(stripped), 100_000) == 2
    err = capsys.readouterr().err
    assert "WARNING" in err and "no symbol table (stripped ELF?)" in err and "no node_id" in err
    with pytest.raises(ValueError, match="no symbol table"):
        SkySimMote(stripped, 1)
    assert run_command(str(hello), 100_000) == 2
    assert "WARNING" not in capsys.readouterr().err
