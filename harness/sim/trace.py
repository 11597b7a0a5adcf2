"""VCD traces of emulated motes in a simulation (`esse sim run SCENARIO --vcd DIR` or `--vcd MOTE=FILE`).

`--vcd DIR` writes DIR/mote<ID>.vcd for every emulated Sky mote; `--vcd ID=FILE` (repeatable) one file
for that mote (it wins over DIR for that mote). Time in every file is the simulation's (ns): a mote
held back by the start-up delay shows its held stretch as CPU mode lpm4, then its power-on reset.
Recording changes nothing simulated: same seed, same logs. Format and signals: harness/emulator/vcd.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from harness.emulator.mote import Mote
from harness.emulator.vcd import MoteTrace
from harness.sim.interfaces import SimMote

_PER_MOTE = re.compile(r"^(\d+)=(.+)$")


def parse_vcd_specs(specs: Sequence[str]) -> tuple[Path | None, dict[int, Path]]:
    """['DIR' | 'ID=FILE', ...] -> (directory or None, {mote id: file})."""
    directory: Path | None = None
    files: dict[int, Path] = {}
    for spec in specs:
        m = _PER_MOTE.match(spec)
        if m:
            mote_id = int(m.group(1))
            if mote_id in files:
                raise ValueError(f"--vcd {spec!r}: mote {mote_id} is named twice")
            files[mote_id] = Path(m.group(2))
        elif not spec or re.match(r"^\d+=", spec):
            raise ValueError(f"bad --vcd {spec!r}: want DIR or MOTE=FILE (e.g. 1=mote1.vcd)")
        else:
            if directory is not None:
                raise ValueError(f"--vcd {spec!r}: one directory only (already {str(directory)!r})")
            directory = Path(spec)
    return directory, files


def _emulated(mote: SimMote) -> Mote | None:
    inner = getattr(mote, "mote", None)
    return inner if isinstance(inner, Mote) else None


def trace_motes(motes: Sequence[SimMote], specs: Sequence[str]) -> list[MoteTrace]:
    """Start a trace on each mote `specs` names (see the module doc); close them after the run."""
    directory, files = parse_vcd_specs(specs)
    by_id = {m.mote_id: m for m in motes}
    for mote_id in files:
        if mote_id not in by_id:
            known = ", ".join(map(str, sorted(by_id)))
            raise ValueError(f"--vcd {mote_id}=...: no mote {mote_id} (motes: {known})")
        if _emulated(by_id[mote_id]) is None:
            raise ValueError(f"--vcd {mote_id}=...: mote {mote_id} is not an emulated Sky mote")
    wanted: dict[int, Path] = {}
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        wanted = {m.mote_id: directory / f"mote{m.mote_id}.vcd" for m in motes if _emulated(m) is not None}
    wanted.update(files)
    traces: list[MoteTrace] = []
    try:
        for mote_id, path in sorted(wanted.items()):
            inner = _emulated(by_id[mote_id])
            assert inner is not None
            traces.append(MoteTrace(inner, path, scope=f"mote{mote_id}"))
    except BaseException:
        close_traces(traces)
        raise
    return traces


def close_traces(traces: Sequence[MoteTrace]) -> list[str]:
    """Close every trace (drain, end at the mote's present); the problems met, one line each."""
    problems = []
    for t in traces:
        try:
            t.close()
        except (OSError, RuntimeError) as exc:
            problems.append(f"{t.path}: {exc}")
    return problems
