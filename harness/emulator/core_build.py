"""Build the cffi core on demand (tests, benchmarks, a fresh clone): rebuild when any C source,
header or the build script is newer than the compiled extension."""

from __future__ import annotations

import fcntl
import subprocess
import sys
from pathlib import Path

from harness.paths import build_dir

HERE = Path(__file__).resolve().parent
BUILD_SCRIPT = HERE / "_build_core.py"


def _inputs() -> list[Path]:
    csrc = HERE / "csrc"
    return [*csrc.glob("*.c"), *csrc.glob("*.h"), BUILD_SCRIPT]


def built_extension() -> Path | None:
    found = sorted(HERE.glob("_core.*.so")) + sorted(HERE.glob("_core.*.pyd"))
    return found[0] if found else None


def is_stale() -> bool:
    so = built_extension()
    if so is None:
        return True
    newest = max(p.stat().st_mtime for p in _inputs())
    return newest > so.stat().st_mtime


def ensure_built() -> None:
    """Compile harness.emulator._core if it is missing or older than its sources.

    Several test processes may get here at once: a lock file serialises the builds, and a
    process that waited re-checks before building again."""
    if not is_stale():
        return
    lock_path = build_dir() / "emulator" / "core-build.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not is_stale():
            return
        proc = subprocess.run([sys.executable, str(BUILD_SCRIPT)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(
            f"building the emulator core failed (python {BUILD_SCRIPT}):\n{proc.stdout}\n{proc.stderr}"
        )
