"""CI energy regression: today's set-up figures against a committed baseline (energy_baseline.json).

The baseline holds, for fixed seeds and parameters, every figure of the energy report: per kind, seed
and phase the mJ in each state and in all, bytes, frames, fragments and time, and the set-up /
exchange / overall totals. `check` measures the same runs again and compares figure by figure:

- a figure that grew by more than the tolerance (TOLERANCE relative, plus FLOORS absolute for its
  unit, so a 0 does not make every change infinite) fails, naming the figure and both values;
- a figure that shrank by more than the tolerance also fails unless shrinks are allowed, saying it
  improved: the baseline is then rewritten on purpose (`esse energy baseline --update`), so that a
  later change cannot quietly give the gain back;
- a figure or kind in the baseline that is no longer measured fails; a new one is a notice.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.energy.phases import KINDS, STATE_FIELDS, SetupRun
from harness.energy.report import STATE_TITLES, ReportError, Runner, default_runner, totals

TOLERANCE = 0.05  # 5 %: simulations are deterministic, so any drift is a code change; this is its budget
FLOORS = {"mJ": 0.001, "ms": 0.5, "bytes": 0.0, "frames": 0.0, "fragments": 0.0}  # absolute slack per unit
BASELINE_PATH = Path(__file__).with_name("energy_baseline.json")
FORMAT = 1
UPDATE_HINT = "esse energy baseline --update"


@dataclass(frozen=True)
class BaselineConfig:
    """Which runs the baseline holds: every kind for every seed, with the same parameters."""

    kinds: tuple[str, ...] = KINDS
    seeds: tuple[int, ...] = (1, 2)
    exchanges: int = 3
    loss: float = 0.0
    channel_check_hz: float | None = None
    sessions: int = 1

    def __post_init__(self) -> None:
        unknown = [k for k in self.kinds if k not in KINDS]
        if unknown:
            raise ReportError(f"baseline: unknown kind(s) {', '.join(unknown)} (known: {', '.join(KINDS)})")
        if not self.seeds:
            raise ReportError("baseline: no seeds")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BaselineConfig:
        """The inverse of dataclasses.asdict (lists become tuples)."""
        d = dict(data)
        return cls(**{**d, "kinds": tuple(d["kinds"]), "seeds": tuple(d["seeds"])})


def unit_of(figure: str) -> str:
    """The unit of a figure name (its last word): mJ, ms, bytes, frames or fragments."""
    return figure.rsplit(" ", 1)[-1]


def figures(runs: Sequence[SetupRun]) -> dict[str, float]:
    """Every figure of the runs by name, "<kind> seed <n> | <phase> | <quantity> <unit>"; a phase name
    that occurs twice in a run gets " #2", ... (sessions > 1 may repeat names)."""
    out: dict[str, float] = {}
    for run in runs:
        prefix = f"{run.kind} seed {run.seed}"
        seen: dict[str, int] = {}
        for p in run.phases:
            seen[p.name] = seen.get(p.name, 0) + 1
            name = p.name + (f" #{seen[p.name]}" if seen[p.name] > 1 else "")
            for state in STATE_FIELDS:
                out[f"{prefix} | {name} | {STATE_TITLES[state]}"] = p.mj(state)
            out[f"{prefix} | {name} | total mJ"] = p.total_mj
            out[f"{prefix} | {name} | bytes"] = p.bytes
            out[f"{prefix} | {name} | frames"] = p.frames
            out[f"{prefix} | {name} | fragments"] = p.fragments
            out[f"{prefix} | {name} | time ms"] = p.time_ns / 1e6
        for part, row in totals(run).items():
            for quantity, value in row.items():
                out[f"{prefix} | total {part} | {quantity}"] = value
    return out


@dataclass(frozen=True)
class Change:
    """One figure that differs from the baseline beyond the tolerance, or exists on one side only."""

    figure: str
    baseline: float | None
    current: float | None
    verdict: str  # "grew", "shrank", "missing" (baseline only), "new" (current only)

    def __str__(self) -> str:
        if self.verdict == "missing":
            return f"{self.figure}: in the baseline ({self.baseline:g}) but not measured any more"
        if self.verdict == "new":
            return f"{self.figure}: new figure {self.current:g}, not in the baseline"
        assert self.baseline is not None and self.current is not None
        rel = (f"{(self.current - self.baseline) / self.baseline * 100:+.1f} %" if self.baseline
               else "from 0")
        return f"{self.figure}: {self.verdict} from {self.baseline:g} to {self.current:g} ({rel})"


@dataclass
class Comparison:
    """The outcome of comparing figures with a baseline."""

    tolerance: float
    changes: list[Change] = field(default_factory=list)
    kind_notes: list[str] = field(default_factory=list)  # kinds lost (failures) or gained (notices)
    kinds_lost: bool = False
    allow_shrink: bool = False

    def failures(self) -> list[Change]:
        """Changes that fail the check."""
        bad = {"grew", "missing"} | (set() if self.allow_shrink else {"shrank"})
        return [c for c in self.changes if c.verdict in bad]

    @property
    def ok(self) -> bool:
        """True when nothing fails."""
        return not self.failures() and not self.kinds_lost

    def text(self) -> str:
        """What changed, failures first, with what to do about it."""
        lines = list(self.kind_notes)
        grew = [c for c in self.changes if c.verdict in ("grew", "missing")]
        shrank = [c for c in self.changes if c.verdict == "shrank"]
        new = [c for c in self.changes if c.verdict == "new"]
        if grew:
            lines.append(f"ENERGY REGRESSION: {len(grew)} figure(s) grew beyond {self.tolerance * 100:g} % "
                         "or are no longer measured:")
            lines += [f"  {c}" for c in grew]
        if shrank:
            head = "notice" if self.allow_shrink else "IMPROVED (update the baseline on purpose)"
            lines.append(f"{head}: {len(shrank)} figure(s) shrank beyond {self.tolerance * 100:g} %; "
                         f"rewrite the baseline with `{UPDATE_HINT}` and commit it:")
            lines += [f"  {c}" for c in shrank]
        if new:
            lines.append(f"notice: {len(new)} figure(s) not in the baseline (`{UPDATE_HINT}` adds them):")
            lines += [f"  {c}" for c in new]
        if not lines:
            lines.append(f"energy figures within {self.tolerance * 100:g} % of the baseline")
        return "\n".join(lines)


def compare(baseline: Mapping[str, float], current: Mapping[str, float], *, tolerance: float = TOLERANCE,
            floors: Mapping[str, float] | None = None, allow_shrink: bool = False) -> Comparison:
    """Figure by figure: grew / shrank beyond `tolerance` (relative) plus the unit's absolute floor."""
    if tolerance < 0:
        raise ReportError(f"tolerance must not be negative (got {tolerance})")
    floors = FLOORS if floors is None else floors
    out = Comparison(tolerance, allow_shrink=allow_shrink)
    for name, old in baseline.items():
        if name not in current:
            out.changes.append(Change(name, old, None, "missing"))
            continue
        new = current[name]
        slack = abs(old) * tolerance + floors.get(unit_of(name), 0.0)
        if new > old + slack:
            out.changes.append(Change(name, old, new, "grew"))
        elif new < old - slack:
            out.changes.append(Change(name, old, new, "shrank"))
    out.changes += [Change(n, None, v, "new") for n, v in current.items() if n not in baseline]
    return out


def measure_runs(config: BaselineConfig, runner: Runner | None = None,
                 progress: Callable[[int, int], None] | None = None) -> tuple[list[SetupRun], dict[str, str]]:
    """Every run of the configuration, and the kinds that could not run with the reason. A kind is
    missing as a whole: when one seed fails, its other seeds are not tried."""
    run_setup = runner if runner is not None else default_runner()
    runs: list[SetupRun] = []
    missing: dict[str, str] = {}
    jobs = [(k, s) for k in config.kinds for s in config.seeds]
    for i, (kind, seed) in enumerate(jobs):
        if kind in missing:
            continue

        def step(done: int, total: int, i: int = i) -> None:
            if progress is not None:
                progress(i * 1000 + done * 1000 // max(total, 1), 1000 * len(jobs))

        try:
            runs.append(run_setup(kind, seed=seed, exchanges=config.exchanges, loss=config.loss,
                                  channel_check_hz=config.channel_check_hz, sessions=config.sessions,
                                  progress=step))
        except Exception as exc:  # noqa: BLE001 - an unavailable kind is recorded and reported by name
            missing[kind] = f"{type(exc).__name__}: {exc}"
        step(1, 1)
    return runs, missing


def baseline_document(config: BaselineConfig, runs: Sequence[SetupRun], missing: Mapping[str, str], *,
                      tolerance: float = TOLERANCE) -> dict[str, Any]:
    """The JSON document of a baseline: its configuration, tolerance, missing kinds, figures and runs."""
    return {"format": FORMAT, "about": f"energy regression baseline; rewrite with `{UPDATE_HINT}`",
            "config": asdict(config), "tolerance": tolerance, "floors": dict(FLOORS),
            "missing": dict(missing), "figures": figures(runs), "runs": [r.to_json() for r in runs]}


def load_baseline(path: Path = BASELINE_PATH) -> dict[str, Any]:
    """A baseline document; ReportError saying how to make one when it is absent or damaged."""
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise ReportError(f"{path}: no energy baseline yet; make it with `{UPDATE_HINT}`") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise ReportError(f"{path}: cannot read the energy baseline: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or "figures" not in doc:
        raise ReportError(f"{path}: not an energy baseline of format {FORMAT}; rewrite it: `{UPDATE_HINT}`")
    return doc


def write_baseline(doc: Mapping[str, Any], path: Path = BASELINE_PATH) -> None:
    """Write a baseline document (sorted keys, so its diff shows what changed)."""
    path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")


def check_runs(doc: Mapping[str, Any], runs: Sequence[SetupRun], missing: Mapping[str, str], *,
               allow_shrink: bool = False) -> Comparison:
    """Today's runs against a baseline document: kinds first (one the baseline measured and today's
    run lacks fails), then every figure."""
    base_missing = dict(doc.get("missing", {}))
    result = compare(doc["figures"], figures(runs), tolerance=float(doc.get("tolerance", TOLERANCE)),
                     floors=doc.get("floors", FLOORS), allow_shrink=allow_shrink)
    for kind, why in missing.items():
        if kind not in base_missing:
            result.kind_notes.append(f"KIND NOT MEASURED: {kind} is in the baseline but did not run: {why}")
            result.kinds_lost = True
            # its figures are reported once, as the kind, not one by one
            result.changes = [c for c in result.changes
                              if not (c.verdict == "missing" and c.figure.startswith(f"{kind} seed "))]
    for kind in base_missing:
        if kind not in missing:
            result.kind_notes.append(f"notice: {kind} was not measured when the baseline was made and now "
                                     f"is; `{UPDATE_HINT}` adds it")
    return result


def check(path: Path = BASELINE_PATH, runner: Runner | None = None, *, allow_shrink: bool = False,
          progress: Callable[[int, int], None] | None = None) -> Comparison:
    """Measure the baseline's configuration again and compare it with the baseline."""
    doc = load_baseline(path)
    config = BaselineConfig.from_json(doc["config"])
    runs, missing = measure_runs(config, runner, progress)
    return check_runs(doc, runs, missing, allow_shrink=allow_shrink)


def update(path: Path = BASELINE_PATH, config: BaselineConfig | None = None, runner: Runner | None = None,
           progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Measure and write a new baseline (the existing file's configuration unless one is given)."""
    if config is None:
        try:
            config = BaselineConfig.from_json(load_baseline(path)["config"])
        except ReportError:
            config = BaselineConfig()
    runs, missing = measure_runs(config, runner, progress)
    if not runs:
        raise ReportError("no kind could be measured, so no baseline was written: "
                          + "; ".join(f"{k}: {v}" for k, v in missing.items()))
    doc = baseline_document(config, runs, missing)
    write_baseline(doc, path)
    return doc
