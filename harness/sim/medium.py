"""Unit Disk Graph radio medium (Cooja UDGM semantics) on a microsecond timeline.

Semantics (following Cooja's documented UDGM behaviour):

* Ranges: a receiver within `transmitting_range` can receive; one within `interference_range` (taken
  as at least the transmitting range) is only disturbed. Both ranges scale with the sender's output
  power: × PA_LEVEL / 31 (the CC2420 power indicator maximum).
* TX success ratio: one draw per transmission; a failed transmission is heard by no radio at all
  (it neither delivers nor interferes), as in Cooja.
* RX success ratio: one draw per eligible receiver. The success probability falls with distance:
  p = 1 − (d² / R²) · (1 − success_ratio_rx), so it is 1 next to the sender and success_ratio_rx
  at the edge R of the transmitting range. A failed receiver is disturbed for the whole frame.
* Channels: a frame only affects radios tuned to its channel when it starts (a radio that changes
  channel mid-frame is not modelled).
* Collisions (our documented choice): a receiver locks onto a frame only if, when the frame starts,
  it is listening, not transmitting and hears no other frame on that channel. Any frame that
  starts while a receiver is locked, and that the receiver hears (within interference range),
  corrupts the locked reception: it is still delivered at its end, but with `crc_ok=False` (the
  CC2420 puts it in the RX FIFO with the CRC-OK bit clear). The later frame is not received by it.
  A receiver that starts transmitting while locked corrupts its own reception the same way.
* RSSI: linear in distance from −10 dBm (d = 0) to −95 dBm (d = R), Cooja's strong/weak levels;
  −95 dBm beyond R (inside the interference range). Every radio is told, at each medium event, the
  strongest level it hears per channel (`air_energy`), for CCA and the RSSI register.

Every random draw comes from the one `random.Random` handed in (seeded by the simulation seed) in
a fixed order: transmissions by (start time, sender id); per transmission the TX draw (only when
success_ratio_tx < 1), then receivers in ascending id order, one draw each when p < 1.

Air time of a frame: (preamble 4 + SFD 1 + length 1 + PSDU incl. 2-byte FCS) × 32 µs at 250 kb/s.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from harness.sim.interfaces import SimRadio
from harness.wire.ieee802154 import MAX_PSDU, air_time_us

PA_LEVEL_MAX = 31
RSSI_STRONG_DBM = -10.0
RSSI_WEAK_DBM = -95.0


class CausalityError(RuntimeError):
    """A mote reported a transmission that starts before the time other motes already reached:
    its lookahead is shorter than the engine's quantum."""


@dataclass(frozen=True)
class UDGMParams:
    """Cooja's UDGM parameters: ranges in metres and success ratios."""
    transmitting_range: float = 50.0
    interference_range: float = 100.0
    success_ratio_tx: float = 1.0
    success_ratio_rx: float = 1.0

    def __post_init__(self) -> None:
        for name in ("success_ratio_tx", "success_ratio_rx"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"{name} must be within [0, 1], got {v}")
        if self.transmitting_range < 0 or self.interference_range < 0:
            raise ValueError("ranges must not be negative")


Position = tuple[float, float, float]


@dataclass
class Reception:
    """One receiver of a transmission: its RSSI and whether the frame reached it corrupted."""
    receiver: int
    rssi: float
    corrupted: bool = False


@dataclass
class Transmission:
    """One frame on the air: sender, time span, channel and its receptions."""
    seq: int
    sender: int
    frame: bytes
    start_us: int
    end_us: int
    channel: int
    power: int
    lost: bool = False  # failed the TX success draw: nobody hears it
    receptions: dict[int, Reception] = field(default_factory=dict)
    heard_by: set[int] = field(default_factory=set)  # radios on its channel it disturbs (incl. receivers)
    energy: dict[int, float] = field(default_factory=dict)  # RSSI at every radio within interference range


@dataclass(frozen=True)
class RadioEvent:
    """What happened on the medium, in time order (for logs, counters and stop conditions).

    kind: "tx" (frame started on air), "tx_lost" (TX success draw failed), "rx" (delivered with a good
    CRC), "rx_corrupt" (delivered, CRC bad), "rx_fail" (RX success draw failed)."""

    kind: str
    time_us: int
    sender: int
    receiver: int | None
    frame: bytes


@dataclass
class MediumStats:
    """Frame counters of the medium (in total or for one mote)."""
    frames_sent: int = 0
    tx_lost: int = 0
    received: int = 0
    corrupted: int = 0
    rx_failed: int = 0


class _BoundSink:
    """The RadioSink handed to one mote's radio: tags its transmissions with the sender id."""

    def __init__(self, medium: UDGMMedium, mote_id: int) -> None:
        self._medium = medium
        self._mote_id = mote_id

    def on_transmit(self, frame: bytes, start_us: int, end_us: int, channel: int, power: int) -> None:
        self._medium.transmit(self._mote_id, frame, start_us, end_us, channel, power)


class UDGMMedium:
    """Cooja's Unit Disk Graph Medium (distance loss): who hears which frame, and which collide."""

    def __init__(self, params: UDGMParams, rng: random.Random) -> None:
        self.params = params
        self._rng = rng
        self._radios: dict[int, SimRadio] = {}
        self._positions: dict[int, Position] = {}
        self._pending: list[tuple[int, int, int, Transmission]] = []  # (start, sender, seq, tx)
        self._active: list[Transmission] = []
        self._seq = 0
        self._locks: dict[int, Transmission] = {}  # receiver -> transmission it is locked onto
        self._transmitting: dict[int, Transmission] = {}  # sender -> its frame on air
        self.horizon_us = 0  # no transmission may start before this (set by the engine)
        self.stats = MediumStats()
        self.per_mote: dict[int, MediumStats] = {}
        self._listeners: list[Callable[[RadioEvent], None]] = []
        self._energy_sent: dict[int, dict[int, float]] = {}
        # per sender: (receiver id, distance) of every other radio within the interference range at
        # full power, in ascending id order (positions do not change; rebuilt when a radio is added)
        self._near: dict[int, list[tuple[int, float]]] = {}

    # ---- set-up ----
    def add_radio(self, mote_id: int, position: Position, radio: SimRadio) -> None:
        """Put a mote's radio on the medium at `position`."""
        if mote_id in self._radios:
            raise ValueError(f"mote {mote_id} already has a radio on the medium")
        self._radios[mote_id] = radio
        self._positions[mote_id] = position
        self._near.clear()
        self.per_mote[mote_id] = MediumStats()
        radio.attach(_BoundSink(self, mote_id))

    def add_listener(self, fn: Callable[[RadioEvent], None]) -> None:
        """Call `fn` with every radio event."""
        self._listeners.append(fn)

    def distance(self, a: int, b: int) -> float:
        """Distance in metres between two motes."""
        return math.dist(self._positions[a], self._positions[b])

    def rx_success_probability(self, sender: int, receiver: int, power: int = PA_LEVEL_MAX) -> float:
        """Probability that `receiver` gets a frame `sender` sends at PA level `power`."""
        return self._rx_probability(self.distance(sender, receiver), power)

    def _rx_probability(self, d: float, power: int) -> float:
        r = self.params.transmitting_range * power / PA_LEVEL_MAX
        if r <= 0.0:
            return 0.0
        ratio = d**2 / r**2
        if ratio > 1.0:
            return 0.0
        return 1.0 - ratio * (1.0 - self.params.success_ratio_rx)

    # ---- input from radios ----
    def transmit(
        self, sender: int, frame: bytes, start_us: int, end_us: int, channel: int, power: int
    ) -> None:
        """Put a frame on the air from `start_us` to `end_us` (its air time)."""
        if not 1 <= len(frame) <= MAX_PSDU:
            raise ValueError(f"mote {sender}: PSDU length {len(frame)} outside 1..{MAX_PSDU}")
        if end_us != start_us + air_time_us(len(frame)):
            raise ValueError(
                f"mote {sender}: frame of {len(frame)} bytes must last {air_time_us(len(frame))} µs, "
                f"got {end_us - start_us} µs"
            )
        if start_us < self.horizon_us:
            raise CausalityError(
                f"mote {sender} started a frame at {start_us} µs but the simulation already reached "
                f"{self.horizon_us} µs: its lookahead is shorter than the engine quantum"
            )
        if not 0 <= power <= PA_LEVEL_MAX:
            raise ValueError(f"mote {sender}: power {power} outside 0..{PA_LEVEL_MAX}")
        self._seq += 1
        tx = Transmission(self._seq, sender, bytes(frame), start_us, end_us, channel, power)
        heapq.heappush(self._pending, (start_us, sender, tx.seq, tx))

    # ---- driven by the engine ----
    def next_event_us(self) -> int | None:
        """The time of the next start or end of a transmission, None when the air is quiet."""
        times = [tx.end_us for tx in self._active]
        if self._pending:
            times.append(self._pending[0][0])
        return min(times) if times else None

    def process(self, now_us: int) -> None:
        """Handle everything due at `now_us`; all motes are exactly at `now_us`.
        Frames ending now are finished before frames starting now (no overlap)."""
        ending = sorted(
            (tx for tx in self._active if tx.end_us <= now_us), key=lambda t: (t.end_us, t.sender)
        )
        touched: set[int] = set()
        for tx in ending:
            self._finish(tx)
            touched.update(tx.energy)
        while self._pending and self._pending[0][0] <= now_us:
            _, _, _, tx = heapq.heappop(self._pending)
            self._start(tx)
            touched.update(tx.energy)
        self._signal_energy(touched)

    def energy_at(self, mote_id: int) -> dict[int, float]:
        """{channel: strongest RSSI in dBm} of the frames on air that `mote_id` hears now."""
        levels: dict[int, float] = {}
        for tx in self._active:
            rssi = tx.energy.get(mote_id)
            if rssi is not None and (tx.channel not in levels or rssi > levels[tx.channel]):
                levels[tx.channel] = rssi
        return levels

    def check_horizon(self, reached_us: int) -> None:
        """Every frame not yet on air must start at or after `reached_us`, the time all motes
        reached (a group of motes runs several windows in one call; see engine.py)."""
        if self._pending and self._pending[0][0] < reached_us:
            start, sender, _, _ = self._pending[0]
            raise CausalityError(
                f"mote {sender} started a frame at {start} µs but the simulation already reached "
                f"{reached_us} µs: its lookahead is shorter than the engine's windows"
            )

    def busy(self) -> bool:
        """Whether a transmission is pending or on the air."""
        return bool(self._pending or self._active)

    # ---- internals ----
    def _emit(self, ev: RadioEvent) -> None:
        for fn in self._listeners:
            fn(ev)

    def _signal_energy(self, touched: set[int]) -> None:
        """Tell the `touched` radios what they hear on each channel (CCA, RSSI register), in
        ascending id order, those whose levels changed. The set of frames on air only changes at
        medium events, when every mote stands at the same time, so a radio can use the levels
        unchanged until the next call. The levels are energy_at's, in one pass over the frames."""
        levels_of: dict[int, dict[int, float]] = {rid: {} for rid in touched}
        for tx in self._active:
            ch = tx.channel
            for rid, rssi in tx.energy.items():
                levels = levels_of.get(rid)
                if levels is not None and (ch not in levels or rssi > levels[ch]):
                    levels[ch] = rssi
        sent, radios = self._energy_sent, self._radios
        for rid in sorted(touched):
            levels = levels_of[rid]
            if levels != sent.get(rid, {}):
                sent[rid] = levels
                radios[rid].air_energy(levels)

    def _rssi(self, d: float, tx_range: float) -> float:
        if d >= tx_range:
            return RSSI_WEAK_DBM
        return RSSI_STRONG_DBM + (d / tx_range) * (RSSI_WEAK_DBM - RSSI_STRONG_DBM)

    def _start(self, tx: Transmission) -> None:
        p = self.params
        self.stats.frames_sent += 1
        self.per_mote[tx.sender].frames_sent += 1
        self._emit(RadioEvent("tx", tx.start_us, tx.sender, None, tx.frame))

        # Half duplex: a sender locked onto a reception spoils it.
        own = self._locks.pop(tx.sender, None)
        if own is not None:
            self._corrupt(own, tx.sender)  # still delivered at its end, CRC bad
        self._transmitting[tx.sender] = tx
        self._active.append(tx)

        if p.success_ratio_tx < 1.0 and self._rng.random() >= p.success_ratio_tx:
            tx.lost = True
            self.stats.tx_lost += 1
            self.per_mote[tx.sender].tx_lost += 1
            self._emit(RadioEvent("tx_lost", tx.start_us, tx.sender, None, tx.frame))
            return

        scale = tx.power / PA_LEVEL_MAX
        tx_range = p.transmitting_range * scale
        int_range = max(p.interference_range, p.transmitting_range) * scale
        if tx_range <= 0.0:
            return  # PA off or zero range: nobody hears it
        for rid, d in self._neighbours(tx.sender):
            if d > int_range:
                continue
            radio = self._radios[rid]
            tx.energy[rid] = self._rssi(d, tx_range)
            if radio.channel() != tx.channel:
                continue
            clear = not any(rid in other.heard_by for other in self._active if other is not tx)
            tx.heard_by.add(rid)
            locked = self._locks.get(rid)
            if locked is not None:
                self._corrupt(locked, rid)  # collision at this receiver
                continue
            if d > tx_range or rid in self._transmitting or not radio.listening() or not clear:
                continue
            prob = self._rx_probability(d, tx.power)
            if prob < 1.0 and self._rng.random() >= prob:
                self.stats.rx_failed += 1
                self.per_mote[rid].rx_failed += 1
                self._emit(RadioEvent("rx_fail", tx.start_us, tx.sender, rid, tx.frame))
                continue
            rssi = tx.energy[rid]
            tx.receptions[rid] = Reception(rid, rssi)
            self._locks[rid] = tx
            radio.rx_start(tx.frame, rssi, tx.start_us, tx.end_us)

    def _neighbours(self, sender: int) -> list[tuple[int, float]]:
        """The radios a frame of `sender` can reach at full power (see _near)."""
        near = self._near.get(sender)
        if near is None:
            p = self.params
            reach = max(p.interference_range, p.transmitting_range)
            near = self._near[sender] = [
                (rid, d)
                for rid in sorted(self._radios)
                if rid != sender and (d := self.distance(sender, rid)) <= reach
            ]
        return near

    def _corrupt(self, tx: Transmission, rid: int) -> None:
        """Reception of `tx` at `rid` is spoilt. A radio that models reception byte by byte learns it
        now (optional `corrupt_reception(start_us)`), before the frame's last byte reaches it."""
        rec = tx.receptions[rid]
        if rec.corrupted:
            return
        rec.corrupted = True
        mark = getattr(self._radios[rid], "corrupt_reception", None)
        if mark is not None:
            mark(tx.start_us)

    def _finish(self, tx: Transmission) -> None:
        self._active.remove(tx)
        if self._transmitting.get(tx.sender) is tx:
            del self._transmitting[tx.sender]
        for rid in sorted(tx.receptions):
            rec = tx.receptions[rid]
            if self._locks.get(rid) is tx:
                del self._locks[rid]
            ok = not rec.corrupted
            if ok:
                self.stats.received += 1
                self.per_mote[rid].received += 1
            else:
                self.stats.corrupted += 1
                self.per_mote[rid].corrupted += 1
            self._emit(RadioEvent("rx" if ok else "rx_corrupt", tx.end_us, tx.sender, rid, tx.frame))
            self._radios[rid].deliver(tx.frame, rec.rssi, ok, tx.start_us)
