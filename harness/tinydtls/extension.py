"""Is the host TinyDTLS extension built and current? Build it if not (used by tests and tools).

Call `ensure_built()` before the first `import harness.tinydtls.binding` in a process: a module that
is already loaded cannot be replaced.
"""

from __future__ import annotations

import importlib.machinery
import os
import sys
from pathlib import Path

from harness import paths, proc

HERE = Path(__file__).resolve().parent
BUILD_SCRIPT = HERE / "_build_tinydtls.py"
EXTENSION_STEM = "_tinydtls_cffi"


def built_extension() -> Path | None:
    """The compiled module next to this file that `import` would load (suffixes in import order:
    setup.py builds `.abi3.so`, the build script the interpreter-specific one)."""
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        candidate = HERE / f"{EXTENSION_STEM}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def inputs() -> list[Path]:
    """Everything the extension is built from (the TinyDTLS tree itself is keyed by the patches)."""
    cdef_dir = HERE / "cdef"
    patches = paths.TINYDTLS_PATCHES_DIR
    return [BUILD_SCRIPT, *sorted(cdef_dir.glob("*")), *sorted(p for p in patches.glob("*") if p.is_file())]


def is_stale() -> bool:
    ext = built_extension()
    if ext is None:
        return True
    built = ext.stat().st_mtime
    return any(p.stat().st_mtime > built for p in inputs())


def ensure_built() -> Path:
    """Build the extension in place if it is missing or older than its inputs; return its path."""
    stale = is_stale()
    if stale:
        proc.run([sys.executable, str(BUILD_SCRIPT)], cwd=paths.REPO_ROOT, timeout=900)
    ext = built_extension()
    if ext is None:
        raise RuntimeError(f"{BUILD_SCRIPT} ran but produced no {EXTENSION_STEM} module in {HERE}")
    if stale:
        # cffi/distutils skip the link when the generated C did not change: mark it current anyway
        os.utime(ext)
    return ext
