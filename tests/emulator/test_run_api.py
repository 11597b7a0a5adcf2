"""Run API and ELF loading: run for N cycles / until a cycle / until a PC, node_id semantics,
bad ELF files, the `esse run` exit codes with an assembled program."""

from __future__ import annotations

import pytest
from emu_helpers import STOP_WATCHDOG, mote_from_asm

from harness.emulator.asm import assemble
from harness.emulator.cli import run_command
from harness.emulator.elf import ElfError, load_elf
from harness.emulator.mote import Mote
from harness.emulator.power import power_report
from harness.energy.model import CURRENT_MA

CPU_ACTIVE_MA, CPU_LPM_MA = CURRENT_MA["CPU"], CURRENT_MA["LPM"]


COUNTER = f"""
        .text
        .globl _start
_start: mov #0x3900, r1
        {STOP_WATCHDOG}
        mov #42, &node_id
        mov &node_id, r9
loop:   inc r10
        jmp loop
        .globl never
never:  nop
        .data
        .globl node_id
node_id: .word 0
"""


def test_node_id_written_at_load_and_rewritten_on_store() -> None:
    m = mote_from_asm(COUNTER, node_id=5)
    assert m.read16(m.symbol("node_id")) == 5
    m.run_until_pc("loop", 1000)
    assert m.reg(9) == 5  # the program's store was overridden (Cooja semantics)


def test_run_for_cycles_is_exact_to_one_instruction() -> None:
    m = mote_from_asm(COUNTER)
    m.run_until_pc("loop", 1000)
    start = m.now
    res = m.run(3000)
    # loop: inc (1) + jmp (2) = 3 cycles per iteration
    assert res.reason == "limit" and m.now - start in (3000, 3001)
    assert m.reg(10) in (1000, 1001)


def test_run_until_pc_limit_and_stop() -> None:
    m = mote_from_asm(COUNTER)
    assert m.run_until_pc("never", 10_000).reason == "limit"
    assert m.run_until_pc("loop", 10_000).reason == "stop"
    assert m.pc == m.symbol("loop")
    m.step()
    assert m.pc != m.symbol("loop")  # the stop address no longer blocks after the stop


def test_symbols_and_nearest() -> None:
    m = mote_from_asm(COUNTER)
    loop = m.symbol("loop")
    assert m.nearest_symbol(loop) == "loop"
    assert m.nearest_symbol(loop + 2) == "loop+0x2"


def test_power_report_uses_sky_currents() -> None:
    m = mote_from_asm(COUNTER.replace("loop:   inc r10", "loop:   bis #0x18, r2"))  # sleep in LPM0
    m.run(100_000)
    rep = power_report(m)
    active, lpm0 = rep.cycles("cpu", "active"), rep.cycles("cpu", "lpm0")
    assert active + lpm0 == m.now and 0 < active < 100 and lpm0 > 99_900
    active_ns, lpm0_ns = rep.ns("cpu", "active"), rep.ns("cpu", "lpm0")
    assert active_ns + lpm0_ns == rep.total_ns == m.time_ns
    want = (active_ns * CPU_ACTIVE_MA + lpm0_ns * CPU_LPM_MA) / 1e9 * 3.0  # s * mA * V = mJ
    assert rep.energy_mj == pytest.approx(want)
    assert CPU_LPM_MA == 0.0545 and CPU_ACTIVE_MA == 1.8
    assert any("lpm0" in line for line in rep.lines())


def test_bad_elf_files(tmp_path) -> None:
    junk = tmp_path / "junk.elf"
    junk.write_bytes(b"not an elf at all")
    with pytest.raises(ElfError, match="junk.elf: not a valid ELF"):
        load_elf(junk)
    with pytest.raises(ElfError, match="no such file"):
        load_elf(tmp_path / "missing.elf")
    host = tmp_path / "host.elf"
    host.write_bytes(open("/bin/true", "rb").read())
    with pytest.raises(ElfError, match="not an MSP430 ELF"):
        Mote(host)
    truncated = tmp_path / "trunc.elf"
    truncated.write_bytes(assemble(COUNTER).read_bytes()[:60])
    with pytest.raises(ElfError, match="trunc.elf"):
        load_elf(truncated)


def test_cli_exit_codes(tmp_path, capsys) -> None:
    source = COUNTER + '\n        .section .vectors,"ax"\n        .fill 15, 2, 0\n        .word _start\n'
    elf = str(assemble(source))
    assert run_command(elf, 10_000, stop_symbol="loop") == 0
    assert run_command(elf, 10_000) == 2
    out = capsys.readouterr().out
    assert "\nCYCLES 10000\n" in out or "\nCYCLES 10001\n" in out
    bad = source.replace("loop:   inc r10", "loop:   .word 0")
    assert run_command(str(assemble(bad)), 10_000) == 1
    assert "illegal instruction" in capsys.readouterr().err
    junk = tmp_path / "x.elf"
    junk.write_bytes(b"\x7fELF")
    assert run_command(str(junk), 10) == 1
    assert run_command(elf, 10, until_uart="(unclosed") == 1
    assert "bad --until-uart pattern" in capsys.readouterr().err


def test_run_until_simulated_time() -> None:
    m = mote_from_asm(COUNTER)
    m.run_until_pc("loop", 1000)
    t0 = m.time_ns
    m.run_for_time(0.010)
    assert abs(m.time_ns - (t0 + 10_000_000)) <= 2 * 1e9 / m.mclk_hz * 2  # within one instruction
    assert m.now == pytest.approx(m.mclk_hz * (m.time_ns / 1e9), abs=4)


# Raises the DCO to RSEL 7 / DCO 7 after ~1000 loop turns, the way a clock calibration does at boot.
SPEEDUP = f"""
        .text
        .globl _start
_start: mov #0x3900, r1
        {STOP_WATCHDOG}
        mov #1000, r10
slow:   dec r10
        jnz slow
        mov.b #0x87, &0x0057        ; BCSCTL1: XT2OFF | RSEL 7
        mov.b #0xe0, &0x0056        ; DCOCTL: DCO 7, MOD 0
fast:   inc r11
        jmp fast
"""


def test_run_for_time_is_exact_across_a_clock_change() -> None:
    m = mote_from_asm(SPEEDUP)
    slow_hz = m.mclk_hz
    m.run_for_time(0.010)  # the stop was computed at ~750 kHz; the DCO jumps to ~7 MHz on the way
    assert m.mclk_hz > 4 * slow_hz
    assert abs(m.time_ns - 10_000_000) <= 6 * 1e9 / m.mclk_hz  # within one instruction
    m.run_for_time(0.990)
    assert abs(m.time_ns - 1_000_000_000) <= 6 * 1e9 / m.mclk_hz


ECHO = f"""
        .text
        .globl _start
_start: mov #0x3900, r1
        {STOP_WATCHDOG}
        bis.b #0x30, &0x0005        ; ME2: UTXE1 | URXE1
        mov.b #0x10, &0x0078        ; U1CTL: CHAR (8 bits)
        mov.b #0x20, &0x0079        ; U1TCTL: SSEL SMCLK
        mov.b #0x09, &0x007c        ; U1BR0: fast baud
        mov.b #0x00, &0x007d        ; U1BR1
        mov.b #0x00, &0x007b        ; U1MCTL
        bic.b #0x01, &0x0078        ; release SWRST
wait:   bit.b #0x10, &0x0003        ; IFG2.URXIFG1
        jz wait
        mov.b &0x007e, r10          ; RXBUF
        inc.b r10
tx:     bit.b #0x20, &0x0003        ; IFG2.UTXIFG1
        jz tx
        mov.b r10, &0x007f          ; TXBUF
        jmp wait
"""


def test_uart_send_and_receive_through_the_usart() -> None:
    m = mote_from_asm(ECHO)
    m.run(10_000)
    assert m.uart_send(b"HAL") == 3
    assert m.run_until_uart(rb"IBM", max_cycles=1_000_000).reason == "uart"
