"""The record layer and CCS codec compile for the MSP430 as freestanding C99, warning-free, and need
nothing from a libc (only the compiler's MSPABI helpers)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from requirements import require_tool

from harness.paths import FIRMWARE_DIR

SOURCES = sorted((FIRMWARE_DIR / "dtls_record").glob("*.c")) + sorted(
    (FIRMWARE_DIR / "ssm_client").glob("*.c")
)


def test_msp430_freestanding_build(tmp_path: Path):
    clang, nm = require_tool("clang-16"), require_tool("llvm-nm-16", "llvm-16")
    undefined: set[str] = set()
    for src in SOURCES:
        obj = tmp_path / (src.stem + ".o")
        subprocess.run(
            [
                clang,
                "--target=msp430",
                "-mmcu=msp430f1611",
                "-ffreestanding",
                "-std=c99",
                "-Os",
                "-Wall",
                "-Wextra",
                "-Werror",
                "-pedantic",
                f"-I{FIRMWARE_DIR / 'dtls_record'}",
                "-c",
                str(src),
                "-o",
                str(obj),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        out = subprocess.run([nm, "-u", str(obj)], check=True, capture_output=True, text=True).stdout
        undefined |= {line.split()[-1] for line in out.splitlines() if line.strip()}
    defined = set()
    for obj in tmp_path.glob("*.o"):
        out = subprocess.run(
            [nm, "--defined-only", str(obj)], check=True, capture_output=True, text=True
        ).stdout
        defined |= {line.split()[-1] for line in out.splitlines() if line.strip()}
    external = {s for s in undefined - defined if not s.startswith("__mspabi_")}
    assert external == set(), f"record layer needs symbols from outside: {sorted(external)}"
