"""`esse sweep`: session set-up energy over a grid of parameters, with mean and 95 % confidence interval.

The grid is every combination of kind, link loss, channel-check rate and number of sessions; each
point runs once per seed. The runs go to Dask (dask.distributed): by default a local cluster of one
single-threaded worker process per core, or an existing cluster with `--scheduler tcp://host:8786`
(its workers need this package importable: the same checkout or an installed wheel). `workers=0`
runs them here, one after the other. Each run is a pure function of (params, seed) - the simulations
are deterministic - so a sweep gives the same numbers wherever it runs.
"""

from __future__ import annotations

import csv
import itertools
import json
import logging
import math
import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.energy.phases import KINDS, SetupRun
from harness.energy.report import ReportError, default_runner, session_mj, setup_mj, totals

SweepFn = Callable[[dict[str, Any], int], SetupRun]
SWEPT = ("kind", "loss", "channel_check_hz", "sessions")  # the grid's axes, in this order
METRICS = ("set-up mJ", "exchanges mJ", "total mJ", "set-up fragments", "set-up ms")

# Student's t, two-sided 95 % (0.975 quantile), by degrees of freedom; beyond 30 it is interpolated
# in 1/df towards the normal 1.960 (standard tables).
_T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262,
         10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110,
         18: 2.101, 19: 2.093, 20: 2.086, 21: 2.080, 22: 2.074, 23: 2.069, 24: 2.064, 25: 2.060,
         26: 2.056, 27: 2.052, 28: 2.048, 29: 2.045, 30: 2.042, 40: 2.021, 60: 2.000, 120: 1.980}


def t975(df: int) -> float:
    """The 0.975 quantile of Student's t with `df` degrees of freedom (df >= 1)."""
    if df < 1:
        raise ValueError("a confidence interval needs at least two samples")
    if df in _T975:
        return _T975[df]
    known = sorted(_T975) + [math.inf]
    values = [_T975[k] for k in sorted(_T975)] + [1.960]
    for (lo, vlo), (hi, vhi) in itertools.pairwise(zip(known, values, strict=True)):
        if lo < df < hi:
            w = (1 / lo - 1 / df) / (1 / lo - (0 if hi == math.inf else 1 / hi))
            return vlo + (vhi - vlo) * w
    return 1.960


@dataclass(frozen=True)
class Estimate:
    """Mean of a figure over seeds and the half-width of its 95 % confidence interval (Student's t)."""

    mean: float
    half_width: float | None  # None with a single seed
    n: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Estimate:
        """The estimate from one value per seed."""
        if not values:
            raise ValueError("no values")
        mean = statistics.fmean(values)
        if len(values) < 2:
            return cls(mean, None, 1)
        n = len(values)
        return cls(mean, t975(n - 1) * statistics.stdev(values) / math.sqrt(n), n)


def metrics(run: SetupRun) -> dict[str, float]:
    """The figures a sweep summarises per run."""
    t = totals(run)
    return {"set-up mJ": setup_mj(run), "exchanges mJ": t["exchanges"]["total mJ"],
            "total mJ": session_mj(run), "set-up fragments": t["set-up"]["fragments"],
            "set-up ms": t["set-up"]["time ms"]}


@dataclass(frozen=True)
class SweepSpec:
    """The grid: every combination of the axes, each run once per seed."""

    kinds: tuple[str, ...] = ("esse",)
    losses: tuple[float, ...] = (0.0,)
    channel_check_hz: tuple[float | None, ...] = (None,)
    sessions: tuple[int, ...] = (1,)
    seeds: tuple[int, ...] = (1, 2, 3)
    exchanges: int = 3

    def __post_init__(self) -> None:
        bad = [k for k in self.kinds if k not in KINDS]
        if bad:
            raise ReportError(f"sweep: unknown kind(s) {', '.join(bad)} (known: {', '.join(KINDS)})")
        if any(not 0.0 <= x < 1.0 for x in self.losses):
            raise ReportError(f"sweep: a loss is a fraction in [0, 1) (got {list(self.losses)})")
        if any(h is not None and h <= 0 for h in self.channel_check_hz):
            raise ReportError("sweep: a channel-check rate is a positive number of Hz (or always-on)")
        if any(n < 1 for n in self.sessions):
            raise ReportError(f"sweep: sessions must be at least 1 (got {list(self.sessions)})")
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise ReportError(f"sweep: give distinct seeds (got {list(self.seeds)})")
        if self.exchanges < 0:
            raise ReportError("sweep: exchanges must not be negative")

    def points(self) -> list[dict[str, Any]]:
        """The grid's points as run_setup keyword arguments (without the seed)."""
        return [{"kind": k, "loss": loss, "channel_check_hz": h, "sessions": n, "exchanges": self.exchanges}
                for k, loss, h, n in itertools.product(self.kinds, self.losses, self.channel_check_hz,
                                                       self.sessions)]

    def jobs(self) -> list[tuple[dict[str, Any], int]]:
        """Every (point, seed) to run, in a fixed order."""
        return [(p, s) for p in self.points() for s in self.seeds]


def run_point(params: dict[str, Any], seed: int) -> SetupRun:
    """One run of the sweep: run_setup with the point's parameters and the seed."""
    kwargs = dict(params)
    kind = kwargs.pop("kind")
    return default_runner()(kind, seed=seed, **kwargs)


@dataclass
class PointResult:
    """One grid point: its parameters, the runs (one per seed) and the estimates per metric."""

    params: dict[str, Any]
    runs: list[SetupRun]
    estimates: dict[str, Estimate] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.estimates:
            per_run = [metrics(r) for r in self.runs]
            self.estimates = {m: Estimate.of([x[m] for x in per_run]) for m in METRICS}


@dataclass
class SweepResult:
    """All points of a sweep, how it ran and how long it took."""

    spec: SweepSpec
    points: list[PointResult]
    where: str  # "sequential", "local cluster, 2 workers", "tcp://..."
    wall_s: float

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: the points with their estimates and runs."""
        return {"where": self.where, "wall_s": self.wall_s, "seeds": list(self.spec.seeds),
                "points": [{"params": p.params,
                            "estimates": {m: {"mean": e.mean, "ci95": e.half_width, "n": e.n}
                                          for m, e in p.estimates.items()},
                            "runs": [r.to_json() for r in p.runs]} for p in self.points]}


def _sequential(jobs: list[tuple[dict[str, Any], int]], fn: SweepFn,
                progress: Callable[[int, int], None] | None) -> list[SetupRun]:
    out = []
    for i, (params, seed) in enumerate(jobs):
        out.append(fn(params, seed))
        if progress is not None:
            progress(i + 1, len(jobs))
    return out


def _on_dask(jobs: list[tuple[dict[str, Any], int]], fn: SweepFn, scheduler: str | None, workers: int,
             progress: Callable[[int, int], None] | None) -> tuple[list[SetupRun], str]:
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        # one single-threaded process per worker: the emulator holds the GIL. No dashboard and no fixed
        # port: the scheduler's HTTP server would otherwise try 8787 (another sweep may hold it)
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, scheduler_port=0,
                               dashboard_address=None, silence_logs=logging.ERROR,
                               scheduler_kwargs={"dashboard": False, "dashboard_address": ":0"})
        client = Client(cluster)
        where = f"local cluster, {workers} worker(s)"
    else:
        try:
            client = Client(scheduler, timeout=10)
        except (OSError, TimeoutError) as exc:
            raise ReportError(f"no Dask scheduler at {scheduler}: {exc}") from exc
        where = f"{scheduler} ({len(client.scheduler_info().get('workers', {}))} worker(s))"
    try:
        futures = [client.submit(fn, params, seed, pure=False) for params, seed in jobs]
        index = {f.key: i for i, f in enumerate(futures)}
        results: list[SetupRun | None] = [None] * len(jobs)
        for done, fut in enumerate(as_completed(futures), 1):
            results[index[fut.key]] = fut.result()
            if progress is not None:
                progress(done, len(jobs))
        return [r for r in results if r is not None], where
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run_sweep(spec: SweepSpec, fn: SweepFn = run_point, *, scheduler: str | None = None,
              workers: int | None = None, progress: Callable[[int, int], None] | None = None) -> SweepResult:
    """Run every (point, seed) of the grid with `fn`: on an existing Dask cluster (`scheduler`), on a
    local one of `workers` processes (default: one per core), or here one by one (`workers=0`)."""
    jobs = spec.jobs()
    start = time.monotonic()
    if scheduler is None and workers == 0:
        runs, where = _sequential(jobs, fn, progress), "sequential"
    else:
        if workers is not None and workers < 0:
            raise ReportError(f"sweep: workers must be 0 (sequential) or more (got {workers})")
        runs, where = _on_dask(jobs, fn, scheduler, workers or os.cpu_count() or 1, progress)
    wall = time.monotonic() - start
    n = len(spec.seeds)
    points = [PointResult(params, runs[i * n:(i + 1) * n]) for i, params in enumerate(spec.points())]
    return SweepResult(spec, points, where, wall)


# ---- output ----

def _label(params: dict[str, Any], keys: Sequence[str]) -> str:
    parts = []
    for k in keys:
        v = params[k]
        if k == "loss":
            parts.append(f"loss {v * 100:g} %")
        elif k == "channel_check_hz":
            parts.append("always on" if v is None else f"check {v:g} Hz")
        elif k == "sessions":
            parts.append(f"{v} session(s)")
        else:
            parts.append(str(v))
    return ", ".join(parts)


def x_axis(spec: SweepSpec) -> str:
    """The axis a plot puts along x: the numeric axis with the most values (loss when tied)."""
    sizes = {"loss": len(spec.losses), "channel_check_hz": len(spec.channel_check_hz),
             "sessions": len(spec.sessions)}
    return max(sizes, key=lambda k: (sizes[k], k == "loss"))


def table(result: SweepResult, metric: str = "set-up mJ") -> str:
    """One line per point: its parameters, then mean ± 95 % CI of each metric."""
    lines = [f"sweep: {len(result.points)} point(s) x {len(result.spec.seeds)} seed(s), {result.where}, "
             f"{result.wall_s:.1f} s wall", f"{'point':<46}" + "".join(f"{m:>24}" for m in METRICS)]
    for p in result.points:
        cells = []
        for m in METRICS:
            e = p.estimates[m]
            cells.append(f"{e.mean:>12.3f} ± {e.half_width:<9.3f}" if e.half_width is not None
                         else f"{e.mean:>12.3f}{'':12}")
        lines.append(f"{_label(p.params, SWEPT):<46}" + "".join(f"{c:>24}" for c in cells))
    return "\n".join(lines)


def write_csv(result: SweepResult, path: Path) -> None:
    """One row per point: parameters, then mean, CI half-width and n per metric."""
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([*SWEPT, *(f"{m} {s}" for m in METRICS for s in ("mean", "ci95"))] + ["n"])
        for p in result.points:
            row: list[Any] = [p.params[k] if p.params[k] is not None else "always" for k in SWEPT]
            for m in METRICS:
                e = p.estimates[m]
                row += [f"{e.mean:.6f}", "" if e.half_width is None else f"{e.half_width:.6f}"]
            w.writerow(row + [len(p.runs)])


def plot(result: SweepResult, stem: Path, metric: str = "set-up mJ") -> list[Path]:
    """Mean of `metric` against the x axis with 95 % CI error bars, one line per other combination."""
    from harness.energy.report import pyplot, save_figure

    plt = pyplot()
    x = x_axis(result.spec)
    others = [k for k in SWEPT if k != x]
    lines: dict[str, list[tuple[float, Estimate]]] = {}
    for p in result.points:
        xv = p.params[x]
        at = 0.0 if xv is None else float(xv)
        lines.setdefault(_label(p.params, others), []).append((at, p.estimates[metric]))
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for label, pts in lines.items():
        pts.sort(key=lambda t: t[0])
        xs = [v * 100 if x == "loss" else v for v, _ in pts]
        ax.errorbar(xs, [e.mean for _, e in pts], yerr=[e.half_width or 0.0 for _, e in pts], marker="o",
                    capsize=3, label=label)
    ax.set_xlabel({"loss": "link loss (%)", "channel_check_hz": "channel checks per second (0: always on)",
                   "sessions": "sessions"}[x])
    ax.set_ylabel(metric + " (mean, 95 % CI)")
    ax.set_title(f"{metric} over {len(result.spec.seeds)} seed(s) per point")
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return save_figure(fig, plt, stem)


def write_outputs(result: SweepResult, out_dir: Path, *, metric: str = "set-up mJ") -> list[Path]:
    """sweep.txt, sweep.json, sweep.csv and sweep.{png,svg}."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "sweep.txt").write_text(table(result) + "\n")
    (out_dir / "sweep.json").write_text(json.dumps(result.to_json(), indent=1, sort_keys=True) + "\n")
    write_csv(result, out_dir / "sweep.csv")
    written = [out_dir / n for n in ("sweep.txt", "sweep.json", "sweep.csv")]
    return written + plot(result, out_dir / "sweep", metric)
