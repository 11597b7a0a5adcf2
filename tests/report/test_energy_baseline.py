"""CI energy regression: the real set-up runs (harness.energy.setup_run.run_setup) against the committed
baseline harness/energy/energy_baseline.json, figure by figure (harness.energy.regression).

A figure that grew beyond the baseline's tolerance fails here, naming it with both values; one that
shrank fails too, saying it improved: rewrite the baseline on purpose with
`esse energy baseline --update` (or `invoke energy-baseline --update`) and commit the JSON."""

from __future__ import annotations

import importlib.util

import pytest
from requirements import require

from harness.energy import regression


@pytest.mark.slow
def test_energy_figures_match_the_committed_baseline() -> None:
    require(importlib.util.find_spec("harness.energy.setup_run") is not None,
            "harness.energy.setup_run (run_setup, the simtime room's) is not on this branch")
    require(regression.BASELINE_PATH.exists(),
            f"no committed energy baseline at {regression.BASELINE_PATH}: "
            "run `esse energy baseline --update`"
            " and commit it")
    doc = regression.load_baseline()
    assert doc["runs"], "the committed baseline holds no run"
    result = regression.check()
    print(result.text())
    assert result.ok, result.text()
