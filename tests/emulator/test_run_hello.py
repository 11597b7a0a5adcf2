"""Firmware level: the `hello` app (real crt0, board layer, libc subset, every MSPABI helper,
printf over UART1) runs on the emulator and its self-test output matches the Python oracle."""

from __future__ import annotations

import re

import pytest

from harness.build import build_app
from harness.build.selftest_oracle import check_output
from harness.emulator.cli import run_command
from harness.emulator.mote import Mote


@pytest.fixture(scope="module")
def hello_elf(tmp_path_factory):
    return build_app("hello", build_root=tmp_path_factory.mktemp("build")).elf


def test_hello_selftest_passes_on_the_emulator(hello_elf) -> None:
    mote = Mote(hello_elf, node_id=7)
    run = mote.run_until_uart(rb"ST end\r?\n", max_cycles=300_000_000)
    text = mote.uart_text()
    assert run.reason == "uart", text[-2000:]
    assert "node=7" in text.splitlines()[0]  # node_id written into the firmware variable
    assert check_output(text) == []
    assert mote.active_cycles <= mote.now


def test_run_cli_until_uart_and_limit(hello_elf, capsys) -> None:
    assert run_command(str(hello_elf), 50_000_000, until_uart=r"ST begin", node_id=3) == 0
    out = capsys.readouterr().out
    assert "ESSE hello node=3" in out and "\nCYCLES " in out and "ACTIVE_CYCLES" in out
    assert run_command(str(hello_elf), 1_000) == 2
    # the limit stops at the first instruction boundary at or after it (an MSP430 instruction
    # takes at most 6 cycles), and CYCLES reports what really elapsed
    cycles = int(re.search(r"^CYCLES (\d+)$", capsys.readouterr().out, re.M).group(1))
    assert 1_000 <= cycles < 1_006


def test_run_cli_stop_symbol(hello_elf, capsys) -> None:
    assert run_command(str(hello_elf), 10_000_000, stop_symbol="main") == 0
    assert "CYCLES" in capsys.readouterr().out
    assert run_command(str(hello_elf), 1000, stop_symbol="no_such_symbol") == 1
