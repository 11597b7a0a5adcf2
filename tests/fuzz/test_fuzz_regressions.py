"""Every crash input a fuzz run ever found (tests/fuzz/crashes/<target>/) and every committed seed
runs clean through its libFuzzer target: found bugs stay fixed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fuzz.fuzz_build import ALL_TARGETS, CORPUS, CRASHES, missing, replay
from tests.requirements import require


def inputs() -> list[tuple[str, Path]]:
    """(target, file) of every committed crash input and seed."""
    found = []
    for target in ALL_TARGETS:
        for folder in (CRASHES / target, CORPUS / target):
            if folder.is_dir():
                found += [(target, p) for p in sorted(folder.iterdir()) if p.is_file()]
    return found


@pytest.mark.parametrize(("target", "path"), inputs(), ids=lambda v: v.name if isinstance(v, Path) else v)
def test_committed_input_runs_clean(target: str, path: Path) -> None:
    """The input runs through its target with no sanitizer report and no broken invariant."""
    why = missing(target)
    require(why is None, why or "")
    proc = replay(target, [path])
    assert proc.returncode == 0, f"{target} {path}:\n{proc.stderr[-6000:]}"


def test_every_target_has_seeds() -> None:
    """Each target starts from a committed seed corpus."""
    for target in ALL_TARGETS:
        assert any((CORPUS / target).iterdir()), target
