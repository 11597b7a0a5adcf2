"""Resets of an emulated mote, by cause (the C core counts them: csrc/mote.h `mote_reset_cause`).

Nothing resets silently: `esse run` and `esse sim run` report every PUC (and stop on one with
`--fail-on-reset`); the simulation logs them as events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# index = enum mote_reset_cause
RESET_CAUSES = ("power-on", "watchdog", "watchdog password", "flash key", "reset vector", "puc")
POR = 0


@dataclass(frozen=True)
class ResetEvent:
    """A reset of one mote: when (µs of simulated time, or cycles for a lone mote), which, why."""

    time_us: int
    mote_id: int
    cause: str

    def __str__(self) -> str:
        return f"mote {self.mote_id} reset ({self.cause}) at {self.time_us} µs"


def reset_counts(mote_ptr: Any) -> dict[str, int]:
    """Resets so far by cause name (power-on included) of a C mote (`Mote.ptr`)."""
    return {name: int(mote_ptr.reset_count[i]) for i, name in enumerate(RESET_CAUSES)}


def puc_count(mote_ptr: Any) -> int:
    """PUCs so far (every reset but power-on)."""
    return sum(int(mote_ptr.reset_count[i]) for i in range(1, len(RESET_CAUSES)))


def last_cause(mote_ptr: Any) -> str:
    """The cause of the latest reset."""
    c = int(mote_ptr.last_reset_cause)
    return RESET_CAUSES[c] if 0 <= c < len(RESET_CAUSES) else f"cause {c}"
