"""Firmware energest reports (firmware/sys/energest.h, docs/energy.md) turned into energy.

A mote prints one line per report, cumulative counters since power-on:

    EG1 <node> <seq> <hz> <now> <cpu_t> <cpu_f> <tx_t> <tx_f> <rx_t> <rx_f>
        <ledr_t> <ledr_f> <ledg_t> <ledg_f> <ledb_t> <ledb_f> <uart_bytes>

every field hexadecimal: `now` and every `*_t` in ACLK ticks (32 768 Hz), every `*_f` in SMCLK counts
at `hz`. A state's time is t / 32768 + f / hz; LPM time is the elapsed time minus CPU time. Counters
are 32-bit and wrap: an interval is the difference of two consecutive reports modulo 2**32.

`parse_line` finds the report in a line from our emulator's serial output, from a real mote's console,
or from Cooja's mote output (`<time>\\t<ID:n>\\t<text>`); `EnergestMonitor.feed_line` turns consecutive
reports of each node into `IntervalEnergy` with the currents of harness.energy.model.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from harness.energy.model import energy_mj

TAG = "EG1"
ACLK_HZ = 32768
UART_BAUD = 115200
UART_BITS_PER_BYTE = 10  # start + 8 data + stop
COUNTED = ("CPU", "TX", "RX", "LED_RED", "LED_GREEN", "LED_BLUE")  # the firmware's states, in order
STATES = ("CPU", "LPM", "TX", "RX", "LED_RED", "LED_GREEN", "LED_BLUE", "UART_TX")
MODEL_STATES = ("CPU", "LPM", "TX", "RX")  # the states harness.energy.model has currents for
_FIELDS = 4 + 2 * len(COUNTED) + 1
_WRAP = 1 << 32


class EnergestFormatError(ValueError):
    """A line carries the energest tag but not a well-formed report."""


@dataclass(frozen=True)
class EnergestSample:
    """One report: cumulative counters since power-on (modulo 2**32)."""

    node: int
    seq: int
    hz: int  # SMCLK (fine counter) frequency
    now: int  # ACLK ticks since power-on
    ticks: tuple[int, ...]  # per COUNTED state
    fine: tuple[int, ...]  # per COUNTED state
    uart_bytes: int

    @property
    def time_s(self) -> float:
        """Seconds since power-on."""
        return self.now / ACLK_HZ


def parse_line(line: str) -> EnergestSample | None:
    """The report in `line`, None when it has none; EnergestFormatError for a damaged report."""
    at = line.find(TAG + " ")
    if at < 0:
        return None
    words = line[at:].split()
    if len(words) != _FIELDS + 1 or words[0] != TAG:
        raise EnergestFormatError(
            f"energest line has {len(words) - 1} fields after {TAG}, expected {_FIELDS}: {line.strip()!r}"
        )
    try:
        v = [int(w, 16) for w in words[1:]]
    except ValueError:
        raise EnergestFormatError(f"energest line has a non-hexadecimal field: {line.strip()!r}") from None
    node, seq, hz, now = v[:4]
    if hz == 0:
        raise EnergestFormatError(f"energest line with a zero SMCLK frequency: {line.strip()!r}")
    counters = v[4:-1]
    return EnergestSample(node, seq, hz, now, tuple(counters[0::2]), tuple(counters[1::2]), v[-1])


@dataclass(frozen=True)
class IntervalEnergy:
    """Time and energy per state of one node between two reports (or from power-on to report 0),
    and the totals since power-on."""

    node: int
    seq: int
    start_s: float
    end_s: float
    seconds: dict[str, float]
    total_seconds: dict[str, float]

    @property
    def mj(self) -> dict[str, float]:
        """Energy per model state (CPU, LPM, TX, RX) in this interval, millijoules."""
        return {s: energy_mj(s, self.seconds[s] * 1e6) for s in MODEL_STATES}

    @property
    def total_mj(self) -> dict[str, float]:
        """Energy per model state since power-on, millijoules."""
        return {s: energy_mj(s, self.total_seconds[s] * 1e6) for s in MODEL_STATES}

    def __str__(self) -> str:
        mj, total = self.mj, self.total_mj
        parts = " ".join(f"{s} {mj[s]:.3f}" for s in MODEL_STATES)
        return (
            f"node {self.node} #{self.seq} {self.start_s:.3f}-{self.end_s:.3f} s: {parts} "
            f"= {sum(mj.values()):.3f} mJ (radio duty {self.radio_duty * 100:.2f} %); "
            f"since power-on {sum(total.values()):.3f} mJ"
        )

    @property
    def radio_duty(self) -> float:
        """Share of the interval the radio was on (TX or RX)."""
        span = self.end_s - self.start_s
        return (self.seconds["TX"] + self.seconds["RX"]) / span if span > 0 else 0.0


def _state_seconds(
    ticks: Iterable[int], fine: Iterable[int], now: int, hz: int, uart: int
) -> dict[str, float]:
    out = {s: t / ACLK_HZ + f / hz for s, t, f in zip(COUNTED, ticks, fine, strict=True)}
    out["LPM"] = now / ACLK_HZ - out["CPU"]
    out["UART_TX"] = uart * UART_BITS_PER_BYTE / UART_BAUD
    return {s: out[s] for s in STATES}


def _delta(a: int, b: int) -> int:
    return (b - a) % _WRAP


def _signed(v: int) -> int:
    """A fine counter may go down by the driver's moves (acknowledgements): modulo 2**32, signed."""
    return v - _WRAP if v >= _WRAP // 2 else v


def interval_seconds(a: EnergestSample, b: EnergestSample) -> dict[str, float]:
    """Seconds per state (STATES) between two samples of one node, the later `b` (counters modulo 2**32)."""
    return _state_seconds(
        [_delta(x, y) for x, y in zip(a.ticks, b.ticks, strict=True)],
        [_signed(_delta(x, y)) for x, y in zip(a.fine, b.fine, strict=True)],
        _delta(a.now, b.now),
        b.hz,
        _delta(a.uart_bytes, b.uart_bytes),
    )


def interval_ns(a: EnergestSample, b: EnergestSample) -> dict[str, int]:
    """Nanoseconds per model state (CPU, LPM, TX, RX) between two samples, rounded."""
    seconds = interval_seconds(a, b)
    return {s: round(seconds[s] * 1e9) for s in MODEL_STATES}


@dataclass
class _Node:
    last: EnergestSample
    totals: dict[str, float]


@dataclass
class EnergestMonitor:
    """Feed it lines (any mix of nodes); it returns the energy of each interval a report closes."""

    nodes: dict[int, _Node] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def feed_line(self, line: str) -> IntervalEnergy | None:
        """The interval `line` closes, if it is an energest report that follows an earlier one of
        its node (or report 0: the boot, from power-on); damaged reports land in `errors`."""
        try:
            s = parse_line(line)
        except EnergestFormatError as exc:
            self.errors.append(str(exc))
            return None
        if s is None:
            return None
        prev = self.nodes.get(s.node)
        if s.seq == 0 or (prev is not None and s.seq <= prev.last.seq):
            prev = None  # a reboot: counters start again at power-on
        if prev is None:
            # counters are cumulative since power-on: the first report gives the totals so far
            seconds = _state_seconds(s.ticks, s.fine, s.now, s.hz, s.uart_bytes)
            self.nodes[s.node] = _Node(s, dict(seconds))
            if s.seq != 0:
                return None  # joined mid-run: a baseline only
            return IntervalEnergy(s.node, s.seq, 0.0, s.time_s, seconds, dict(seconds))
        a = prev.last
        seconds = interval_seconds(a, s)
        totals = {k: prev.totals[k] + v for k, v in seconds.items()}
        self.nodes[s.node] = _Node(s, totals)
        start = a.time_s
        end = start + _delta(a.now, s.now) / ACLK_HZ
        return IntervalEnergy(s.node, s.seq, start, end, seconds, dict(totals))


def log_lines(data: bytes | str) -> Iterator[str]:
    """Text lines of a serial log: SLIP frame delimiters (0xC0) split lines too, so a report a
    SLIP mote (ccs_serial) frames on its own comes out as a line."""
    text = data.decode("latin-1") if isinstance(data, bytes) else data
    for chunk in text.replace("\xc0", "\n").splitlines():
        if chunk.strip():
            yield chunk


def intervals_from_log(data: bytes | str) -> tuple[list[IntervalEnergy], list[str]]:
    """Every interval in a log (our emulator's UART1, a console capture or Cooja's mote output),
    and the damaged reports."""
    mon = EnergestMonitor()
    out = [iv for line in log_lines(data) if (iv := mon.feed_line(line)) is not None]
    return out, mon.errors


def report_logs(logs: list[Path]) -> int:
    """Print every interval of every node in the logs; 1 when a log is unreadable or has none."""
    status = 0
    for path in logs:
        try:
            data = path.read_bytes()
        except OSError as exc:
            print(f"esse energest: cannot read {path}: {exc.strerror}", file=sys.stderr)
            status = 1
            continue
        intervals, errors = intervals_from_log(data)
        for iv in intervals:
            print(iv)
        for err in errors:
            print(f"esse energest: {path}: {err}", file=sys.stderr)
        if not intervals:
            print(f"esse energest: {path}: no energest reports ({TAG} lines)", file=sys.stderr)
            status = 1
    return status


def add_cli(sub: argparse._SubParsersAction) -> None:
    """`esse energest LOG...`: energy per state and interval from firmware energest reports."""
    p = sub.add_parser("energest", help="energy per state and interval from the energest lines of a log")
    p.add_argument("logs", nargs="+", type=Path, metavar="LOG")
    p.set_defaults(func=lambda a: report_logs(a.logs))


def main(argv: list[str] | None = None) -> int:
    """`python -m harness.energy.energest LOG...` (the same as `esse energest`)."""
    ap = argparse.ArgumentParser(prog="energest", description=report_logs.__doc__)
    ap.add_argument("logs", nargs="+", type=Path, metavar="LOG")
    return report_logs(ap.parse_args(argv).logs)


if __name__ == "__main__":
    sys.exit(main())
