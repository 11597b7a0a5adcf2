"""The mote interface every kind of target implements (labgrid's Protocol layer).

A *Resource* says what exists (a firmware image for the emulator, a serial port with a TelosB on it);
a *Driver* knows how to talk to it and implements one or more of the small protocols below. Code that
uses a mote asks only for the protocol it needs:

    Console     read_serial() / write_serial(data)            UART1 bytes out of / into the mote
    Target      Console + node_id + reset()                   every mote: emulated, simulated, scripted,
                                                              host-built, real (TelosB over USB serial)
    Loadable    load(elf)                                     the firmware can be replaced
    Simulated   run_for(seconds) / time_ns                    time only moves when asked (emulator, sim)
    PowerReadout power() -> {CPU, LPM, TX, RX: µs}            where the target tracks its modes

The protocols are structural (typing.Protocol): a driver implements them by having the methods, it
never imports this module. `isinstance(x, Target)` checks the method names only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from harness.emulator.errors import SerialOverflow

__all__ = ["Console", "Loadable", "PowerReadout", "SerialOverflow", "Simulated", "SimulatedMote", "Target"]


@runtime_checkable
class Console(Protocol):
    """UART1 of a mote, as raw bytes both ways."""

    def read_serial(self) -> bytes:
        """UART1 bytes the mote sent since the previous call (each byte is returned once; b"" if none).
        Bytes the target could not keep are never dropped silently: it raises SerialOverflow instead."""
        ...

    def write_serial(self, data: bytes) -> None:
        """Hand `data` to the mote's UART1 receiver (paced at the line's byte time where simulated).
        Raises SerialOverflow when the target cannot take all of it."""
        ...


@runtime_checkable
class Target(Console, Protocol):
    """One mote, whatever runs it: its UART1, its node id and a reset."""

    @property
    def node_id(self) -> int:
        """The node id the firmware sees (Cooja semantics: its `node_id` variable)."""
        ...

    def reset(self) -> None:
        """Power-on reset: the firmware starts again from its reset vector (UART output so far is kept)."""
        ...


@runtime_checkable
class Loadable(Protocol):
    """A target whose firmware can be replaced."""

    def load(self, elf: str | Path) -> object:
        """Put the ELF's loadable segments into the mote's memory and reset it."""
        ...


@runtime_checkable
class Simulated(Protocol):
    """A target on simulated time: nothing happens until it is told to run."""

    @property
    def time_ns(self) -> int:
        """Simulated nanoseconds since power-on."""
        ...

    def run_for(self, seconds: float) -> object:
        """Advance the mote by `seconds` of simulated time."""
        ...


@runtime_checkable
class PowerReadout(Protocol):
    """A target that tracks how long it spent in each energy state."""

    def power(self) -> dict[str, int]:
        """Microseconds so far per energy state: CPU, LPM, TX, RX (harness.energy.model.STATES)."""
        ...


@runtime_checkable
class SimulatedMote(Target, Loadable, Simulated, Protocol):
    """An emulated mote with firmware on simulated time (the emulator's Mote, the simulation's Sky mote)."""
