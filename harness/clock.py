"""Time for host-side peers (SSM delegator, host DTLS endpoints): the wall clock on the asyncio loop, or
simulated time that its owner (the simulation engine, a test) advances.

    clock = WallClock()                       # now(): epoch seconds; callbacks on the asyncio loop
    clock = SimClock(start=0.0)               # now() moves only through advance_to()/advance()
    handle = clock.call_at(clock.now() + 0.5, callback)
    handle.cancel()
    clock.advance_to(2.0)                     # SimClock: runs due callbacks in time order

Callbacks due at the same time run in the order they were scheduled (deterministic ties).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable


@runtime_checkable
class Handle(Protocol):
    """A scheduled callback that can be cancelled before it runs."""

    def cancel(self) -> None:
        """Do not run the callback (no effect once it ran)."""


@runtime_checkable
class Clock(Protocol):
    """Seconds on some time line, and callbacks at points of it."""

    def now(self) -> float:
        """Current time in seconds."""

    def call_at(self, when: float, callback: Callable[[], object]) -> Handle:
        """Run callback() once the clock reaches `when` (at once, in turn, if `when` has passed)."""


class WallClock:
    """Real time: seconds since the epoch (so stored timestamps survive a restart); callbacks run on
    the running asyncio loop, after the delay `when - now()`."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._loop = loop

    def _get_loop(self) -> asyncio.AbstractEventLoop:
        return self._loop if self._loop is not None else asyncio.get_running_loop()

    def now(self) -> float:
        """time.time()."""
        return time.time()

    def call_at(self, when: float, callback: Callable[[], object]) -> Handle:
        """loop.call_later with the time left until `when`: an asyncio.TimerHandle."""
        return self._get_loop().call_later(max(0.0, when - time.time()), callback)


class SimHandle:
    """A callback scheduled on a SimClock."""

    __slots__ = ("when", "callback", "cancelled")

    def __init__(self, when: float, callback: Callable[[], object]) -> None:
        self.when = when
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        """Do not run the callback."""
        self.cancelled = True


class SimClock:
    """Simulated time: stands still until advance_to(t) moves it, running every callback due by t in
    time order (ties in scheduling order); callbacks may schedule more, which run if due by t too."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = float(start)
        self._queue: list[tuple[float, int, SimHandle]] = []
        self._seq = itertools.count()

    def now(self) -> float:
        """Current simulated time in seconds."""
        return self._now

    def call_at(self, when: float, callback: Callable[[], object]) -> SimHandle:
        """Schedule callback() at simulated time `when` (a time already passed runs at the next advance)."""
        handle = SimHandle(max(float(when), self._now), callback)
        heapq.heappush(self._queue, (handle.when, next(self._seq), handle))
        return handle

    def next_due(self) -> float | None:
        """Time of the earliest pending callback, or None."""
        queue = self._queue
        if not queue:  # the common case in a simulation window: keep it cheap
            return None
        while queue and queue[0][2].cancelled:
            heapq.heappop(queue)
        return queue[0][0] if queue else None

    def advance_to(self, t: float) -> int:
        """Move time to t (never backwards), running the callbacks due; returns how many ran."""
        if t < self._now:
            raise ValueError(f"simulated time runs forward: {t} is before now ({self._now})")
        if not self._queue or self._queue[0][0] > t:  # nothing due: the simulation engine's every window
            self._now = float(t)
            return 0
        ran = 0
        while True:
            due = self.next_due()
            if due is None or due > t:
                break
            _, _, handle = heapq.heappop(self._queue)
            self._now = handle.when
            handle.cancelled = True  # a handle runs once
            handle.callback()
            ran += 1
        self._now = float(t)
        return ran

    def advance(self, seconds: float) -> int:
        """advance_to(now() + seconds)."""
        return self.advance_to(self._now + seconds)
