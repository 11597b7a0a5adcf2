"""Build the cffi core on demand (tests, benchmarks, a fresh clone): rebuild when any C source,
header or the build script is newer than the compiled extension."""

from __future__ import annotations

from pathlib import Path

from harness.cffi_build import CffiExtension

HERE = Path(__file__).resolve().parent
BUILD_SCRIPT = HERE / "_build_core.py"


def _inputs() -> list[Path]:
    csrc = HERE / "csrc"
    return [*csrc.glob("*.c"), *csrc.glob("*.h")]


CORE = CffiExtension("harness.emulator._core", BUILD_SCRIPT, _inputs)


def ensure_built() -> None:
    """Compile harness.emulator._core if it is missing or older than its sources."""
    CORE.ensure_built()
