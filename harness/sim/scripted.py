"""A small pure-Python mote that follows a script: the medium's and the engine's peer in tests and
benchmarks, until the emulator-backed Sky mote is available. It is not a mock of the medium: it
implements the same SimMote / SimRadio protocols the emulated mote does, with CC2420-like timing
(transmit decision -> first symbol on air after `lookahead_us`, default 192 µs = 12 symbols).

It never stands in for a firmware run: `esse sim run` refuses to use it.
"""

from __future__ import annotations

import functools
import heapq
from collections.abc import Callable
from dataclasses import dataclass

from harness.sim.engine import UART_BYTE_US
from harness.sim.interfaces import RadioSink
from harness.sim.medium import PA_LEVEL_MAX
from harness.wire.ieee802154 import TURNAROUND_US, air_time_us, data_frame, frame_source

CC2420_TX_TURNAROUND_US = TURNAROUND_US  # STXON -> first preamble symbol: 12 symbol periods
CPU_US_PER_ACTION = 50  # nominal active time charged per scripted action (power accounting)


class ScriptedRadio:
    """The radio of a ScriptedMote (harness.sim.interfaces.SimRadio), recording what it hears."""

    def __init__(self, mote: ScriptedMote, channel: int = 26) -> None:
        self._mote = mote
        self._channel = channel
        self._sink: RadioSink | None = None
        self.on = True
        self.tx_until = -1
        self.received: list[tuple[int, bytes, float, bool]] = []  # (start_us, frame, rssi, crc_ok)
        self.rx_started: list[int] = []
        self.energy: dict[int, float] = {}
        self.energy_log: list[tuple[int, dict[int, float]]] = []

    def attach(self, sink: RadioSink) -> None:
        """Called once by the engine: from then on transmissions go to `sink.on_transmit`."""
        self._sink = sink

    def channel(self) -> int:
        """The current 802.15.4 channel."""
        return self._channel

    def set_channel(self, channel: int) -> None:
        """Switch to `channel`."""
        self._channel = channel

    def listening(self) -> bool:
        """True when the radio is on and not transmitting."""
        return self.on and self._mote.now_us() >= self.tx_until

    def air_energy(self, levels: dict[int, float]) -> None:
        """What the radio hears on each channel, recorded."""
        self.energy = dict(levels)
        self.energy_log.append((self._mote.now_us(), dict(levels)))

    def clear_channel(self) -> bool:
        """CCA: no frame heard on the current channel."""
        return self._channel not in self.energy

    def rx_start(self, frame: bytes, rssi: float, start_us: int, end_us: int) -> None:
        """A frame this radio locked onto begins on air (recorded)."""
        self.rx_started.append(start_us)

    def deliver(self, frame: bytes, rssi: float, crc_ok: bool, start_us: int) -> None:
        """A received frame with its verdict: recorded and passed to the mote."""
        self.received.append((start_us, frame, rssi, crc_ok))
        self._mote.on_frame(frame, rssi, crc_ok, start_us)

    def send(self, frame: bytes, decided_us: int, power: int = PA_LEVEL_MAX) -> None:
        """Put `frame` on air, decided at `decided_us` (on air a lookahead later)."""
        if self._sink is None:
            raise RuntimeError(f"mote {self._mote.mote_id}: radio not attached to a medium")
        start = decided_us + self._mote.lookahead_us
        end = start + air_time_us(len(frame))
        self.tx_until = max(self.tx_until, end)
        self._mote.charge_tx(start, end)
        self._sink.on_transmit(frame, start, end, self._channel, power)


@dataclass(order=True)
class _Action:
    time_us: int
    seq: int
    fn: Callable[[], None]


class ScriptedMote:
    """Actions are scheduled at absolute times and run when `run_until` passes them.

    `report_rx=True` prints one line per delivered frame: `RX src=<n> len=<n> crc=<ok|bad>`.
    `echo_uart=True` sends back every byte received on the UART (serial socket tests)."""

    def __init__(
        self,
        mote_id: int,
        *,
        channel: int = 26,
        lookahead_us: int = CC2420_TX_TURNAROUND_US,
        report_rx: bool = True,
        echo_uart: bool = False,
    ) -> None:
        self.mote_id = mote_id
        self.lookahead_us = lookahead_us
        self.report_rx = report_rx
        self.echo_uart = echo_uart
        self._radio = ScriptedRadio(self, channel)
        self._now = 0
        self._actions: list[_Action] = []
        self._seq = 0
        self._uart_tx: list[tuple[int, int]] = []
        self._uart_free_us = 0
        self._cpu_us = 0
        self._tx_spans: list[tuple[int, int]] = []
        self._frame_seq = 0
        self._radio_on_us = 0  # accumulated listen/transmit time of finished "on" stretches
        self._radio_on_since: int | None = 0
        self.uart_received = bytearray()
        self.resets = 0

    # ---- SimMote ----
    @property
    def radio(self) -> ScriptedRadio:
        """The mote's radio."""
        return self._radio

    def now_us(self) -> int:
        """The mote's simulated time in microseconds."""
        return self._now

    def run_until(self, time_us: int) -> None:
        """Run the scripted actions due up to `time_us`."""
        if time_us < self._now:
            raise ValueError(f"mote {self.mote_id}: cannot run back from {self._now} to {time_us}")
        while self._actions and self._actions[0].time_us <= time_us:
            act = heapq.heappop(self._actions)
            self._now = act.time_us
            self._cpu_us += CPU_US_PER_ACTION
            act.fn()
        self._now = time_us

    def uart_rx(self, data: bytes) -> None:
        """Bytes arriving at UART1 (echoed with echo_uart)."""
        self.uart_received += data
        if self.echo_uart:
            self._emit_uart(data)

    def drain_uart_tx(self) -> list[tuple[int, int]]:
        """UART1 bytes sent up to now as (time_us, byte), since the last call."""
        out = [b for b in self._uart_tx if b[0] <= self._now]
        self._uart_tx = [b for b in self._uart_tx if b[0] > self._now]
        return out

    # ---- harness.target: Target + Simulated + PowerReadout (no firmware: not Loadable) ----
    @property
    def node_id(self) -> int:
        """The mote id (a scripted mote has no firmware variable to put it in)."""
        return self.mote_id

    @property
    def time_ns(self) -> int:
        """Simulated nanoseconds since the start (the script's microseconds x 1000)."""
        return self._now * 1000

    def run_for(self, seconds: float) -> None:
        """Run the script for `seconds` of simulated time."""
        self.run_until(self._now + round(seconds * 1e6))

    def read_serial(self) -> bytes:
        """UART1 bytes sent up to now since the previous call."""
        return bytes(b for _, b in self.drain_uart_tx())

    def write_serial(self, data: bytes) -> None:
        """Bytes arrive at the mote's UART1 now."""
        self.uart_rx(data)

    def reset(self) -> None:
        """What a reset does to a program with no firmware behind it: every pending action and UART
        byte not yet sent is dropped, the radio is back on; the mote stays silent until scripted again."""
        self._actions.clear()
        self._uart_tx = [b for b in self._uart_tx if b[0] <= self._now]
        self._uart_free_us = self._now
        self._set_radio(True)
        self.resets += 1

    def power(self) -> dict[str, int]:
        """Microseconds per energy state: CPU per action, LPM otherwise, TX per frame, RX while on."""
        tx = sum(min(e, self._now) - s for s, e in self._tx_spans if s < self._now)
        cpu = min(self._cpu_us, self._now)
        on = self._radio_on_us + (self._now - self._radio_on_since if self._radio_on_since is not None else 0)
        rx = max(0, on - tx)
        return {"CPU": cpu, "LPM": self._now - cpu, "TX": tx, "RX": rx}

    # ---- scripting ----
    def at(self, time_us: int, fn: Callable[[], None]) -> None:
        """Run `fn` at `time_us`."""
        self._seq += 1
        heapq.heappush(self._actions, _Action(time_us, self._seq, fn))

    def say(self, time_us: int, text: str) -> None:
        """Print `text` + newline on UART1 at `time_us`."""
        self.at(time_us, lambda: self._emit_uart((text + "\n").encode()))

    def send(self, time_us: int, payload: bytes, dst: int = 0xFFFF, power: int = PA_LEVEL_MAX) -> None:
        """Decide at `time_us` to send a data frame; it goes on air `lookahead_us` later."""

        def go() -> None:
            self._frame_seq += 1
            frame = data_frame(self._frame_seq, 0xABCD, dst, self.mote_id, payload)
            self._radio.send(frame, self._now, power)

        self.at(time_us, go)

    def every(self, start_us: int, period_us: int, count: int, fn: Callable[[int], None]) -> None:
        """Run `fn(i)` `count` times, every `period_us` from `start_us`."""
        for i in range(count):
            t = start_us + i * period_us
            self.at(t, functools.partial(fn, i))

    def radio_on(self, time_us: int, on: bool) -> None:
        """Switch the radio on or off at `time_us`."""
        self.at(time_us, lambda: self._set_radio(on))

    def _set_radio(self, on: bool) -> None:
        if on == self._radio.on:
            return
        if on:
            self._radio_on_since = self._now
        else:
            self._radio_on_us += self._now - (self._radio_on_since or 0)
            self._radio_on_since = None
        self._radio.on = on

    # ---- hooks used by the radio ----
    def on_frame(self, frame: bytes, rssi: float, crc_ok: bool, start_us: int) -> None:
        """A frame the radio received: reported on UART1 with report_rx."""
        if self.report_rx:
            src = frame_source(frame)
            self._emit_uart(f"RX src={src} len={len(frame)} crc={'ok' if crc_ok else 'bad'}\n".encode())

    def charge_tx(self, start: int, end: int) -> None:
        """Account the radio transmitting from `start` to `end`."""
        self._tx_spans.append((start, end))

    def _emit_uart(self, data: bytes) -> None:
        t = max(self._now, self._uart_free_us)
        for b in data:
            t += UART_BYTE_US
            self._uart_tx.append((t, b))
        self._uart_free_us = t
