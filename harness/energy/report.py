"""The energy report: what one DTLS session set-up and its record exchanges cost the sensor, per phase.

`esse energy report` (and `invoke energy-report`) measures one SetupRun per kind (ESSE delegation, the
full PSK and ECDHE-ECDSA handshakes on the mote) through harness.energy.setup_run.run_setup, then
prints one table per kind (one row per phase: flights 1-6, the hand-off, each exchange), the totals,
and how many times more a full handshake costs than ESSE; it writes the same as JSON and CSV and draws
two plots (PNG and SVG): Figure 11 of the paper (grouped bars per phase, log scale) and the totals.
A kind that cannot be measured here is reported as missing with the reason; the rest still is.
This module only reads SetupRun records (harness.energy.phases); it never simulates by itself.
"""

from __future__ import annotations

import csv
import importlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, cast

from harness.energy.phases import KINDS, STATE_FIELDS, PhaseCost, SetupRun

# The four energy states with their column titles (the paper's Figure 11 calls RX "listen").
STATE_TITLES = {"CPU": "CPU mJ", "LPM": "LPM mJ", "TX": "TX mJ", "RX": "listen mJ"}
GROUP_ORDER = ("bootstrap", "RD registration", "handshake", "hand-off", "exchange")
SETUP_GROUPS = ("handshake", "hand-off")  # what a session set-up is
# once per device, before any session (kind esse): its own part of the totals, not the set-up's
DEVICE_GROUPS = ("bootstrap", "RD registration")
BASELINE_KINDS = ("psk", "ecdhe")  # what ESSE is compared with


class Runner(Protocol):
    """The shape of harness.energy.setup_run.run_setup: one measured set-up of one kind."""

    def __call__(self, kind: str, *, seed: int = 1, exchanges: int = 3, loss: float = 0.0,
                 channel_check_hz: float | None = None, sessions: int = 1,
                 progress: Callable[[int, int], None] | None = None) -> SetupRun:
        """Run one session set-up of `kind` and its exchanges."""
        ...


class ReportError(RuntimeError):
    """A report that cannot be made (bad input file, unknown kind): the message says why."""


def default_runner() -> Runner:
    """run_setup from harness.energy.setup_run; ReportError naming the module when it is not there."""
    try:  # imported by name: the module comes from another room (simtime) and may not be merged yet
        module = importlib.import_module("harness.energy.setup_run")
        return cast(Runner, module.run_setup)
    except (ImportError, AttributeError) as exc:
        raise ReportError(f"harness.energy.setup_run.run_setup is not available ({exc}): this checkout "
                          "cannot measure set-ups yet") from exc


@dataclass(frozen=True)
class KindResult:
    """One kind in a report: its run, or why there is none."""

    kind: str
    run: SetupRun | None = None
    missing: str = ""  # the reason when run is None


@dataclass(frozen=True)
class Ratio:
    """How many times more energy a full handshake kind costs the sensor than ESSE for one quantity."""

    other: str  # "psk" or "ecdhe"
    what: str  # "set-up", "set-up CPU", ..., "set-up + exchanges"
    esse_mj: float
    other_mj: float

    @property
    def factor(self) -> float | None:
        """other / esse; None when ESSE's figure is 0."""
        return self.other_mj / self.esse_mj if self.esse_mj else None


@dataclass(frozen=True)
class EnergyReport:
    """The runs of one report, one per kind asked for, with the parameters they were run with."""

    params: dict[str, Any]
    results: tuple[KindResult, ...] = field(default_factory=tuple)

    def runs(self) -> dict[str, SetupRun]:
        """The kinds that were measured and their runs."""
        return {r.kind: r.run for r in self.results if r.run is not None}

    def missing(self) -> dict[str, str]:
        """The kinds that were not measured and why."""
        return {r.kind: r.missing for r in self.results if r.run is None}

    def ratios(self) -> list[Ratio]:
        """ESSE against each measured baseline kind: set-up per state and in all, and with exchanges."""
        runs = self.runs()
        if "esse" not in runs:
            return []
        out = []
        for other in BASELINE_KINDS:
            if other not in runs:
                continue
            e, o = runs["esse"], runs[other]
            out.append(Ratio(other, "set-up", setup_mj(e), setup_mj(o)))
            for state in STATE_FIELDS:
                what = f"set-up {state_title(state)}"
                out.append(Ratio(other, what, setup_mj(e, state), setup_mj(o, state)))
            out.append(Ratio(other, "set-up + exchanges", session_mj(e), session_mj(o)))
        return out

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: the parameters, per kind its run and totals or why it is missing, the ratios,
        firmware energest against the tracker (per kind, part or phase, and state)."""
        kinds = [{"kind": r.kind, "run": r.run.to_json(), "totals": totals(r.run)} if r.run is not None
                 else {"kind": r.kind, "missing": r.missing} for r in self.results]  # a list keeps the order
        ratios = [{"other": x.other, "what": x.what, "esse_mj": x.esse_mj, "other_mj": x.other_mj,
                   "factor": x.factor} for x in self.ratios()]
        energest = [row.to_json() for run in self.runs().values()
                    for row in energest_rows(run, phases=True)]
        return {"params": self.params, "kinds": kinds, "ratios": ratios, "energest_vs_tracker": energest}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EnergyReport:
        """The inverse of to_json (totals and ratios are recomputed)."""
        try:
            results = tuple(KindResult(v["kind"], SetupRun.from_json(v["run"])) if "run" in v
                            else KindResult(v["kind"], None, str(v["missing"])) for v in data["kinds"])
            return cls(dict(data["params"]), results)
        except (KeyError, TypeError, AttributeError) as exc:
            raise ReportError(f"not an energy report (the JSON of `esse energy report`): {exc!r}") from exc


def state_title(state: str) -> str:
    """The report's name of an energy state (RX is "listen")."""
    return "listen" if state == "RX" else state


def setup_mj(run: SetupRun, state: str | None = None) -> float:
    """The set-up's energy (handshake and hand-off phases), in all or in one state, in mJ."""
    phases = [p for p in run.phases if p.group in SETUP_GROUPS]
    return sum(p.mj(state) if state else p.total_mj for p in phases)


def session_mj(run: SetupRun) -> float:
    """The session's energy: set-up and exchanges, without the device's one-off bootstrap and RD phases."""
    return sum(p.total_mj for p in run.phases if p.group not in DEVICE_GROUPS)


def totals(run: SetupRun) -> dict[str, dict[str, float]]:
    """Per part ("set-up", "exchanges", "all"): mJ per state and in all, bytes, frames, fragments, ms."""
    parts = {"set-up": [p for p in run.phases if p.group in SETUP_GROUPS],
             "exchanges": [p for p in run.phases if p.group not in SETUP_GROUPS + DEVICE_GROUPS]}
    device = [p for p in run.phases if p.group in DEVICE_GROUPS]
    if device:
        parts["bootstrap + RD"] = device
    parts["all"] = list(run.phases)
    out: dict[str, dict[str, float]] = {}
    for part, phases in parts.items():
        row = {STATE_TITLES[s]: sum(p.mj(s) for p in phases) for s in STATE_FIELDS}
        row["total mJ"] = sum(p.total_mj for p in phases)
        row["bytes"] = sum(p.bytes for p in phases)
        row["frames"] = sum(p.frames for p in phases)
        row["fragments"] = sum(p.fragments for p in phases)
        row["time ms"] = sum(p.time_ns for p in phases) / 1e6
        out[part] = row
    return out


def measure(kinds: Sequence[str], *, seed: int = 1, exchanges: int = 3, loss: float = 0.0,
            channel_check_hz: float | None = None, sessions: int = 1, runner: Runner | None = None,
            progress: Callable[[int, int], None] | None = None) -> EnergyReport:
    """Run one set-up per kind; a kind that fails to run is kept as missing with the error as reason.
    `progress(done, total)` counts in per-mille of all kinds together."""
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ReportError(f"unknown kind(s) {', '.join(unknown)} (known: {', '.join(KINDS)})")
    params = {"seed": seed, "exchanges": exchanges, "loss": loss, "channel_check_hz": channel_check_hz,
              "sessions": sessions}
    try:
        run_setup = runner if runner is not None else default_runner()
    except ReportError as exc:
        return EnergyReport(params, tuple(KindResult(k, None, str(exc)) for k in kinds))
    results = []
    for i, kind in enumerate(kinds):
        def step(done: int, total: int, i: int = i) -> None:
            if progress is not None:
                progress(i * 1000 + done * 1000 // max(total, 1), 1000 * len(kinds))
        try:
            run = run_setup(kind, seed=seed, exchanges=exchanges, loss=loss,
                            channel_check_hz=channel_check_hz, sessions=sessions, progress=step)
        except Exception as exc:  # noqa: BLE001 - a kind that cannot run here is reported, not fatal
            results.append(KindResult(kind, None, f"{type(exc).__name__}: {exc}"))
        else:
            results.append(KindResult(kind, run))
        step(1, 1)
    return EnergyReport(params, tuple(results))


# ---- firmware energest against the emulator's tracker ----

ENERGEST_TITLE = "Firmware energest vs the emulator's tracker (the sensor's own counters, the same intervals)"
ENERGEST_HOW = ("diff: (energest - tracker) / tracker; energest read from the sensor's RAM and timers at "
                "each phase boundary, nothing run on it (harness/energy/energest_probe.py)")
ENERGEST_NOTE = "radio modelled: CPU and LPM only"  # a run whose phases hold no TX/RX energest


@dataclass(frozen=True)
class EnergestRow:
    """One state over one part (or phase) of a run: the firmware's energest and the tracker, in mJ."""

    kind: str
    seed: int
    part: str  # "set-up", "exchange 1", "exchanges", "bootstrap + RD", "all", or a phase name
    state: str  # CPU, LPM, TX, RX
    energest_mj: float
    tracker_mj: float
    note: str = ""

    @property
    def diff_pct(self) -> float | None:
        """(energest - tracker) / tracker in %; None when the tracker's figure is 0."""
        if self.tracker_mj == 0:
            return None
        return (self.energest_mj - self.tracker_mj) / self.tracker_mj * 100

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict, the difference included."""
        return {"kind": self.kind, "seed": self.seed, "part": self.part, "state": self.state,
                "energest_mj": self.energest_mj, "tracker_mj": self.tracker_mj, "diff_pct": self.diff_pct,
                "note": self.note}

    def __str__(self) -> str:
        diff = f"{self.diff_pct:+8.3f} %" if self.diff_pct is not None else "     n/a  "
        return (f"{self.kind}: {self.part}, {state_title(self.state)}: energest {self.energest_mj:.6f} mJ, "
                f"tracker {self.tracker_mj:.6f} mJ ({diff.strip()})")


def energest_parts(run: SetupRun) -> dict[str, list[PhaseCost]]:
    """The parts energest is compared over: set-up, one record exchange, all exchanges, bootstrap + RD
    (when the run has them), all."""
    parts = {"set-up": [p for p in run.phases if p.group in SETUP_GROUPS]}
    exchanges = [p for p in run.phases if p.group not in SETUP_GROUPS + DEVICE_GROUPS]
    if exchanges:
        parts["exchange 1"] = exchanges[:1]
        parts["exchanges"] = exchanges
    device = [p for p in run.phases if p.group in DEVICE_GROUPS]
    if device:
        parts["bootstrap + RD"] = device
    parts["all"] = list(run.phases)
    return parts


def energest_rows(run: SetupRun, *, phases: bool = False) -> list[EnergestRow]:
    """Per part (and, with `phases`, per phase after them) and state: energest and tracker mJ. Only
    the states every phase of the run has energest for (none for a run made without it; a run whose
    radio is modelled would have CPU and LPM only)."""
    if not run.phases or any(not p.energest_ns for p in run.phases):
        return []
    states = [s for s in STATE_FIELDS if all(s in p.energest_ns for p in run.phases)]
    note = "" if len(states) == len(STATE_FIELDS) else ENERGEST_NOTE
    groups = energest_parts(run)
    if phases:
        groups |= {f"phase {p.name}": [p] for p in run.phases}
    rows = []
    for part, members in groups.items():
        for state in states:
            fw = sum(p.energest_mj(state) or 0.0 for p in members)
            tracker = sum(p.mj(state) for p in members)
            rows.append(EnergestRow(run.kind, run.seed, part, state, fw, tracker, note))
    return rows


def energest_table(run: SetupRun) -> list[str]:
    """One kind's energest-vs-tracker rows as text (per part), or a line saying there are none."""
    rows = energest_rows(run)
    note = f"  [{rows[0].note}]" if rows and rows[0].note else ""
    if not rows:
        return [f"{run.kind}  (seed {run.seed}): no firmware energest in this run"]
    lines = [f"{run.kind}  (seed {run.seed}){note}",
             f"{'part':<16}{'state':<8}{'energest mJ':>13}{'tracker mJ':>13}{'diff':>11}"]
    for r in rows:
        diff = f"{r.diff_pct:+9.3f} %" if r.diff_pct is not None else "      n/a"
        lines.append(f"{r.part:<16}{state_title(r.state):<8}{r.energest_mj:>13.4f}{r.tracker_mj:>13.4f}{diff:>11}")
    return lines


def phase_order(runs: Iterable[SetupRun]) -> list[str]:
    """Every phase name of the runs once: handshake, hand-off, exchanges, then any other group; within
    a group in the order the runs first show them."""
    runs = list(runs)
    groups = list(GROUP_ORDER) + sorted({p.group for r in runs for p in r.phases} - set(GROUP_ORDER))
    names: list[str] = []
    for g in groups:
        for r in runs:
            names += [p.name for p in r.phases if p.group == g and p.name not in names]
    return names


# ---- text ----

_HEAD = (f"{'phase':<14}{'from':<6}{'CPU mJ':>9}{'LPM mJ':>9}{'TX mJ':>9}{'listen mJ':>10}{'total mJ':>10}"
         f"{'bytes':>7}{'frames':>7}{'frags':>6}{'time ms':>10}  messages")


def _row(name: str, sender: str, mj: Sequence[float], b: float, f: float, fr: float, ms: float,
         messages: str = "") -> str:
    cells = "".join(f"{v:>{w}.3f}" for v, w in zip(mj, (9, 9, 9, 10, 10), strict=True))
    return f"{name:<14}{sender:<6}{cells}{int(b):>7}{int(f):>7}{int(fr):>6}{ms:>10.1f}  {messages}".rstrip()


def run_note(run: SetupRun) -> str:
    """What the reader must know about how a run was measured (params["note"]), or ""."""
    return str(run.params.get("note", ""))


def phase_table(run: SetupRun) -> list[str]:
    """One kind's phases as text lines, one row per phase, then the set-up, exchange and overall totals."""
    note = run_note(run)
    lines = [f"{run.kind}  (seed {run.seed})" + (f"  [{note}]" if note else ""), _HEAD]
    for p in run.phases:
        lines.append(_row(p.name, p.sender, [p.mj(s) for s in STATE_FIELDS] + [p.total_mj], p.bytes,
                          p.frames, p.fragments, p.time_ns / 1e6, ", ".join(p.messages)))
    lines.append("-" * len(_HEAD))
    for part, t in totals(run).items():
        lines.append(_row(part, "", [t[STATE_TITLES[s]] for s in STATE_FIELDS] + [t["total mJ"]],
                          t["bytes"], t["frames"], t["fragments"], t["time ms"]))
    return lines


def text_report(report: EnergyReport) -> str:
    """The whole report as text: parameters, a table per kind, missing kinds, the ratios."""
    p = report.params
    cch = p.get("channel_check_hz")
    lines = [f"Energy of one DTLS session set-up and {p.get('exchanges')} record exchange(s) on the sensor "
             f"(seed {p.get('seed')}, loss {float(p.get('loss', 0.0)) * 100:g} %, radio "
             f"{'always on' if cch is None else f'channel check {cch:g} Hz'}, sessions {p.get('sessions')})",
             ""]
    for r in report.results:
        if r.run is not None:
            lines += phase_table(r.run) + [""]
    for kind, why in report.missing().items():
        lines.append(f"{kind}: NOT MEASURED: {why}")
    if report.missing():
        lines.append("")
    ratios = report.ratios()
    if ratios:
        lines += ["How many times more energy than ESSE (other / ESSE):"]
        runs = report.runs()
        for x in ratios:
            factor = f"{x.factor:8.2f} x" if x.factor is not None else "     n/a (ESSE: 0)"
            note = run_note(runs[x.other])
            lines.append(f"  {x.other:<6}{x.what:<22}{factor}   ({x.other_mj:.3f} mJ vs {x.esse_mj:.3f} mJ)"
                         + (f"  [{note}]" if note else ""))
    elif "esse" in report.runs():
        lines += ["No ratios: no full-handshake kind (psk, ecdhe) was measured."]
    else:
        lines += ["No ratios: ESSE was not measured."]
    for kind, run in report.runs().items():
        device = totals(run).get("bootstrap + RD")
        if device is not None:
            lines.append(f"{kind}: once per device, before any session: bootstrapping and RD registration "
                         f"{device['total mJ']:.3f} mJ ({int(device['frames'])} frames), not in the ratios")
    if report.runs():
        lines += ["", ENERGEST_TITLE, ENERGEST_HOW, ""]
        for run in report.runs().values():
            lines += energest_table(run) + [""]
        if lines[-1] == "":
            lines.pop()
    return "\n".join(lines)


# ---- files ----

CSV_FIELDS = ("kind", "seed", "phase", "group", "sender", "messages", "cpu_mj", "lpm_mj", "tx_mj",
              "listen_mj", "total_mj", "bytes", "frames", "fragments", "time_ms", "note")


def write_json(report: EnergyReport, path: Path) -> None:
    """The report as JSON (EnergyReport.to_json)."""
    path.write_text(json.dumps(report.to_json(), indent=1, sort_keys=True) + "\n")


def read_json(path: Path) -> EnergyReport:
    """A report written by write_json."""
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ReportError(f"{path}: cannot read an energy report: {exc}") from exc
    if not isinstance(data, dict):
        raise ReportError(f"{path}: not an energy report (a JSON object is expected)")
    return EnergyReport.from_json(data)


def write_csv(report: EnergyReport, path: Path) -> None:
    """One row per kind and phase, then the kind's totals (phase "total set-up", ...); missing kinds
    get one row with the reason in `messages`."""
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(CSV_FIELDS)
        for r in report.results:
            if r.run is None:
                w.writerow([r.kind, report.params.get("seed"), "missing", "", "", r.missing] + [""] * 10)
                continue
            for p in r.run.phases:
                w.writerow([r.kind, r.run.seed, p.name, p.group, p.sender, " ".join(p.messages),
                            *(f"{p.mj(s):.6f}" for s in STATE_FIELDS), f"{p.total_mj:.6f}",
                            p.bytes, p.frames, p.fragments, f"{p.time_ns / 1e6:.3f}", run_note(r.run)])
            for part, t in totals(r.run).items():
                w.writerow([r.kind, r.run.seed, f"total {part}", "", "", "",
                            *(f"{t[STATE_TITLES[s]]:.6f}" for s in STATE_FIELDS), f"{t['total mJ']:.6f}",
                            int(t["bytes"]), int(t["frames"]), int(t["fragments"]), f"{t['time ms']:.3f}",
                            run_note(r.run)])


# ---- plots ----

def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend (files only, no display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.hashsalt"] = "esse"  # fixed SVG ids: the same figures give the same file

    return plt


def plot_figure11(report: EnergyReport, stem: Path) -> list[Path]:
    """The paper's Figure 11 for each measured kind: per phase, a group of bars (CPU, LPM, TX, listen)
    in mJ on a log scale. Writes stem.png and stem.svg."""
    runs = report.runs()
    if not runs:
        return []
    plt = pyplot()
    order = phase_order(runs.values())
    fig, axes = plt.subplots(len(runs), 1, figsize=(max(7.0, 0.75 * len(order) + 2), 3.2 * len(runs)),
                             squeeze=False, sharex=True, sharey=True)
    width = 0.2
    for ax, (kind, run) in zip(axes[:, 0], runs.items(), strict=True):
        by_name = {p.name: p for p in run.phases}
        for j, state in enumerate(STATE_FIELDS):
            xs = [i + (j - 1.5) * width for i, name in enumerate(order) if name in by_name]
            ys = [by_name[name].mj(state) for name in order if name in by_name]
            # a log axis has no zero: a state the phase did not use is drawn as nothing
            ax.bar(xs, [y if y > 0 else float("nan") for y in ys], width, label=state_title(state))
        ax.set_yscale("log")
        ax.set_ylabel("mJ")
        note = f" [{run_note(run)}]" if run_note(run) else ""
        ax.set_title(f"{kind}: set-up {setup_mj(run):.2f} mJ, with exchanges {session_mj(run):.2f} mJ{note}",
                     fontsize="medium")
        ax.grid(axis="y", which="major", alpha=0.3)
    axes[0, 0].legend(ncols=4, fontsize="small")
    axes[-1, 0].set_xticks(range(len(order)), order, rotation=30, ha="right")
    fig.suptitle("Energy per phase on the sensor (Figure 11 style)")
    fig.tight_layout()
    return save_figure(fig, plt, stem)


def plot_kinds(report: EnergyReport, stem: Path) -> list[Path]:
    """Per phase, one bar per measured kind: the phase's total mJ, log scale (the kinds side by side).
    Writes stem.png and stem.svg."""
    runs = report.runs()
    if not runs:
        return []
    plt = pyplot()
    order = phase_order(runs.values())
    fig, ax = plt.subplots(figsize=(max(7.0, 0.75 * len(order) + 2), 4.2))
    width = 0.8 / len(runs)
    for j, (kind, run) in enumerate(runs.items()):
        by_name = {p.name: p for p in run.phases}
        xs = [i + (j - (len(runs) - 1) / 2) * width for i, name in enumerate(order) if name in by_name]
        ax.bar(xs, [by_name[name].total_mj or float("nan") for name in order if name in by_name], width,
               label=f"{kind} (set-up {setup_mj(run):.2f} mJ)"
               + (f" [{run_note(run)}]" if run_note(run) else ""))
    ax.set_yscale("log")
    ax.set_ylabel("mJ (all states)")
    ax.set_xticks(range(len(order)), order, rotation=30, ha="right")
    ax.set_title("Energy per phase on the sensor, per kind")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize="small")
    fig.tight_layout()
    return save_figure(fig, plt, stem)


def plot_totals(report: EnergyReport, stem: Path) -> list[Path]:
    """Set-up and exchange energy per kind, stacked by state (linear scale). Writes stem.png/.svg."""
    runs = report.runs()
    if not runs:
        return []
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    labels = [f"{k}{'*' if run_note(r) else ''}\n{part}" for k, r in runs.items()
              for part in ("set-up", "exchanges")]
    bottoms = [0.0] * len(labels)
    for state in STATE_FIELDS:
        ys = [totals(run)[part][STATE_TITLES[state]] for run in runs.values()
              for part in ("set-up", "exchanges")]
        ax.bar(range(len(labels)), ys, 0.6, bottom=bottoms, label=state_title(state))
        bottoms = [b + y for b, y in zip(bottoms, ys, strict=True)]
    ax.set_xticks(range(len(labels)), labels)
    ax.set_ylabel("mJ")
    noted = [f"*{k}: {run_note(r)}" for k, r in runs.items() if run_note(r)]
    ax.set_title("Energy on the sensor per kind" + ("\n" + "; ".join(noted) if noted else ""),
                 fontsize="medium")
    ax.legend(fontsize="small")
    fig.tight_layout()
    return save_figure(fig, plt, stem)


def save_figure(fig: Any, plt: Any, stem: Path) -> list[Path]:
    """Write the figure as stem.png and stem.svg and close it."""
    paths = [stem.with_suffix(".png"), stem.with_suffix(".svg")]
    for p in paths:
        # a fixed date keeps the SVG the same for the same figures
        fig.savefig(p, metadata={"Date": None} if p.suffix == ".svg" else None)
    plt.close(fig)
    return paths


ENERGEST_CSV_FIELDS = ("kind", "seed", "part", "state", "energest_mj", "tracker_mj", "diff_pct", "note")


def write_energest_csv(report: EnergyReport, path: Path) -> None:
    """Firmware energest against the tracker: one row per kind, part (then phase) and state."""
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(ENERGEST_CSV_FIELDS)
        for run in report.runs().values():
            for r in energest_rows(run, phases=True):
                diff = "" if r.diff_pct is None else f"{r.diff_pct:.4f}"
                w.writerow([r.kind, r.seed, r.part, state_title(r.state), f"{r.energest_mj:.6f}",
                            f"{r.tracker_mj:.6f}", diff, r.note])


def write_outputs(report: EnergyReport, out_dir: Path, *, plots: bool = True) -> list[Path]:
    """report.txt, report.json, report.csv, energest.csv and (with plots) figure11, kinds and totals as
    .png and .svg."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.txt").write_text(text_report(report) + "\n")
    write_json(report, out_dir / "report.json")
    write_csv(report, out_dir / "report.csv")
    write_energest_csv(report, out_dir / "energest.csv")
    written = [out_dir / n for n in ("report.txt", "report.json", "report.csv", "energest.csv")]
    if plots:
        written += plot_figure11(report, out_dir / "figure11")
        written += plot_kinds(report, out_dir / "kinds")
        written += plot_totals(report, out_dir / "totals")
    return written
