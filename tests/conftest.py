"""Suite-wide policy: seeded Hypothesis; no silent skips under ESSE_REQUIRE_ALL=1 (but `cooja` tests)."""

from __future__ import annotations

import random
from collections.abc import Generator

import pytest
from hypothesis import settings
from requirements import STRICT_ENV, strict

# Same examples on every run and machine: a failure found once is found again.
settings.register_profile("esse", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("esse")


@pytest.fixture(autouse=True)
def _seeded_random(request: pytest.FixtureRequest) -> None:
    """Each test starts from its own fixed `random` state (seeded with its node id), whatever ran before."""
    random.seed(request.node.nodeid)


def _strict_failure(report: pytest.CollectReport | pytest.TestReport, what: str) -> None:
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    report.outcome = "failed"
    report.longrepr = f"{what} skipped under {STRICT_ENV}=1 (only `cooja` tests may skip): {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None]:
    outcome = yield
    report = outcome.get_result()
    allowed = hasattr(report, "wasxfail") or item.get_closest_marker("cooja") is not None
    if strict() and report.skipped and not allowed:
        _strict_failure(report, item.nodeid)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None]:
    outcome = yield
    report = outcome.get_result()
    if strict() and report.skipped:
        _strict_failure(report, collector.nodeid)
