"""firmware/apps/emutest_dma on the emulator: the DMA controller driven by compiled code on the real
board layer (DCO calibration, UART1 at 115200): a block copy on DMAREQ, a line sent over UART1 one
byte per UTXIFG1 edge, five host bytes received into RAM one per URXIFG1 edge, and a chain (trigger
14) ending in the DMA interrupt on 0xFFE0. The same run translated must match the interpreter's."""

from __future__ import annotations

import pytest

from harness.build import build_app
from harness.emulator.mote import Mote, lib
from harness.emulator.translate import attached, translate

EXPECTED = b"copy ok\ndma line over uart1\nready\nrx hello\nchain ok 1\n"


@pytest.fixture(scope="module")
def elf(tmp_path_factory):
    return build_app("emutest_dma", build_root=tmp_path_factory.mktemp("build")).elf


def run_app(m: Mote) -> None:
    """Boot to "ready", send the five bytes, run until the chain's line."""
    assert m.run_until_uart(rb"ready\n", max_cycles=40_000_000).reason == "uart", m.uart_text()
    m.uart_send(b"hello")
    assert m.run_until_uart(rb"chain \w+ \d+\n", max_cycles=20_000_000).reason == "uart", m.uart_text()


def test_dma_from_compiled_code(elf) -> None:
    m = Mote(elf)
    run_app(m)
    assert m.uart_output().endswith(EXPECTED), m.uart_text()
    # 16 + 20 + 5 + 2 * 16 byte/word transfers
    assert lib.dma_transfers(m.ptr) == 16 + 20 + 5 + 32


def test_translated_run_matches_the_interpreter(elf) -> None:
    a, b = Mote(elf), Mote(elf)
    translate(b)
    assert attached(b)
    run_app(a)
    run_app(b)
    assert attached(b) and b._m.xlat_runs > 0
    assert (a.now, a.regs, a.uart_output()) == (b.now, b.regs, b.uart_output())
    assert a.read_bytes(0, 0x10000) == b.read_bytes(0, 0x10000)
    assert a.mode_cycles() == b.mode_cycles()
