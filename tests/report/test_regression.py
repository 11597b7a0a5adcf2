"""CI energy regression logic (harness.energy.regression) on SetupRun values built by hand: what fails,
what is only a notice, the messages naming the figure and both values, and the baseline file cycle."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from harness.cli import main as esse
from harness.energy import regression
from harness.energy.phases import SetupRun
from harness.energy.report import ReportError, Runner

from .runs import esse_run, handshake_run

FLIGHT5_TX = "psk seed 1 | flight 5 | TX mJ"


def scaled(run: SetupRun, phase_name: str, **factors: float) -> SetupRun:
    """The run with one phase's fields multiplied (tx_ns=1.10: 10 % more transmit time)."""
    phases = tuple(dataclasses.replace(p, **{k: round(getattr(p, k) * f) for k, f in factors.items()})
                   if p.name == phase_name else p for p in run.phases)
    return dataclasses.replace(run, phases=phases)


def test_figures_name_kind_seed_phase_and_quantity() -> None:
    figs = regression.figures([handshake_run("psk")])
    # flight 5: 1 ms of TX = 17.7 mA x 3 V x 1 ms
    assert figs[FLIGHT5_TX] == pytest.approx(17.7 * 3 * 0.001)
    assert figs["psk seed 1 | flight 5 | fragments"] == 2
    assert figs["psk seed 1 | total set-up | fragments"] == 6
    assert figs["psk seed 1 | exchange 3 | time ms"] == pytest.approx(100.0)
    assert {regression.unit_of(n) for n in figs} == {"mJ", "bytes", "frames", "fragments", "ms"}


def test_repeated_phase_names_stay_apart() -> None:
    run = esse_run()
    twice = dataclasses.replace(run, phases=run.phases + run.phases[:2])
    figs = regression.figures([twice])
    assert "esse seed 1 | KEY_MATERIAL #2 | bytes" in figs and "esse seed 1 | KEY_MATERIAL | bytes" in figs


def test_identical_runs_pass() -> None:
    figs = regression.figures([esse_run(), handshake_run()])
    result = regression.compare(figs, dict(figs))
    assert result.ok and result.changes == []
    assert "within 5 % of the baseline" in result.text()


def test_growth_beyond_tolerance_fails_naming_figure_and_both_values() -> None:
    base = regression.figures([handshake_run()])
    now = regression.figures([scaled(handshake_run(), "flight 5", tx_ns=1.5)])
    result = regression.compare(base, now)
    assert not result.ok
    failing = {c.figure for c in result.failures()}
    # flight 5 alone: its 0.5 ms more is 1.3 % of the set-up's 39 ms of TX, inside the tolerance
    assert failing == {FLIGHT5_TX}
    line = next(str(c) for c in result.failures() if c.figure == FLIGHT5_TX)
    assert line == f"{FLIGHT5_TX}: grew from {base[FLIGHT5_TX]:g} to {now[FLIGHT5_TX]:g} (+50.0 %)"
    assert "ENERGY REGRESSION" in result.text() and line in result.text()


def test_growth_within_tolerance_passes() -> None:
    base = regression.figures([handshake_run()])
    now = regression.figures([scaled(handshake_run(), "flight 4", cpu_ns=1.04)])  # 4 % < 5 %
    assert regression.compare(base, now).ok


def test_tolerance_is_relative_plus_the_units_floor() -> None:
    # 0 -> 0.0009 mJ is inside the 0.001 mJ floor; 0 -> 0.002 mJ is not; counts have no floor
    assert regression.compare({"a | b | CPU mJ": 0.0}, {"a | b | CPU mJ": 0.0009}).ok
    grown = regression.compare({"a | b | CPU mJ": 0.0}, {"a | b | CPU mJ": 0.002})
    assert not grown.ok and "grew from 0 to 0.002 (from 0)" in grown.text()
    assert not regression.compare({"a | b | fragments": 4}, {"a | b | fragments": 5}).ok
    assert regression.compare({"a | b | fragments": 100}, {"a | b | fragments": 104}).ok
    assert not regression.compare({"x | y | bytes": 100}, {"x | y | bytes": 106}, tolerance=0.05).ok
    assert regression.compare({"x | y | bytes": 100}, {"x | y | bytes": 106}, tolerance=0.1).ok


def test_shrink_fails_until_the_baseline_is_updated_unless_allowed() -> None:
    base = regression.figures([handshake_run("ecdhe")])
    now = regression.figures([scaled(handshake_run("ecdhe"), "flight 4", cpu_ns=0.5)])
    strict = regression.compare(base, now)
    assert not strict.ok
    assert {c.verdict for c in strict.failures()} == {"shrank"}
    text = strict.text()
    assert "IMPROVED" in text and "esse energy baseline --update" in text
    assert "ecdhe seed 1 | flight 4 | CPU mJ: shrank from" in text and "(-50.0 %)" in text
    lenient = regression.compare(base, now, allow_shrink=True)
    assert lenient.ok and "notice: " in lenient.text()


def test_missing_figure_fails_new_figure_is_a_notice() -> None:
    base = regression.figures([esse_run(n=3)])
    fewer = regression.compare(base, regression.figures([esse_run(n=2)]))
    assert not fewer.ok
    assert any(c.verdict == "missing" and c.figure == "esse seed 1 | exchange 3 | total mJ"
               for c in fewer.failures())
    more = regression.compare(base, regression.figures([esse_run(n=4)]))
    # a fourth exchange is new; the totals it changes grow
    assert {c.verdict for c in more.changes if "exchange 4" in c.figure} == {"new"}
    assert all("total" in c.figure for c in more.failures())


def test_negative_tolerance_is_refused() -> None:
    with pytest.raises(ReportError, match="tolerance must not be negative"):
        regression.compare({}, {}, tolerance=-0.1)


def runner_of(runs: dict[tuple[str, int], SetupRun], unavailable: dict[str, str] | None = None) -> Runner:
    def run(kind: str, *, seed: int = 1, exchanges: int = 3, loss: float = 0.0,
            channel_check_hz: float | None = None, sessions: int = 1, progress=None) -> SetupRun:
        if unavailable and kind in unavailable:
            raise FileNotFoundError(unavailable[kind])
        return runs[kind, seed]
    return run


def all_runs(flight5_tx: float = 1.0) -> dict[tuple[str, int], SetupRun]:
    out = {}
    for seed in (1, 2):
        out["esse", seed] = esse_run(seed)
        out["psk", seed] = scaled(handshake_run("psk", seed), "flight 5", tx_ns=flight5_tx)
        out["ecdhe", seed] = handshake_run("ecdhe", seed, cpu_scale=10)
    return out


def test_baseline_file_cycle(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    with pytest.raises(ReportError, match="no energy baseline yet; make it with `esse energy baseline --upd"):
        regression.check(path, runner_of(all_runs()))
    doc = regression.update(path, regression.BaselineConfig(), runner_of(all_runs()))
    assert doc["missing"] == {} and len(doc["runs"]) == 6
    assert json.loads(path.read_text())["config"]["seeds"] == [1, 2]
    assert regression.check(path, runner_of(all_runs())).ok
    worse = regression.check(path, runner_of(all_runs(flight5_tx=1.2)))
    assert not worse.ok
    assert {c.figure for c in worse.failures()} >= {FLIGHT5_TX, "psk seed 2 | flight 5 | TX mJ"}
    # an update keeps the configuration of the file
    regression.update(path, runner=runner_of(all_runs(flight5_tx=1.2)))
    assert regression.check(path, runner_of(all_runs(flight5_tx=1.2))).ok


def test_a_kind_lost_since_the_baseline_fails_by_name(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    regression.update(path, regression.BaselineConfig(), runner_of(all_runs()))
    result = regression.check(path, runner_of(all_runs(), {"ecdhe": "no app ccs_ecdhe"}))
    assert not result.ok
    lost = "KIND NOT MEASURED: ecdhe is in the baseline but did not run: FileNotFoundError: no app ccs_ecdhe"
    assert lost in result.text()
    assert not any(c.figure.startswith("ecdhe") for c in result.changes)  # said once, as the kind


def test_a_kind_missing_from_the_baseline_is_recorded_and_its_arrival_noticed(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    doc = regression.update(path, regression.BaselineConfig(), runner_of(all_runs(), {"ecdhe": "not built"}))
    assert doc["missing"] == {"ecdhe": "FileNotFoundError: not built"}
    assert not any(n.startswith("ecdhe") for n in doc["figures"])
    result = regression.check(path, runner_of(all_runs()))
    assert result.ok  # new figures are notices
    assert "notice: ecdhe was not measured when the baseline was made and now is" in result.text()


def test_no_kind_measured_writes_no_baseline(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    gone = dict.fromkeys(("esse", "psk", "ecdhe"), "nothing built")
    with pytest.raises(ReportError, match="no kind could be measured, so no baseline was written"):
        regression.update(path, regression.BaselineConfig(), runner_of({}, gone))
    assert not path.exists()


def test_damaged_baseline_says_how_to_fix(tmp_path: Path, capsys) -> None:
    path = tmp_path / "baseline.json"
    path.write_text('{"format": 99}')
    with pytest.raises(ReportError, match="not an energy baseline of format 1"):
        regression.load_baseline(path)
    assert esse(["energy", "baseline", "--baseline", str(path)]) == 2
    assert "rewrite it: `esse energy baseline --update`" in capsys.readouterr().err
