"""Every crash input a fuzz run ever found (tests/fuzz/crashes/<target>/) and every committed seed
runs clean through its fuzz target: found bugs stay fixed."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.fuzz.fuzz_build import ALL_TARGETS, CORPUS, CRASHES, libfuzzer_missing, missing, replay
from tests.requirements import require


def inputs(target: str) -> list[Path]:
    """Every committed crash input and seed of TARGET."""
    found: list[Path] = []
    for folder in (CRASHES / target, CORPUS / target):
        if folder.is_dir():
            found += sorted(p for p in folder.iterdir() if p.is_file())
    return found


@pytest.mark.parametrize("target", ALL_TARGETS)
def test_committed_inputs_run_clean(target: str) -> None:
    """All of the target's committed inputs run (one process) with no sanitizer report or broken invariant."""
    why = missing(target)
    require(why is None, why or "")
    files = inputs(target)
    proc = replay(target, files)
    running = re.findall(r"^Running: (.+)$", proc.stderr, re.M)
    last = running[-1] if running else "?"
    assert proc.returncode == 0, f"{target}: {last} crashed:\n{proc.stderr[-6000:]}"
    assert len(running) == len(files), proc.stderr[-2000:]


def test_every_target_has_seeds() -> None:
    """Each target starts from a committed seed corpus."""
    for target in ALL_TARGETS:
        assert any((CORPUS / target).iterdir()), target



def test_missing_libfuzzer_runtime_names_the_package() -> None:
    """A compiler without libFuzzer (gcc) or no compiler at all: the reason names the Debian package."""
    require(shutil.which("gcc"), "gcc not installed: apt-get install gcc")
    for compiler in ("gcc", "clang-none-such"):
        why = libfuzzer_missing(compiler)
        assert why is not None and "libclang-rt-16-dev" in why, why
