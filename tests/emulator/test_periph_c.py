"""Peripheral modules checked in C (tests/emulator/periph_c/test_periph.c) against the real CPU core
and mote framework: clock/ACLK exactness, Timer_A/B modes, TAIV order, captures, multiplier vs a
reference, watchdog, UART/SPI timing, ports, flash, ADC12. The driver is rebuilt when any source is
newer than the binary (-O0: a quick compile; the checks are cheap)."""

from __future__ import annotations

from pathlib import Path

from harness.paths import REPO_ROOT, build_dir
from harness.proc import require, run

CSRC = REPO_ROOT / "harness" / "emulator" / "csrc"
DRIVER = Path(__file__).resolve().parent / "periph_c" / "test_periph.c"


def build_driver(driver: Path = DRIVER) -> Path:
    """Compile a C check driver (periph_c/*.c) with the core and the peripherals, when stale."""
    gcc = require("gcc", "apt-get install gcc")
    out = build_dir() / "emulator" / "periph_c" / driver.stem
    # the CPU, the framework and the peripheral modules only (external devices are not needed)
    sources = [driver, CSRC / "cpu.c", CSRC / "mote.c", *sorted(CSRC.glob("periph*.c"))]
    inputs = [*sources, *CSRC.glob("*.h"), driver.parent / "check.h"]
    if out.exists() and all(p.stat().st_mtime <= out.stat().st_mtime for p in inputs):
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    run([gcc, "-O0", "-std=gnu11", "-Wall", "-Wextra", f"-I{CSRC}", *sources, "-o", tmp])
    tmp.replace(out)
    return out


def test_peripherals_in_c() -> None:
    result = run([build_driver()], check=False, timeout=120)
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 failures" in result.stdout
