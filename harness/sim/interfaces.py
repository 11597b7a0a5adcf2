"""The engine-facing contracts: what a simulated mote and its radio must offer.

These are structural (typing.Protocol): the emulator-backed Sky mote and the pure-Python
scripted mote used in tests both satisfy them without inheriting from anything here.

Time is an integer count of microseconds of simulated time since the simulation started.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from harness.energy.model import STATES

# Power-tracker mode names: the energy model's states (CPU active, LPM, radio TX, radio RX/listen).
POWER_MODES = STATES


class RadioSink(Protocol):
    """Where a mote's radio reports a transmission (the medium, bound to the sending mote)."""

    def on_transmit(self, frame: bytes, start_us: int, end_us: int, channel: int, power: int) -> None:
        """`frame` is the PSDU as sent on air, 2-byte FCS included; `start_us` is the first
        preamble symbol on air, `end_us` the end of the last FCS symbol; `power` is the CC2420
        PA_LEVEL (0..31, 31 = full power; ranges scale with power/31 like Cooja's UDGM)."""
        ...


@runtime_checkable
class SimRadio(Protocol):
    """A mote's 802.15.4 radio as the medium sees it."""

    def attach(self, sink: RadioSink) -> None:
        """Called once by the engine: from then on transmissions go to `sink.on_transmit`."""
        ...

    def channel(self) -> int:
        """The current 802.15.4 channel (11..26)."""
        ...

    def listening(self) -> bool:
        """True when the receiver is on and able to sync to a frame at the mote's current time
        (False when off, transmitting, or in the RX→TX turnaround after STXON)."""
        ...

    def rx_start(self, frame: bytes, rssi: float, start_us: int, end_us: int) -> None:
        """A frame this radio locked onto begins on air (preamble at `start_us`). Lets a radio
        model time SFD/FIFO events; the verdict comes with `deliver` at `end_us`."""
        ...

    def air_energy(self, levels: dict[int, float]) -> None:
        """What the radio hears from now on: {channel: strongest RSSI in dBm} of the frames on air
        within its interference range (empty: silence). Called at medium events only; the levels
        hold until the next call (frames start and end only at medium events), so CCA and the RSSI
        register can be answered at any time inside an engine window."""
        ...

    def deliver(self, frame: bytes, rssi: float, crc_ok: bool, start_us: int) -> None:
        """The frame that began at `start_us` has ended (called at its end time). `crc_ok` is
        False when it was corrupted by an overlapping transmission."""
        ...


@runtime_checkable
class SimMote(Protocol):
    """One simulated mote on the shared microsecond timeline."""

    mote_id: int

    # Shortest time from a transmit decision inside the mote (e.g. STXON strobe) to the first
    # symbol on air. The engine's quantum is at most the smallest lookahead of all motes.
    lookahead_us: int

    @property
    def radio(self) -> SimRadio | None:
        """The mote's radio on the medium, or None when it has none."""

    def now_us(self) -> int:
        """The mote's current simulated time."""
        ...

    def run_until(self, time_us: int) -> None:
        """Advance the mote to exactly `time_us` (never beyond)."""
        ...

    def uart_rx(self, data: bytes) -> None:
        """Bytes arrive at the mote's UART1 receiver now."""
        ...

    def drain_uart_tx(self) -> list[tuple[int, int]]:
        """Bytes the mote sent on UART1 since the last call, as (time_us, byte)."""
        ...

    def power(self) -> dict[str, int]:
        """Microseconds spent so far in each of POWER_MODES."""
        ...
