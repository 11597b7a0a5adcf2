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

Where it runs: the per-frame work (who hears a frame, locks, collisions, the verdicts at the end, the
levels each radio hears) is C, harness/emulator/csrc/sim_medium.c, which feeds an emulated CC2420
directly and any other SimRadio through a callback into this module. This module keeps the
parameters, the frames not yet on the air, the random draws, the statistics and the events.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.emulator.core_build import ensure_built
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
class Transmission:
    """One frame on the air: sender, time span and channel (who hears it is kept in C)."""
    seq: int
    sender: int
    frame: bytes
    start_us: int
    end_us: int
    channel: int
    power: int
    lost: bool = False  # failed the TX success draw: nobody hears it


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


ensure_built()
from harness.emulator.mote import ffi, lib  # noqa: E402  (the C core, built above)

_MAX_LEVELS = 16  # csrc/sim_medium.c MAX_LEVELS


@ffi.def_extern()
def _med_py_radio(ctx, op, slot, arg, rssi, flag):  # noqa: ANN001, ANN202
    medium: UDGMMedium = ffi.from_handle(ctx)
    try:
        return medium._radio_op(op, slot, arg, rssi, flag)
    except Exception as exc:  # noqa: BLE001 - cannot propagate through C; re-raised after the C call
        if medium._cb_error is None:
            medium._cb_error = exc
        return 0


class UDGMMedium:
    """Cooja's Unit Disk Graph Medium (distance loss): who hears which frame, and which collide."""

    def __init__(self, params: UDGMParams, rng: random.Random) -> None:
        self.params = params
        self._rng = rng
        self._radios: dict[int, SimRadio] = {}
        self._positions: dict[int, Position] = {}
        self._pending: list[tuple[int, int, int, Transmission]] = []  # (start, sender, seq, tx)
        self._active: dict[int, Transmission] = {}  # seq -> frame on the air, in start order
        self._seq = 0
        self.horizon_us = 0  # no transmission may start before this (set by the engine)
        # received / corrupted are counted per radio in C (med_rx_count) and copied in on reading
        self._stats = MediumStats()
        self._per_mote: dict[int, MediumStats] = {}
        self._finished = 0  # frames finished so far, and as of the last copy of the C counters
        self._rx_synced = -1
        self._listeners: list[Callable[[RadioEvent], None]] = []
        # per sender: (receiver id, distance) of every other radio within the interference range at
        # full power, in ascending id order (positions do not change; rebuilt when a radio is added)
        self._near: dict[int, list[tuple[int, float]]] = {}
        # grid cells of the radios for _candidates: (cell size, cells or None when a position is not finite)
        self._grid: tuple[float, dict[tuple[int, int, int], list[int]] | None] | None = None
        # the C side (csrc/sim_medium.h): radios are slots in the order added
        self._handle = ffi.new_handle(self)
        c = lib.med_create(
            params.transmitting_range, params.interference_range, params.success_ratio_rx,
            lib._med_py_radio, self._handle,
        )
        if c == ffi.NULL:
            raise MemoryError("med_create failed")
        self._c = ffi.gc(c, lib.med_free)
        self._slot: dict[int, int] = {}  # mote id -> slot
        self._ids: list[int] = []  # slot -> mote id
        self._by_slot: list[SimRadio] = []
        self._cb_error: Exception | None = None
        self._finishing: Transmission | None = None
        self._out_slots: Any = ffi.new("int[]", 1)
        self._out_ok: Any = ffi.new("int[]", 1)
        self._draw_prob: Any = ffi.new("double[]", 1)
        self._ch: Any = ffi.new("int[]", _MAX_LEVELS)
        self._lv: Any = ffi.new("double[]", _MAX_LEVELS)

    # ---- set-up ----
    def add_radio(self, mote_id: int, position: Position, radio: SimRadio) -> None:
        """Put a mote's radio on the medium at `position`."""
        if mote_id in self._radios:
            raise ValueError(f"mote {mote_id} already has a radio on the medium")
        # an emulated CC2420 is fed in C through its port (harness.emulator.radio.SkyRadio.c_model)
        port = getattr(radio, "c_model", None)
        slot = lib.med_add_radio(self._c, mote_id, ffi.NULL if port is None else port)
        if slot < 0:
            raise MemoryError("med_add_radio failed")
        self._radios[mote_id] = radio
        self._positions[mote_id] = position
        self._slot[mote_id] = slot
        self._ids.append(mote_id)
        self._by_slot.append(radio)
        n = len(self._ids)
        self._out_slots = ffi.new("int[]", n)
        self._out_ok = ffi.new("int[]", n)
        self._draw_prob = ffi.new("double[]", n)
        self._near.clear()
        self._grid = None
        self._per_mote[mote_id] = MediumStats()
        self._rx_synced = -1
        radio.attach(_BoundSink(self, mote_id))

    @property
    def stats(self) -> MediumStats:
        """Frame counters of the whole medium."""
        self._sync_rx()
        return self._stats

    @property
    def per_mote(self) -> dict[int, MediumStats]:
        """{mote id: its frame counters} (frames sent and lost as sender, received, corrupted and
        failed as receiver)."""
        self._sync_rx()
        return self._per_mote

    def _sync_rx(self) -> None:
        """Copy the received / corrupted counters from C (only after frames finished since the last copy)."""
        if self._rx_synced == self._finished:
            return
        c, total_ok, total_bad = self._c, 0, 0
        for slot, rid in enumerate(self._ids):
            st = self._per_mote[rid]
            st.received = ok = int(lib.med_rx_count(c, slot, 1))
            st.corrupted = bad = int(lib.med_rx_count(c, slot, 0))
            total_ok += ok
            total_bad += bad
        self._stats.received, self._stats.corrupted = total_ok, total_bad
        self._rx_synced = self._finished

    def add_listener(self, fn: Callable[[RadioEvent], None], first: bool = False) -> None:
        """Call `fn` with every radio event (`first`: before the listeners added so far). Events are
        only built while someone listens: without listeners the medium just counts."""
        if first:
            self._listeners.insert(0, fn)
        else:
            self._listeners.append(fn)

    def remove_listener(self, fn: Callable[[RadioEvent], None]) -> None:
        """Stop calling `fn` (added with add_listener)."""
        self._listeners.remove(fn)

    def distance(self, a: int, b: int) -> float:
        """Distance in metres between two motes."""
        return math.dist(self._positions[a], self._positions[b])

    def rx_success_probability(self, sender: int, receiver: int, power: int = PA_LEVEL_MAX) -> float:
        """Probability that `receiver` gets a frame `sender` sends at PA level `power`."""
        return self._rx_probability(self.distance(sender, receiver), power)

    def _rx_probability(self, d: float, power: int) -> float:
        # the same formula as csrc/sim_medium.c rx_probability, which decides the draws
        r = self.params.transmitting_range * power / PA_LEVEL_MAX
        if r <= 0.0:
            return 0.0
        ratio = d**2 / r**2
        if ratio > 1.0:
            return 0.0
        return 1.0 - ratio * (1.0 - self.params.success_ratio_rx)

    def late_corruptions(self, mote_id: int) -> int:
        """Collisions the medium saw after the mote's CC2420 model had the frame's last byte (C radios)."""
        return int(lib.med_late_corruptions(self._c, self._slot[mote_id]))

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
        nxt: int | None = self._pending[0][0] if self._pending else None
        for tx in self._active.values():  # a few frames at most: no list built per window
            if nxt is None or tx.end_us < nxt:
                nxt = tx.end_us
        return nxt

    def process(self, now_us: int) -> None:
        """Handle everything due at `now_us`; all motes are exactly at `now_us`.
        Frames ending now are finished before frames starting now (no overlap). Then every radio
        whose levels changed is told what it hears on each channel (CCA, RSSI register), in
        ascending id order: the set of frames on air only changes at medium events, when every mote
        stands at the same time, so a radio can use the levels unchanged until the next call."""
        ending = sorted(
            (tx for tx in self._active.values() if tx.end_us <= now_us), key=lambda t: (t.end_us, t.sender)
        )
        for tx in ending:
            self._finish(tx)
        while self._pending and self._pending[0][0] <= now_us:
            _, _, _, tx = heapq.heappop(self._pending)
            self._start(tx)
        lib.med_signal(self._c)
        self._raise_cb_error()

    def energy_at(self, mote_id: int) -> dict[int, float]:
        """{channel: strongest RSSI in dBm} of the frames on air that `mote_id` hears now."""
        n = lib.med_energy_at(self._c, self._slot[mote_id], self._ch, self._lv, _MAX_LEVELS)
        return {self._ch[i]: self._lv[i] for i in range(n)}

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

    def _raise_cb_error(self) -> None:
        if self._cb_error is not None:
            err, self._cb_error = self._cb_error, None
            raise err

    def _radio_op(self, op: int, slot: int, arg: int, rssi: float, flag: int) -> int:
        """A radio without a C model, asked by csrc/sim_medium.c (MED_OP_*)."""
        radio = self._by_slot[slot]
        if op == lib.MED_OP_CHANNEL:
            return radio.channel()
        if op == lib.MED_OP_LISTENING:
            return int(radio.listening())
        if op == lib.MED_OP_RX_START:
            tx = self._active[arg]
            radio.rx_start(tx.frame, rssi, tx.start_us, tx.end_us)
        elif op == lib.MED_OP_CORRUPT:
            mark = getattr(radio, "corrupt_reception", None)  # a radio that models bytes learns it now
            if mark is not None:
                mark(arg)
        elif op == lib.MED_OP_ENERGY:
            n = lib.med_cb_levels(self._c, self._ch, self._lv, _MAX_LEVELS)
            radio.air_energy({self._ch[i]: self._lv[i] for i in range(n)})
        elif op == lib.MED_OP_DELIVER:
            done = self._finishing
            assert done is not None and done.seq == arg
            radio.deliver(done.frame, rssi, bool(flag), done.start_us)
        return 0

    def _c_failed(self, rc: int) -> None:
        """Raise for a failed med_start / med_lock (after a callback's own exception, if any)."""
        self._raise_cb_error()
        slot = lib.med_error_slot(self._c)
        if rc == -2 and slot >= 0:
            label = getattr(self._by_slot[slot], "label", f"mote {self._ids[slot]}")
            if lib.med_error_code(self._c) == -1:
                raise ValueError(f"{label}: PSDU length outside 1..127")
            raise RuntimeError(f"{label}: more than 8 frames on the air at once")
        raise MemoryError(f"the medium's C side failed ({rc})")

    def _start(self, tx: Transmission) -> None:
        p = self.params
        self._stats.frames_sent += 1
        self._per_mote[tx.sender].frames_sent += 1
        if self._listeners:
            self._emit(RadioEvent("tx", tx.start_us, tx.sender, None, tx.frame))
        if p.success_ratio_tx < 1.0 and self._rng.random() >= p.success_ratio_tx:
            tx.lost = True
        self._active[tx.seq] = tx
        slot = self._slot[tx.sender]
        if not lib.med_has_near(self._c, slot):
            near = self._neighbours(tx.sender)
            slots = ffi.new("int[]", [self._slot[rid] for rid, _ in near] or [0])
            dist = ffi.new("double[]", [d for _, d in near] or [0.0])
            if lib.med_set_near(self._c, slot, slots, dist, len(near)) != 0:
                raise MemoryError("med_set_near failed")
        # the sender's own reception is spoilt, then (unless lost) everyone in range hears the frame
        rc = lib.med_start(
            self._c, tx.seq, slot, tx.frame, len(tx.frame), tx.channel, tx.power, tx.start_us, tx.end_us,
            int(tx.lost),
        )
        if rc != 0:
            self._c_failed(rc)
        self._raise_cb_error()
        if tx.lost:
            self._stats.tx_lost += 1
            self._per_mote[tx.sender].tx_lost += 1
            self._emit(RadioEvent("tx_lost", tx.start_us, tx.sender, None, tx.frame))
            return
        # receivers with a success probability below 1: one draw each, in ascending id order
        n = lib.med_draws(self._c, self._out_slots, self._draw_prob, len(self._ids))
        for i in range(n):
            rslot, prob = self._out_slots[i], self._draw_prob[i]
            if self._rng.random() >= prob:
                rid = self._ids[rslot]
                self._stats.rx_failed += 1
                self._per_mote[rid].rx_failed += 1
                self._emit(RadioEvent("rx_fail", tx.start_us, tx.sender, rid, tx.frame))
                continue
            rc = lib.med_lock(self._c, tx.seq, rslot)
            if rc != 0:
                self._c_failed(rc)
            self._raise_cb_error()

    def _neighbours(self, sender: int) -> list[tuple[int, float]]:
        """The radios a frame of `sender` can reach at full power (see _near)."""
        near = self._near.get(sender)
        if near is None:
            p = self.params
            reach = max(p.interference_range, p.transmitting_range)
            pos, here, dist = self._positions, self._positions[sender], math.dist  # = self.distance
            near = self._near[sender] = [
                (rid, d)
                for rid in sorted(self._candidates(sender, reach))
                if rid != sender and (d := dist(here, pos[rid])) <= reach
            ]
        return near

    def _candidates(self, sender: int, reach: float) -> list[int]:
        """The radios in the grid cells around `sender`'s (cells a little wider than `reach`, so
        every radio within `reach` is in a neighbouring cell); every radio without a usable reach."""
        if not reach > 0.0 or not math.isfinite(reach):
            return list(self._radios)
        cell = reach * 1.001
        if self._grid is None or self._grid[0] != cell:
            grid: dict[tuple[int, int, int], list[int]] = {}
            finite = all(math.isfinite(c) for pos in self._positions.values() for c in pos)
            for rid, pos in self._positions.items() if finite else ():
                key = (math.floor(pos[0] / cell), math.floor(pos[1] / cell), math.floor(pos[2] / cell))
                grid.setdefault(key, []).append(rid)
            self._grid = (cell, grid if finite else None)
        cells = self._grid[1]
        if cells is None:
            return list(self._radios)
        x, y, z = (math.floor(c / cell) for c in self._positions[sender])
        return [
            rid
            for dx in (-1, 0, 1)
            for dy in (-1, 0, 1)
            for dz in (-1, 0, 1)
            for rid in cells.get((x + dx, y + dy, z + dz), ())
        ]

    def _finish(self, tx: Transmission) -> None:
        self._finishing = tx
        n = lib.med_finish(self._c, tx.seq, self._out_slots, self._out_ok)
        self._finishing = None
        del self._active[tx.seq]
        self._finished += 1  # C counted the receptions (med_rx_count)
        self._raise_cb_error()
        if not n or not self._listeners:  # one event per reception only when wanted
            return
        ids, emit = self._ids, self._emit
        slots, oks = ffi.unpack(self._out_slots, n), ffi.unpack(self._out_ok, n)
        for slot, ok in zip(slots, oks, strict=True):
            emit(RadioEvent("rx" if ok else "rx_corrupt", tx.end_us, tx.sender, ids[slot], tx.frame))
