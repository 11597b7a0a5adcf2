"""Nothing silent: a firmware that uses a part of the F1611 the emulator does not model (I2C, SVS,
Comparator_A, DAC12, a USART as SPI slave) is reported by `esse run`, `esse sim run` and the
simulation's summary; the parts' registers hold what is written and clear at reset as the chip's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from emu_helpers import STOP_WATCHDOG, mote_from_asm, two_motes_csc_with

from harness.cli import main
from harness.emulator.asm import assemble
from harness.emulator.cli import run_command
from harness.emulator.simmote import SkySimMote
from harness.sim.engine import Engine

VECTORS = '\n        .section .vectors,"ax"\n        .fill 15, 2, 0\n        .word _start\n'

USES_ALL = f"""
        .text
        .globl _start
_start: mov #0x3900, sp
        {STOP_WATCHDOG}
        mov.b #0x88, &0x0059      ; CACTL1 (Comparator_A): written first
        mov.b &0x0059, r10        ; and read back
        mov.b &0x005b, r11        ; CAPD
        mov.b &0x0055, r12        ; SVSCTL: read first
        mov.b #0x60, &0x0055
        mov #0x1234, &0x01c8      ; DAC12_0DAT (word)
        mov &0x01c8, r13
        mov #0x0048, &0x0118      ; I2COA
        mov.b #0x25, &0x0070      ; U0CTL: I2C | SYNC | I2CEN
        mov.b #0x05, &0x0078      ; U1CTL: SYNC | SWRST (still in reset: not yet a slave)
        mov.b #0x04, &0x0078      ; SYNC, MM = 0, out of reset: SPI slave
done:   jmp done
"""

QUIET = f"""
        .text
        .globl _start
_start: mov #0x3900, sp
        {STOP_WATCHDOG}
        mov.b #0x11, &0x0078      ; U1CTL: UART, 8 bits, in reset
        mov.b #0x07, &0x0070      ; U0CTL: SPI master (SYNC | MM | SWRST)
        mov.b #0x06, &0x0070      ; out of reset
done:   jmp done
"""


def test_every_unmodelled_part_is_recorded_with_its_first_access():
    m = mote_from_asm(USES_ALL)
    m.run_until_pc("done", 10_000)
    uses = {u.part: u for u in m.unmodelled()}
    assert list(uses) == ["I2C", "SVS", "Comparator_A", "DAC12", "SPI slave"]  # part order
    ca = uses["Comparator_A"]
    assert (ca.register, ca.addr, ca.write, ca.accesses) == ("CACTL1", 0x059, True, 3)
    assert (uses["SVS"].register, uses["SVS"].write, uses["SVS"].accesses) == ("SVSCTL", False, 2)
    assert (uses["DAC12"].register, uses["DAC12"].accesses) == ("DAC12_0DAT", 2)
    assert (uses["I2C"].register, uses["I2C"].accesses) == ("I2COA", 2)  # the register, then the mode
    assert (uses["SPI slave"].register, uses["SPI slave"].accesses) == ("U1CTL", 1)  # not while in reset
    order = [ca, uses["SVS"], uses["DAC12"], uses["I2C"], uses["SPI slave"]]
    assert 0 < ca.cycle and [u.cycle for u in order] == sorted({u.cycle for u in order})
    assert ca.time_ns == pytest.approx(ca.cycle * 1e9 / m.mclk_hz, rel=0.01)
    assert "Comparator_A (CACTL1 at 0x0059 first written" in str(ca) and "does not model" in str(ca)
    # the registers hold what was written (byte and word)
    assert m.reg(10) == 0x88 and m.reg(11) == 0 and m.reg(12) == 0 and m.reg(13) == 0x1234
    assert m.read8(0x0055) == 0x60 and m.read16(0x0118) == 0x0048


def test_registers_clear_at_reset_svsctl_only_at_power_on():
    bad_password = "puc_at: mov #0x1280, &0x0120\ndone:   jmp done"
    puc = mote_from_asm(USES_ALL.replace("done:   jmp done", bad_password))
    puc.run_until_pc("puc_at", 10_000)
    puc.step()  # a WDTCTL write without the password: a PUC, back at _start
    assert puc.ptr.reset_count[2] == 1 and puc.reg(0) == puc.symbol("_start")
    assert puc.read8(0x0059) == 0 and puc.read16(0x01C8) == 0 and puc.read16(0x0118) == 0
    assert puc.read8(0x0055) == 0x60  # SVSCTL keeps its value over a PUC
    puc.reset()  # power-on
    assert puc.read8(0x0055) == 0
    # what was used stays on record across resets
    assert {u.part for u in puc.unmodelled()} == {"I2C", "SVS", "Comparator_A", "DAC12", "SPI slave"}


def test_modelled_use_records_nothing():
    m = mote_from_asm(QUIET)
    m.run_until_pc("done", 10_000)
    assert m.unmodelled() == []


def test_esse_run_warns(capsys):
    assert run_command(str(assemble(USES_ALL + VECTORS)), 50_000) == 2
    err = capsys.readouterr().err
    for part in ("I2C", "SVS", "Comparator_A", "DAC12", "SPI slave"):
        assert f"WARNING: the firmware used {part} (" in err
    assert run_command(str(assemble(QUIET + VECTORS)), 50_000) == 2
    assert "the firmware used" not in capsys.readouterr().err


def test_simulated_mote_reports_through_the_group():
    elf = assemble(USES_ALL + VECTORS)
    motes = [SkySimMote(elf, 1, with_radio=False), SkySimMote(assemble(QUIET + VECTORS), 2, with_radio=False)]
    e = Engine(motes, seed=1)
    e.run(until_us=5_000)
    assert [u.part for u in motes[0].unmodelled()] == ["I2C", "SVS", "Comparator_A", "DAC12", "SPI slave"]
    assert motes[1].unmodelled() == []


def test_esse_sim_run_summary_and_warning(tmp_path: Path, capsys):
    csc = two_motes_csc_with(tmp_path, assemble(USES_ALL + VECTORS, out_dir=tmp_path / "asm"), "uses")
    capsys.readouterr()
    main(["sim", "run", str(csc), "--duration", "1.5", "--out", str(tmp_path / "out")])
    printed = capsys.readouterr()
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    got = {(u["mote"], u["part"], u["register"]) for u in summary["unmodelled"]}
    assert got == {(2, "I2C", "I2COA"), (2, "SVS", "SVSCTL"), (2, "Comparator_A", "CACTL1"),
                   (2, "DAC12", "DAC12_0DAT"), (2, "SPI slave", "U1CTL")}
    assert all(u["first_us"] < 1_500_000 for u in summary["unmodelled"])
    assert "WARNING: mote 2: the firmware used Comparator_A (CACTL1 at 0x0059" in printed.out + printed.err
