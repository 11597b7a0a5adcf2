"""hello on the emulated MSP430: the self-test output equals the Python oracle line for line.

This is the only place the 64-bit division shims (LLVM's R8:R11 / R12:R15 convention) and the
real hardware-multiplier helpers run, so it complements tests/test_mspabi_host.py.
"""

from __future__ import annotations

import re

import pytest
from requirements import require_module

from harness.build import build_app, build_firmware
from harness.build import selftest_oracle as oracle
from harness.paths import FIRMWARE_DIR

emulator = require_module("harness.emulator.mote", "python setup.py build_ext --inplace")


@pytest.fixture(scope="module")
def hello_uart(tmp_path_factory) -> str:
    res = build_app("hello", build_root=tmp_path_factory.mktemp("build"))
    mote = emulator.Mote(res.elf, node_id=7)
    run = mote.run_until_uart(rb"T selftest_ticks=\d+\n", max_cycles=150_000_000)
    assert run.reason == "uart", mote.uart_text()[-500:]
    return mote.uart_text()


def test_banner_node_id_and_calibrated_clock(hello_uart):
    m = re.search(r"ESSE hello node=(\d+) dco_hz=(\d+)", hello_uart)
    assert m, hello_uart[:200]
    assert int(m.group(1)) == 7
    assert abs(int(m.group(2)) - 3_900_000) < 3_900_000 * 0.01  # calibrated to within 1 %


def test_selftest_matches_oracle(hello_uart):
    assert oracle.check_output(hello_uart) == []


def test_mspabi_benchmark_runs(tmp_path, monkeypatch):
    """`invoke bench-mspabi` works: every helper measured, the hardware multiplier pays off."""
    from harness.bench.mspabi import EXTRAS, mspabi_cycles

    monkeypatch.setenv("ESSE_BUILD_DIR", str(tmp_path))
    cycles = mspabi_cycles()
    assert set(cycles) == {h.name for h in oracle.HELPERS} | {name for name, _ in EXTRAS}
    assert all(n > 0 for n in cycles.values()), cycles
    for name in ("mpyi", "mpyl", "mpyll", "mpysl", "mpyul"):
        assert cycles[f"{name}_hw"] < cycles[name]


def test_longer_selftest_with_another_seed(tmp_path):
    """Four times the operands on another seed: more passes through the assembly division
    cores and the 64-bit shims, still equal to the oracle."""
    hello = FIRMWARE_DIR / "apps" / "hello"
    res = build_firmware(
        "hello_long",
        [hello / "main.c", hello / "selftest.c"],
        include_dirs=[hello],
        defines=["SELFTEST_SEED=0x9E3779B9ul", "SELFTEST_COUNT=1024u"],
        modules=["mspabi_ops"],
        out_dir=tmp_path,
    )
    mote = emulator.Mote(res.elf, node_id=1)
    run = mote.run_until_uart(rb"ST end\n", max_cycles=600_000_000)
    assert run.reason == "uart", mote.uart_text()[-300:]
    text = mote.uart_text()
    assert "ST begin seed=9e3779b9 count=1024" in text
    assert oracle.check_output(text) == []
