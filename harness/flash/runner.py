"""The one runner every flashing step goes through (the Zephyr west runners habit).

A backend turns a FlashRequest into Steps (write a file, run a command); the Runner executes them,
or with `dry_run` prints them exactly and executes nothing. Tests compare the Steps (their `render()`
text is what the dry-run prints). Several motes run in parallel, each mote's steps in order.
"""

from __future__ import annotations

import enum
import shlex
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TextIO

from harness.flash.image import FlashImage
from harness.wire.infomem import Identity


class Capability(enum.Enum):
    """What a backend can do to a mote."""

    ERASE = "erase"
    PROGRAM = "program"
    VERIFY = "verify"
    RESET = "reset"
    INFO_WRITE = "info-flash write"
    PARALLEL = "parallel"


class FlashError(RuntimeError):
    """A flashing step failed; the message names the mote, the step and what to do."""


@dataclass(frozen=True)
class Step:
    """One external action: write `data` to `path`, or run `argv`."""

    kind: str  # "write" | "run"
    what: str  # one line for people
    argv: tuple[str, ...] = ()
    path: str = ""
    data: bytes = b""
    timeout: float = 600.0

    def render(self) -> str:
        """The exact action, as the dry-run prints it."""
        if self.kind == "write":
            return f"write {self.path} ({len(self.data)} bytes)  # {self.what}"
        return f"{shlex.join(self.argv)}  # {self.what}"


@dataclass(frozen=True)
class FlashRequest:
    """Flash `image` (identity already merged) on the mote at `port`."""

    port: str
    image: FlashImage
    identity: Identity | None
    work_dir: Path
    verify: bool = True


class Backend(Protocol):
    """A way to program a mote: its capabilities, its plan, and how to read its failures."""

    name: str
    capabilities: frozenset[Capability]

    def plan(self, request: FlashRequest) -> list[Step]:
        """The steps that program the mote as requested."""
        ...

    def explain(self, request: FlashRequest, step: Step, returncode: int, output: str) -> str:
        """What a failed step's return code and output mean, for the user."""
        ...


@dataclass
class StepResult:
    """What one executed (or dry-run) step gave."""

    step: Step
    returncode: int = 0
    output: str = ""


@dataclass
class Runner:
    """Executes Steps, or prints them when `dry_run`; records every step it was given."""

    dry_run: bool = False
    out: TextIO = field(default_factory=lambda: sys.stdout)
    executed: list[tuple[str, Step]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _say(self, label: str, text: str) -> None:
        with self._lock:
            print(f"[{label}] {text}", file=self.out, flush=True)

    def run_step(self, label: str, step: Step) -> StepResult:
        """Execute one step (or print it)."""
        with self._lock:
            self.executed.append((label, step))
        if self.dry_run:
            self._say(label, step.render())
            return StepResult(step)
        self._say(label, step.what)
        if step.kind == "write":
            Path(step.path).parent.mkdir(parents=True, exist_ok=True)
            Path(step.path).write_bytes(step.data)
            return StepResult(step)
        try:
            proc = subprocess.run(
                list(step.argv), capture_output=True, text=True, timeout=step.timeout, check=False
            )
        except FileNotFoundError as exc:
            return StepResult(step, 127, f"{step.argv[0]}: {exc.strerror}")
        except subprocess.TimeoutExpired:
            return StepResult(step, -1, f"no result after {step.timeout:.0f} s")
        return StepResult(step, proc.returncode, proc.stdout + proc.stderr)

    def flash(self, backend: Backend, request: FlashRequest, label: str) -> None:
        """All of one mote's steps in order; raises FlashError at the first failure."""
        for step in backend.plan(request):
            result = self.run_step(label, step)
            if result.returncode != 0:
                why = backend.explain(request, step, result.returncode, result.output)
                raise FlashError(f"{label}: {why}")

    def flash_all(
        self, backend: Backend, requests: Sequence[FlashRequest], on_done: Callable[[str, str | None], None]
    ) -> int:
        """Flash every request, in parallel when the backend can; `on_done(port, error or None)`.
        Returns the number of motes that failed."""
        parallel = Capability.PARALLEL in backend.capabilities and not self.dry_run and len(requests) > 1

        def one(req: FlashRequest) -> str | None:
            try:
                self.flash(backend, req, req.port)
            except FlashError as exc:
                return str(exc)
            return None

        if parallel:
            with ThreadPoolExecutor(max_workers=len(requests)) as pool:
                errors = list(pool.map(one, requests))
        else:
            errors = [one(r) for r in requests]
        for req, err in zip(requests, errors, strict=True):
            on_done(req.port, err)
        return sum(e is not None for e in errors)
