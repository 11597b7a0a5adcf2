"""`esse energy report`, `esse energy baseline` and `esse sweep`: the energy evaluation as commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from harness.energy import regression, report, sweep
from harness.energy.phases import KINDS
from harness.energy.progress import ProgressBar

T = TypeVar("T")


def _kinds(text: str) -> tuple[str, ...]:
    kinds = tuple(k.strip() for k in text.split(",") if k.strip())
    bad = [k for k in kinds if k not in KINDS]
    if bad or not kinds:
        raise argparse.ArgumentTypeError(f"kinds are a comma list of {', '.join(KINDS)} (got {text!r})")
    return kinds


def _fraction(text: str) -> float:
    try:
        value = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"a loss is a fraction in [0, 1) or a percentage (got {text})")
    return value


def _hz(text: str) -> float | None:
    if text.lower() in ("always", "none", "on"):
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a channel-check rate is Hz or 'always' (got {text!r})") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"a channel-check rate must be positive (got {text})")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative (got {text})")
    return value


def _sessions(text: str) -> int:
    value = _positive(text)
    if value < 1:
        raise argparse.ArgumentTypeError("at least one session")
    return value


def _ints(text: str) -> tuple[int, ...]:
    """`1,2,5` or `1-5` (inclusive) or a mix."""
    out: list[int] = []
    try:
        for part in text.split(","):
            lo, _, hi = part.strip().partition("-")
            out += list(range(int(lo), int(hi) + 1)) if hi else [int(lo)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"a list of integers like 1,2,3 or 1-5 (got {text!r})") from None
    if not out:
        raise argparse.ArgumentTypeError("an empty list")
    return tuple(out)


def _list(item: Callable[[str], T]) -> Callable[[str], tuple[T, ...]]:
    def parse(text: str) -> tuple[T, ...]:
        values = tuple(item(t.strip()) for t in text.split(",") if t.strip())
        if not values:
            raise argparse.ArgumentTypeError("an empty list")
        return values
    return parse


def report_command(args: argparse.Namespace) -> int:
    """Measure (or re-read) a report, print it and write its files; 1 when no kind was measured."""
    if args.from_json is not None:
        rep = report.read_json(args.from_json)
    else:
        bar = ProgressBar("energy report")
        rep = report.measure(args.kinds, seed=args.seed, exchanges=args.exchanges, loss=args.loss,
                             channel_check_hz=args.channel_check_hz, sessions=args.sessions, progress=bar)
        bar.close()
    written = report.write_outputs(rep, args.out, plots=not args.no_plots) if args.out is not None else []
    print(report.text_report(rep))
    for path in written:
        print(f"wrote {path}")
    return 0 if rep.runs() else 1


def baseline_command(args: argparse.Namespace) -> int:
    """Check today's figures against the baseline (exit 1 on a regression) or, with --update, rewrite it."""
    bar = ProgressBar("energy baseline")
    if args.update:
        config = None
        if args.seeds is not None or args.kinds is not None:
            old = regression.BaselineConfig()
            config = regression.BaselineConfig(kinds=args.kinds or old.kinds, seeds=args.seeds or old.seeds)
        doc = regression.update(args.baseline, config, progress=bar)
        bar.close()
        for kind, why in doc["missing"].items():
            print(f"{kind}: NOT MEASURED, left out of the baseline: {why}")
        print(f"wrote {args.baseline}: {len(doc['figures'])} figures of {len(doc['runs'])} run(s)")
        return 0
    result = regression.check(args.baseline, allow_shrink=args.allow_shrink, progress=bar)
    bar.close()
    print(result.text())
    return 0 if result.ok else 1


def sweep_command(args: argparse.Namespace) -> int:
    """Run the sweep, print its table and write its files."""
    spec = sweep.SweepSpec(kinds=args.kinds, losses=args.loss, channel_check_hz=args.channel_check_hz,
                           sessions=args.sessions, seeds=args.seeds, exchanges=args.exchanges)
    bar = ProgressBar("sweep")
    result = sweep.run_sweep(spec, scheduler=args.scheduler, workers=args.workers, progress=bar)
    bar.close()
    # files first: a closed stdout pipe must not lose them
    written = sweep.write_outputs(result, args.out, metric=args.metric)
    print(sweep.table(result))
    for path in written:
        print(f"wrote {path}")
    return 0


def _guarded(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn a ReportError (bad input, nothing to measure with) into its message and exit code 2."""
    def run(args: argparse.Namespace) -> int:
        try:
            return fn(args)
        except report.ReportError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    return run


def add_cli(sub: argparse._SubParsersAction) -> None:
    """Register `esse energy {report,baseline}` and `esse sweep`."""
    energy = sub.add_parser("energy", help="energy of DTLS session set-up on the sensor: report, CI baseline")
    esub = energy.add_subparsers(dest="energy_command", metavar="ENERGY_COMMAND", required=True)

    r = esub.add_parser("report", help="per-phase energy of ESSE vs full PSK / ECDHE handshakes, with plots")
    r.add_argument("--kinds", type=_kinds, default=KINDS, help="comma list (default: esse,psk,ecdhe)")
    r.add_argument("--seed", type=int, default=1)
    r.add_argument("--exchanges", type=_positive, default=3, help="CoAP exchanges after the set-up")
    r.add_argument("--loss", type=_fraction, default=0.0, help="link loss, 0.1 or 10%% (default 0)")
    r.add_argument("--channel-check-hz", type=_hz, default=None, help="radio duty cycle (default: always on)")
    r.add_argument("--sessions", type=_sessions, default=1)
    r.add_argument("--out", type=Path, default=None, help="write report.{txt,json,csv} and plots here")
    r.add_argument("--no-plots", action="store_true")
    r.add_argument("--from-json", type=Path, default=None, metavar="REPORT_JSON",
                   help="re-render a report.json instead of measuring")
    r.set_defaults(func=_guarded(report_command))

    b = esub.add_parser("baseline", help="CI energy regression: check against (or --update) the baseline")
    b.add_argument("--update", action="store_true", help="measure again and rewrite the baseline")
    b.add_argument("--baseline", type=Path, default=regression.BASELINE_PATH)
    b.add_argument("--allow-shrink", action="store_true", help="shrunk figures are notices, not failures")
    b.add_argument("--seeds", type=_ints, default=None, help="with --update: the seeds (default 1,2)")
    b.add_argument("--kinds", type=_kinds, default=None, help="with --update: the kinds (default all)")
    b.set_defaults(func=_guarded(baseline_command))

    s = sub.add_parser("sweep", help="set-up energy over loss, channel-check rate, sessions, seeds (Dask)")
    s.add_argument("--kinds", type=_kinds, default=("esse",))
    s.add_argument("--loss", type=_list(_fraction), default=(0.0,), help="comma list, e.g. 0,0.1,0.2,0.3")
    s.add_argument("--channel-check-hz", type=_list(_hz), default=(None,), help="comma list: always,8,16")
    s.add_argument("--sessions", type=_ints, default=(1,))
    s.add_argument("--seeds", type=_ints, default=(1, 2, 3), help="e.g. 1-10")
    s.add_argument("--exchanges", type=_positive, default=3)
    s.add_argument("--workers", type=_positive, default=None,
                   help="local cluster size (default: one per core; 0: run here, one by one)")
    s.add_argument("--scheduler", default=None, metavar="tcp://HOST:8786", help="an existing Dask cluster")
    s.add_argument("--metric", choices=sweep.METRICS, default="set-up mJ", help="what the plot shows")
    s.add_argument("--out", type=Path, default=Path("build/sweep"))
    s.set_defaults(func=_guarded(sweep_command))
