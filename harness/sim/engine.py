"""The simulation engine: many motes on one microsecond timeline, headless.

Synchronisation (conservative lookahead). All motes advance in lock-step windows
[now, min(next medium event, next paced UART byte, now + quantum, end)]. Before a window the
medium handles every event due at `now` (frames ending, then frames starting) while all motes
stand exactly at `now`, so each radio is asked about its state (channel, listening) at the true
instant. A mote's own transmission is only known when its CPU decides it (e.g. the CC2420 STXON
strobe); the first symbol reaches the air `lookahead` later (12 symbols = 192 µs for the CC2420).
If the decision falls at time d inside a window that began at `now`, the frame starts at
d + lookahead ≥ now + lookahead ≥ now + quantum ≥ window end, provided quantum ≤ lookahead. So
every frame starts at or after the point every other mote has reached: no mote's CPU ever runs
past a radio event it could observe, and no frame is lost or reordered whatever order the motes
are stepped in. The medium enforces this (CausalityError if a radio breaks its lookahead).
It follows that the set of frames on air is constant inside a window, so what a radio hears
(`air_energy`, for CCA/RSSI) is exact at any instant of the window.

Groups (the fast path for emulated motes): motes that name a `group_class` are handed to one
group object that steps them together (in C for the emulated Sky), with windows as long as their
own lookahead argument allows: a mote that sleeps with nothing queued before time e cannot decide
a frame before e, so all may run to min(e) + lookahead (see harness/emulator/csrc/sim_group.h).
Inside the group only the members that can change in a window run; the others catch up when the
medium or the host touches them (lazy stepping, same output).
The group returns at a window end once a member committed a frame or printed a line, so the
frame still starts at or after the point every mote has reached. The engine bounds a group run by
the next medium event, paced UART byte, stop time and MAX_FREE_RUN_US (stop/pacing/progress
latency); with other (ungrouped) motes present also by the quantum. After the run it checks that
no frame starts before the time reached (CausalityError).

Start-up (Cooja's `motedelay_us`): with `motedelay_us` > 0 every mote that can be started late
(`start_at(time_us)`, the emulated Sky) powers on at an offset drawn uniformly from
[0, motedelay_us) by a generator seeded from the simulation seed alone (one draw per mote, ascending
ids), so motes do not all boot at the same instant and the same seed gives the same offsets.

Determinism: motes are stepped in ascending id order, medium events are ordered by (time, sender),
output lines by (time, mote id), and every random draw comes from one `random.Random(seed)`.
Only bytes arriving from outside (serial sockets) depend on wall-clock time.
"""

from __future__ import annotations

import math
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from harness.clock import SimClock
from harness.emulator.resets import ResetEvent
from harness.sim.interfaces import SimMote
from harness.sim.medium import Position, RadioEvent, UDGMMedium, UDGMParams

DEFAULT_QUANTUM_US = 192
MAX_FREE_RUN_US = 10_000  # longest group run between two returns to the engine loop
STOP_GRACE_US = MAX_FREE_RUN_US  # a run that stops on an event ends this long after it (see _ending)
UART_BYTE_US = 87  # 115200 baud 8N1 (10 bits = 86.8 µs): pacing of bytes queued to a mote's UART RX


@dataclass(frozen=True)
class MoteLine:
    """One line of a mote's UART1 output, stamped with the time its newline was sent."""

    time_us: int
    mote_id: int
    text: str


class StopCondition(Protocol):
    """A condition that ends a run: sees every mote line and radio event."""

    def on_line(self, line: MoteLine) -> None:
        """See a line of mote output."""

    def on_radio(self, ev: RadioEvent) -> None:
        """See a radio event."""

    @property
    def satisfied(self) -> bool:
        """Whether the run may stop."""

    @property
    def satisfied_at_us(self) -> int | None:
        """Simulated time of the line or radio event that satisfied the condition (None: not
        satisfied, or a condition on state rather than on an event: the run stops at a window end)."""

    def describe(self) -> str:
        """The condition in words, for logs and errors."""


@dataclass
class OutputMatch:
    """Satisfied when `regex` matched a line of output of one of `motes` (any mote if None), or, with
    `require_all`, of every mote in `motes`."""

    regex: str
    motes: frozenset[int] | None = None
    require_all: bool = False
    matched: set[int] = field(default_factory=set)
    satisfied_at_us: int | None = None

    def __post_init__(self) -> None:
        try:
            self._re = re.compile(self.regex)
        except re.error as exc:
            raise ValueError(f"bad success regex {self.regex!r}: {exc}") from exc
        if self.require_all and not self.motes:
            raise ValueError("require_all needs the set of motes")

    def on_line(self, line: MoteLine) -> None:
        """Record the mote if the line matches."""
        if self.motes is not None and line.mote_id not in self.motes:
            return
        if self._re.search(line.text):
            self.matched.add(line.mote_id)
            if self.satisfied_at_us is None and self.satisfied:
                self.satisfied_at_us = line.time_us

    def on_radio(self, ev: RadioEvent) -> None:
        """Radio events do not count for an output match."""

    @property
    def satisfied(self) -> bool:
        """Whether the regex matched on one mote (or, with require_all, on all of them)."""
        if self.require_all:
            return self.motes is not None and self.motes <= self.matched
        return bool(self.matched)

    def describe(self) -> str:
        """The regex and the motes it must match on."""
        who = "all of motes " if self.require_all else "a mote among "
        scope = "any mote" if self.motes is None else who + ",".join(map(str, sorted(self.motes)))
        return f"/{self.regex}/ on {scope}"


@dataclass
class EventCount:
    """Satisfied after `count` events of `kind`: a radio event kind ("tx", "rx", "rx_corrupt", ...) or
    "line" (output lines, optionally only those matching `regex`)."""

    kind: str
    count: int
    regex: str | None = None
    seen: int = 0
    satisfied_at_us: int | None = None

    def on_line(self, line: MoteLine) -> None:
        """Count the line if lines are counted and it matches."""
        if self.kind == "line" and (self.regex is None or re.search(self.regex, line.text)):
            self._count(line.time_us)

    def on_radio(self, ev: RadioEvent) -> None:
        """Count the event if it is of the counted kind."""
        if ev.kind == self.kind:
            self._count(ev.time_us)

    def _count(self, time_us: int) -> None:
        self.seen += 1
        if self.seen == self.count:
            self.satisfied_at_us = time_us

    @property
    def satisfied(self) -> bool:
        """Whether `count` events were seen."""
        return self.seen >= self.count

    def describe(self) -> str:
        """How many events of which kind."""
        return f"{self.count} × {self.kind}" + (f" /{self.regex}/" if self.regex else "")


@dataclass(frozen=True)
class RunResult:
    """Why a run ended and the simulated time it ended at."""
    reason: str  # "time" | "condition" | "stopped" | "reset" (stop_on_reset)
    end_us: int


class MoteGroup(Protocol):
    """Motes stepped together (see the module docstring); built by `group_class(motes)`."""

    def run_until(self, now_us: int, limit_us: int) -> int:
        """Advance every member from now_us towards limit_us; return the time reached (> now_us,
        <= limit_us), earlier than the limit only right after a member committed a frame to the
        air or sent a line on its UART. Frames decided during the call start at or after it."""
        ...

    def uart_members(self) -> Sequence[SimMote]:
        """Members that have UART bytes waiting (the others need no drain_uart_tx call)."""
        ...


class _Uart:
    """Per-mote UART bookkeeping: line assembly for TX, paced queue for RX."""

    def __init__(self) -> None:
        self.partial = bytearray()
        self.rx_queue: deque[int] = deque()
        self.rx_next_us = 0


def start_offsets(motes: Sequence[SimMote], seed: int, motedelay_us: int) -> dict[int, int]:
    """Power-on time of every mote that can start late, drawn from [0, motedelay_us) (see above)."""
    if motedelay_us <= 0:
        return {}
    rng = random.Random(f"motedelay/{seed}")  # its own stream: the medium's draws stay as they were
    offsets: dict[int, int] = {}
    for m in sorted(motes, key=lambda m: m.mote_id):
        offset = rng.randrange(motedelay_us)
        start_at = getattr(m, "start_at", None)
        if start_at is not None:
            start_at(offset)
            offsets[m.mote_id] = offset
    return offsets


class Engine:
    """The discrete-event simulation: motes, the radio medium and UARTs on one simulated clock."""

    def __init__(
        self,
        motes: Sequence[SimMote],
        positions: dict[int, Position] | None = None,
        params: UDGMParams | None = None,
        seed: int = 0,
        quantum_us: int | None = None,
        group: bool = True,
        motedelay_us: int = 0,
    ) -> None:
        """`group=False` steps every mote on its own in quantum windows (the reference behaviour
        the group fast path must reproduce exactly). `motedelay_us`: start-up offsets (see above)."""
        if not motes:
            raise ValueError("a simulation needs at least one mote")
        ids = [m.mote_id for m in motes]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate mote ids: {sorted(ids)}")
        self.motes = sorted(motes, key=lambda m: m.mote_id)
        self.by_id = {m.mote_id: m for m in self.motes}
        lookahead = min(m.lookahead_us for m in self.motes)
        if quantum_us is None:
            quantum_us = min(DEFAULT_QUANTUM_US, lookahead)
        if not 1 <= quantum_us <= lookahead:
            raise ValueError(
                f"quantum {quantum_us} µs must be within 1..{lookahead} µs (the smallest mote lookahead)"
            )
        self.quantum_us = quantum_us
        self.seed = seed
        self.rng = random.Random(seed)
        if motedelay_us < 0:
            raise ValueError(f"motedelay_us must be >= 0, not {motedelay_us}")
        self.start_offsets_us = start_offsets(self.motes, seed, motedelay_us)
        self.medium = UDGMMedium(params or UDGMParams(), self.rng)
        positions = positions or {}
        for m in self.motes:
            if m.radio is not None:
                self.medium.add_radio(m.mote_id, positions.get(m.mote_id, (0.0, 0.0, 0.0)), m.radio)
        self.group, self._solo = self._make_group() if group else (None, list(self.motes))
        self.now_us = 0
        # host-side peers (SSM delegator, DTLS endpoints) scheduled on simulated time, in seconds
        self.clock = SimClock()
        self._clock_due: float | None = None  # its next callback, as of the current window
        self._uarts = {m.mote_id: _Uart() for m in self.motes}
        self._uart_lock = threading.Lock()
        self._rx_waiting: set[int] = set()  # motes with queued UART RX bytes (under _uart_lock)
        self._stop = threading.Event()
        self._line_listeners: list[Callable[[MoteLine], None]] = []
        self._uart_tx_listeners: dict[int, list[Callable[[bytes], None]]] = {}
        self._step_listeners: list[Callable[[int], None]] = []
        self._conditions: list[StopCondition] = []
        self._hearing = False  # _on_radio is a medium listener only while a condition is set (run)
        # resets (watchdog, key violations, ...) of motes that report them (`take_resets`): logged,
        # counted, and with stop_on_reset the end of the run
        self.resets: list[ResetEvent] = []
        self.stop_on_reset = False
        self._reset_listeners: list[Callable[[ResetEvent], None]] = []
        self._reset_sources: list = [x for x in [self.group, *self._solo] if hasattr(x, "take_resets")]

    def _make_group(self) -> tuple[MoteGroup | None, list[SimMote]]:
        """One group for the motes of the first group class found (ascending ids); the rest run
        one by one in quantum windows."""
        classes = [getattr(m, "group_class", None) for m in self.motes]
        cls = next((c for c in classes if c is not None), None)
        if cls is None:
            return None, list(self.motes)
        members = [m for m, c in zip(self.motes, classes, strict=True) if c is cls]
        solo = [m for m, c in zip(self.motes, classes, strict=True) if c is not cls]
        return cls(members), solo

    # ---- wiring ----
    def add_line_listener(self, fn: Callable[[MoteLine], None]) -> None:
        """Call `fn` with every line of mote output."""
        self._line_listeners.append(fn)

    def add_radio_listener(self, fn: Callable[[RadioEvent], None]) -> None:
        """Call `fn` with every radio event of the medium."""
        self.medium.add_listener(fn)

    def add_step_listener(self, fn: Callable[[int], None]) -> None:
        """fn(now_us) after every window of `run` (e.g. to drain per-mote traces)."""
        self._step_listeners.append(fn)

    def add_reset_listener(self, fn: Callable[[ResetEvent], None]) -> None:
        """fn(ResetEvent) for every reset of a mote, in (time, mote id) order per window."""
        self._reset_listeners.append(fn)

    def add_uart_tx_listener(self, mote_id: int, fn: Callable[[bytes], None]) -> None:
        """Call `fn` with the bytes the mote sends on UART1."""
        self._check_id(mote_id)
        self._uart_tx_listeners.setdefault(mote_id, []).append(fn)

    def queue_uart_rx(self, mote_id: int, data: bytes) -> None:
        """Queue bytes for a mote's UART RX (thread-safe); delivered one per byte time."""
        self._check_id(mote_id)
        with self._uart_lock:
            u = self._uarts[mote_id]
            if not u.rx_queue:
                u.rx_next_us = max(u.rx_next_us, self.now_us)
            u.rx_queue.extend(data)
            if u.rx_queue:
                self._rx_waiting.add(mote_id)

    def stop(self) -> None:
        """Ask a running `run` to return at the next window boundary (thread-safe)."""
        self._stop.set()

    def power(self) -> dict[int, dict[str, int]]:
        """{mote id: {mode: time in µs}} of every mote so far."""
        return {m.mote_id: dict(m.power()) for m in self.motes}

    def _check_id(self, mote_id: int) -> None:
        if mote_id not in self.by_id:
            raise KeyError(f"no mote with id {mote_id}")

    # ---- running ----
    def run(
        self,
        until_us: int | None = None,
        conditions: Iterable[StopCondition] = (),
        speed: float | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> RunResult:
        """Run until simulated time `until_us`, until any condition is satisfied (the run then ends
        STOP_GRACE_US after the line or radio event that satisfied it, see _ending), or until `stop()`
        (with neither an end time nor a condition it runs until stopped, e.g. a serial-socket session).
        `speed` paces the run against the wall clock (1.0 = real time; None = as fast as possible)."""
        if speed is not None and speed <= 0:
            raise ValueError("speed must be positive")
        self._conditions = list(conditions)
        if bool(self._conditions) != self._hearing:  # radio events are only built for a listener
            if self._conditions:
                self.medium.add_listener(self._on_radio, first=True)
            else:
                self.medium.remove_listener(self._on_radio)
            self._hearing = bool(self._conditions)
        self._stop.clear()
        wall0, sim0 = time.monotonic(), self.now_us
        last_progress = wall0
        reason = "stopped"
        limit = until_us  # where the run ends: until_us, or earlier once a condition or a reset ends it
        ended = False
        while True:
            self._handle_due_events()
            if self._stop.is_set():
                reason = "stopped"
                break
            if not ended:
                ending = self._ending()
                if ending is not None:
                    ended, (reason, at) = True, ending
                    limit = at if limit is None else min(limit, at)
            if limit is not None and self.now_us >= limit:
                reason = reason if ended else "time"
                break
            target = self._window_end(limit)
            if self.group is not None:
                self.medium.horizon_us = self.now_us  # the group checks its own windows
                target = self.group.run_until(self.now_us, target)
                self.medium.check_horizon(target)
            self.medium.horizon_us = target
            for m in self._solo:
                m.run_until(target)
            self.now_us = target
            self._collect_uart_tx()
            if self._clock_due is not None and self._clock_due * 1e6 <= self.now_us:
                self.clock.advance_to(self.now_us / 1e6)
            if self._reset_sources:
                self._collect_resets()
            for fn in self._step_listeners:
                fn(self.now_us)
            if speed is not None:
                ahead = (self.now_us - sim0) / 1e6 / speed - (time.monotonic() - wall0)
                if ahead > 0.002:
                    time.sleep(ahead)
            if progress is not None:
                now = time.monotonic()
                if now - last_progress >= 0.2:
                    last_progress = now
                    progress(self.now_us)
        self.medium.horizon_us = self.now_us
        self.clock.advance_to(self.now_us / 1e6)  # in step for host code between runs
        return RunResult(reason, self.now_us)

    def _ending(self) -> tuple[str, int] | None:
        """(reason, end time) once a condition is satisfied or, with stop_on_reset, a mote reset.
        A run ends STOP_GRACE_US after the event that ended it: every window is at most that long,
        so the motes have not run past that time, however they were stepped. The end time, and with
        it every output, is then the same for group and lock-step runs (a debugged mote runs outside
        the group). A condition on state (no satisfied_at_us) ends the run at the current window end."""
        grace = max(STOP_GRACE_US, self.quantum_us)
        for c in self._conditions:
            if c.satisfied:
                at = c.satisfied_at_us
                return "condition", self.now_us if at is None else max(self.now_us, at + grace)
        if self.stop_on_reset and self.resets:
            return "reset", max(self.now_us, self.resets[0].time_us + grace)
        return None

    def _handle_due_events(self) -> None:
        now = self.now_us
        self.medium.horizon_us = now
        while True:
            self._deliver_uart_rx(now)
            nxt = self.medium.next_event_us()
            if nxt is None or nxt > now:
                break
            self.medium.process(now)
            self._collect_uart_tx()

    def _window_end(self, until_us: int | None) -> int:
        free_run = self.group is not None and not self._solo
        target = self.now_us + (MAX_FREE_RUN_US if free_run else self.quantum_us)
        nxt = self.medium.next_event_us()
        if nxt is not None:
            target = min(target, nxt)
        if self._rx_waiting:  # unlocked peek, as in _deliver_uart_rx: no lock taken per window
            with self._uart_lock:
                for mid in self._rx_waiting:
                    target = min(target, max(self._uarts[mid].rx_next_us, self.now_us + 1))
        due = self._clock_due = self.clock.next_due()
        if due is not None:  # end the window where a host callback is due
            target = min(target, math.ceil(due * 1e6))
        if until_us is not None:
            target = min(target, until_us)
        return max(target, self.now_us + 1)

    def _deliver_uart_rx(self, now: int) -> None:
        if not self._rx_waiting:  # unlocked peek: a byte queued meanwhile waits for the next window
            return
        due: list[tuple[SimMote, int]] = []
        with self._uart_lock:
            for mid in sorted(self._rx_waiting):
                u = self._uarts[mid]
                if u.rx_next_us > now:
                    continue
                due.append((self.by_id[mid], u.rx_queue.popleft()))
                u.rx_next_us = now + UART_BYTE_US
                if not u.rx_queue:
                    self._rx_waiting.discard(mid)
        for m, byte in due:
            m.uart_rx(bytes([byte]))

    def _collect_uart_tx(self) -> None:
        motes: Sequence[SimMote] = self.motes
        if self.group is not None:
            waiting = self.group.uart_members()
            if not waiting and not self._solo:  # the usual window: no member printed anything
                return
            motes = sorted([*self._solo, *waiting], key=lambda m: m.mote_id)
        lines: list[MoteLine] = []
        for m in motes:
            sent = m.drain_uart_tx()
            if not sent:
                continue
            for send in self._uart_tx_listeners.get(m.mote_id, ()):
                send(bytes(b for _, b in sent))
            u = self._uarts[m.mote_id]
            for t, b in sent:
                if b == 0x0A:
                    text = u.partial.decode("utf-8", errors="replace").rstrip("\r")
                    lines.append(MoteLine(t, m.mote_id, text))
                    u.partial.clear()
                else:
                    u.partial.append(b)
        lines.sort(key=lambda ln: (ln.time_us, ln.mote_id))
        for ln in lines:
            for c in self._conditions:
                c.on_line(ln)
            for fn in self._line_listeners:
                fn(ln)

    def _collect_resets(self) -> None:
        new: list[ResetEvent] = []
        for src in self._reset_sources:
            got = src.take_resets()
            if got:
                new += got
        if not new:  # the usual window: no reset
            return
        new.sort(key=lambda ev: (ev.time_us, ev.mote_id))
        self.resets += new
        for ev in new:
            for fn in self._reset_listeners:
                fn(ev)

    def _on_radio(self, ev: RadioEvent) -> None:
        for c in self._conditions:
            c.on_radio(ev)
