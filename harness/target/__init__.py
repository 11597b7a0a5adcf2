"""One mote interface (labgrid's model): resources say what exists, drivers open them, protocols are
what a running mote offers. See protocol.py for the methods; drivers.py for `open_target`."""

from harness.target.protocol import (
    Console,
    Loadable,
    PowerReadout,
    SerialOverflow,
    Simulated,
    SimulatedMote,
    Target,
)

__all__ = ["Console", "Loadable", "PowerReadout", "SerialOverflow", "Simulated", "SimulatedMote", "Target"]
