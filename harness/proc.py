"""The one runner for external commands: every subprocess the harness starts goes through `run`.

`dry_run=True` returns the argv without executing it, so tests can compare exact command lines
(flashing, Cooja, apt) without the tool being installed.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


class ToolMissing(RuntimeError):
    """An external program is not installed; the message names the exact install line."""

    def __init__(self, tool: str, install_hint: str) -> None:
        super().__init__(f"'{tool}' not found. Install it with:\n    {install_hint}")
        self.tool = tool
        self.install_hint = install_hint


class CommandFailed(RuntimeError):
    """A command exited non-zero; the message shows the command and the end of its output."""

    def __init__(self, argv: Sequence[str], returncode: int, output: str) -> None:
        tail = "\n".join(output.strip().splitlines()[-30:])
        super().__init__(f"command failed (exit {returncode}): {shlex.join(argv)}\n{tail}")
        self.argv = list(argv)
        self.returncode = returncode
        self.output = output


@dataclass
class Result:
    """Exit code and captured output of a command (or the command only, for a dry run)."""
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    dry_run: bool = False


def require(tool: str, install_hint: str) -> str:
    """Return the full path of `tool` or raise ToolMissing with the install line."""
    path = shutil.which(tool)
    if path is None:
        raise ToolMissing(tool, install_hint)
    return path


def run(
    argv: Sequence[str | Path],
    *,
    dry_run: bool = False,
    check: bool = True,
    cwd: str | Path | None = None,
    timeout: float | None = None,
    input: str | bytes | None = None,
    capture: bool = True,
) -> Result:
    """Run argv (no shell). With dry_run, return the argv that would run."""
    args = [str(a) for a in argv]
    if dry_run:
        return Result(args, 0, "", "", dry_run=True)
    text = not isinstance(input, bytes)
    proc = subprocess.run(
        args,
        cwd=cwd,
        timeout=timeout,
        input=input,
        capture_output=capture,
        text=text,
        check=False,
    )
    out = _text(proc.stdout) if capture else ""
    err = _text(proc.stderr) if capture else ""
    if check and proc.returncode != 0:
        raise CommandFailed(args, proc.returncode, out + err)
    return Result(args, proc.returncode, out, err)


def _text(output: str | bytes | None) -> str:
    """A child's captured output as text (binary input makes it bytes)."""
    return output.decode(errors="replace") if isinstance(output, bytes) else output or ""
