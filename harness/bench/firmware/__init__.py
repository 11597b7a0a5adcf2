"""Benchmark firmware for the emulator (built with harness.build, run by bench.py and tests)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.build.firmware import BuildResult

HERE = Path(__file__).resolve().parent


def build_sha256_bench(rounds: int = 8, build_root: Path | None = None) -> BuildResult:
    """Build sha256_bench.sky; returns harness.build's BuildResult."""
    from harness import paths
    from harness.build.firmware import build_firmware

    out = (build_root or paths.build_dir()) / f"sha256_bench_{rounds}"
    return build_firmware(
        "sha256_bench", [HERE / "sha256_bench.c"], defines=[f"BENCH_ROUNDS={rounds}"], out_dir=out
    )


def expected_digests(rounds: int = 8) -> list[str]:
    """The digests sha256_bench prints, computed with hashlib."""
    import hashlib

    message = bytearray((i * 7 + 3) & 0xFF for i in range(512)) + bytearray(32)
    digests = []
    for _ in range(rounds):
        d = hashlib.sha256(bytes(message)).digest()
        message[512:] = d
        digests.append(d.hex())
    return digests


def build_mixed_bench(rounds: int = 4, build_root: Path | None = None) -> BuildResult:
    """Build mixed_bench.sky (mixed CPU-bound code, see mixed_bench.c); returns the BuildResult."""
    from harness import paths
    from harness.build.firmware import build_firmware

    out = (build_root or paths.build_dir()) / f"mixed_bench_{rounds}"
    return build_firmware(
        "mixed_bench", [HERE / "mixed_bench.c"], defines=[f"BENCH_ROUNDS={rounds}"], out_dir=out
    )


def mixed_bench_host_output(rounds: int, work_dir: Path) -> str:
    """What mixed_bench prints, from the same C file compiled for the host with gcc (the oracle)."""
    from harness import proc

    gcc = proc.require("gcc", "sudo apt-get install gcc")
    exe = work_dir / "mixed_bench_host"
    proc.run([gcc, "-O1", "-DMIXED_HOST", f"-DBENCH_ROUNDS={rounds}", HERE / "mixed_bench.c", "-o", exe])
    return proc.run([exe]).stdout
