"""Running `esse` as a subprocess with a user's mistake: it must exit 2 with one line, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python -m harness.cli ARGS` from this tree, in `cwd`."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "harness.cli", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=cwd, env=env)


def assert_one_line_error(proc: subprocess.CompletedProcess[str], needle: str) -> None:
    """Exit status 2, no traceback, exactly one line on stderr and it contains `needle`."""
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out, out
    assert proc.returncode == 2, out
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], out
