"""The project's cffi extensions (API mode): each is compiled in place by its build script
`harness/<area>/_build_*.py`; this module builds one when it is missing or older than its inputs
(tests on a fresh clone, benchmarks, tools) and loads it with a clear error when it is not built.

    RECORD = CffiExtension("harness.hostfw._record", HOSTFW_DIR / "_build_record.py", record_inputs)
    RECORD.ensure_built()          # before the first import of the module in this process
    ext = RECORD.load()            # ext.ffi, ext.lib
"""

from __future__ import annotations

import fcntl
import importlib
import importlib.machinery
import os
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from harness import paths, proc


class ExtensionNotBuilt(ImportError):
    """A cffi extension could not be imported; the message says how to build it."""


@dataclass(frozen=True)
class CffiExtension:
    """A cffi extension module built on demand by its build script, rebuilt when an input is newer."""
    module: str  # dotted name, e.g. "harness.hostfw._record"
    build_script: Path  # compiles the module next to itself when run as a script
    inputs: Callable[[], Iterable[Path]]  # what the build reads, besides the build script
    timeout_s: float = 900

    @property
    def _stem(self) -> str:
        return self.module.rpartition(".")[2]

    def built(self) -> Path | None:
        """The compiled module `import` would load (suffixes in import order: setup.py builds
        `.abi3.so`, the build script the interpreter-specific one)."""
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            candidate = self.build_script.parent / f"{self._stem}{suffix}"
            if candidate.is_file():
                return candidate
        return None

    def is_stale(self) -> bool:
        """True when the module is missing or older than its build script or one of its inputs."""
        ext = self.built()
        if ext is None:
            return True
        stamp = ext.stat().st_mtime
        return any(p.stat().st_mtime > stamp for p in [self.build_script, *self.inputs()])

    def ensure_built(self) -> Path:
        """Build the module in place if it is missing or stale; return its path. Call it before the
        module is first imported in the process (a loaded extension cannot be replaced). Several
        processes may get here at once: a lock file serialises the builds, and a process that
        waited re-checks before building again."""
        if self.is_stale():
            lock_path = paths.build_dir() / "cffi" / f"{self._stem}.lock"
            lock_path.parent.mkdir(parents=True, exist_ok=True)
            with lock_path.open("w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                if self.is_stale():
                    # a failed build raises proc.CommandFailed with the compiler's output
                    proc.run([sys.executable, self.build_script], cwd=paths.REPO_ROOT, timeout=self.timeout_s)
                    ext = self.built()
                    if ext is None:
                        raise RuntimeError(f"{self.build_script} ran but produced no {self._stem} module")
                    # cffi/distutils skip the link when the generated C did not change: mark it current
                    os.utime(ext)
        ext = self.built()
        assert ext is not None
        return ext

    def load(self) -> ModuleType:
        """The compiled module (with .ffi and .lib), or ExtensionNotBuilt saying how to build it."""
        try:
            return importlib.import_module(self.module)
        except ImportError as exc:
            script = self.build_script
            if script.is_relative_to(paths.REPO_ROOT):
                script = script.relative_to(paths.REPO_ROOT)
            raise ExtensionNotBuilt(
                f"the extension {self.module} is not built or does not load ({exc}); run:\n"
                f"    python {script}\n"
                "(or reinstall: pip install -e '.[dev]')"
            ) from exc


_DEFINE = re.compile(r"\s*#\s*define\s+([A-Za-z_]\w*)\s+\S")  # object-like, with a value


def header_cdef(header: Path) -> str:
    """A plain-declaration C header as cffi cdef text: its declarations, and each `#define NAME value`
    as an integer constant whose value the compiler supplies (`lib.NAME`); other preprocessor lines go."""
    out = []
    for line in header.read_text().splitlines():
        if not line.lstrip().startswith("#"):
            out.append(line)
        elif m := _DEFINE.match(line):
            out.append(f"#define {m.group(1)} ...")
    return "\n".join(out)
