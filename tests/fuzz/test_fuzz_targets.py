"""A bounded coverage-guided run of every fuzz target: libFuzzer on the firmware C, atheris on the delegator.

CI runs each target for ESSE_FUZZ_CI_SECONDS (default 6 s); `invoke fuzz` runs the same test with
ESSE_FUZZ_SECONDS per target. A crash fails the test and leaves its input in tests/fuzz/crashes/<target>/,
which test_fuzz_regressions.py then replays on every run: commit it with the fix.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fuzz.fuzz_build import ALL_TARGETS, fuzz, missing
from tests.requirements import require


def budget() -> float:
    """Seconds per target: the long run's ESSE_FUZZ_SECONDS, else the CI's short one."""
    return float(os.environ.get("ESSE_FUZZ_SECONDS") or os.environ.get("ESSE_FUZZ_CI_SECONDS", "6"))


@pytest.mark.parametrize("target", ALL_TARGETS)
def test_fuzz_target_bounded_run(target: str, tmp_path: Path) -> None:
    """The target fuzzes for its budget without a sanitizer report or a broken invariant."""
    why = missing(target)
    require(why is None, why or "")
    seed = int(os.environ.get("ESSE_FUZZ_SEED", "1"))
    stats = fuzz(target, budget(), tmp_path, seed=seed)
    print(stats.summary())
    assert not stats.crashes, f"{stats.summary()}\n{stats.log[-6000:]}"
    assert stats.runs > 0 and stats.edges > 0, stats.log[-2000:]
