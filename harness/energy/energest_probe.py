"""The firmware's energest counters of an emulated mote, read at any instant without running the mote.

A set-up run (harness.energy.setup_run) cuts the CCS's time into phases at instants the host picks
(a datagram's arrival, the start of the CCS's answer). To hold firmware energest against the
emulator's tracker over exactly those intervals, the mote would have to print an EG1 line at each of
them; asking it to (over UART1) or letting it print periodically costs CPU time (formatting a line,
about 110 bytes on UART1) and moves every later event, so the run measured would no longer be the run
reported. Instead `EnergestProbe.read()` does what `energest_read()` (firmware/sys/energest.c) does,
on the host, from the mote's RAM and timers:

- the counters `ticks[]`, `fine[]`, `uart_bytes`, `seq`, the open stretches `active` / `since[]`, the
  CPU stretch a sleep left to settle (`pending_from` / `pending_to`), the LPM2-4 `epoch`, `clock_base`,
  `per_tick` and `fine_hz`: read from RAM at the addresses of energest.c's own (static) symbols;
- the stamp "now": Timer_A (`clock_overflows` in RAM, TAR from the timer model; an overflow whose
  interrupt is not served yet is resolved with the mote's simulated time, as the firmware resolves it
  with TAIFG) and TBR from the timer model;
- every open stretch closed at that stamp with the firmware's span arithmetic (ACLK ticks, or SMCLK
  counts with the Timer_B wrap resolved by the ACLK delta), as energest_read() closes them.

No instruction runs on the mote and nothing is written to it: the simulation goes on byte for byte as
without the probe. What it cannot see is what the firmware cannot either at that instant: an interrupt
handler that woke the CPU from a low-power mode and has not reached its exit stub yet (its cycles are
added when it does), and the microseconds inside transition() between closing a stretch and adding it.
The result is an `EnergestSample`, the same record a parsed EG1 line gives, so intervals are taken with
harness.energy.energest.interval_seconds.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from harness.energy.energest import ACLK_HZ, COUNTED, EnergestSample

_M32 = 0xFFFFFFFF
FINE_MAX_TICKS = 8192  # energest.c ENERGEST_FINE_MAX_TICKS
NO_WRAP_TICKS = 256  # energest.c ENERGEST_NO_WRAP_TICKS
N = len(COUNTED)
# energest.c's static variables (file-local symbols) and sky_clock.c's overflow count: name -> size
_ENERGEST_VARS = {"running": 1, "active": 1, "pending": 1, "epoch": 2, "clock_base": 4, "fine_hz": 4,
                  "per_tick": 4, "ticks": 4 * N, "fine": 4 * N, "uart_bytes": 4, "seq": 2, "since": 8 * N,
                  "pending_from": 8, "pending_to": 8}
_OPTIONAL = {"pending_from", "pending_to"}  # gone from an image that never sleeps (tinydtls-ecc polls)
_CLOCK_VARS = {"clock_overflows": 2}


class EnergestProbeError(RuntimeError):
    """The image has no energest (or not the layout this probe reads); the message names what lacks."""


def _file_symbols(elf: Path, files: dict[str, dict[str, int]]) -> dict[str, int]:
    """Addresses of file-local objects: {"energest.c": {"ticks": size, ...}} -> {"ticks": addr, ...}."""
    found: dict[str, int] = {}
    with elf.open("rb") as fh:
        symtab = ELFFile(fh).get_section_by_name(".symtab")
        if not isinstance(symtab, SymbolTableSection):
            raise EnergestProbeError(f"{elf}: no symbol table")
        current = ""
        for sym in symtab.iter_symbols():
            kind = sym["st_info"]["type"]
            if kind == "STT_FILE":
                current = sym.name
            elif kind == "STT_OBJECT" and sym.name in files.get(current, {}):
                if sym["st_size"] != files[current][sym.name]:
                    raise EnergestProbeError(f"{elf}: {current}'s {sym.name} is {sym['st_size']} bytes, the "
                                             f"probe reads {files[current][sym.name]}: energest.c changed")
                found[sym.name] = sym["st_value"]
    lacking = [n for names in files.values() for n in names if n not in found and n not in _OPTIONAL]
    if lacking:
        raise EnergestProbeError(f"{elf}: no {', '.join(lacking)} (firmware without energest?)")
    return found


def span_counts(a: tuple[int, int, int], now: tuple[int, int, int], per_tick: int) -> tuple[int, int]:
    """energest.c span_counts(): what the stretch from stamp `a` to stamp `now` ((ACLK ticks, TBR,
    epoch) each) adds to a state's counters, as (ACLK ticks, SMCLK counts)."""
    dt = (now[0] - a[0]) & _M32
    if now[2] != a[2] or dt >= FINE_MAX_TICKS:
        return dt, 0
    f = (now[1] - a[1]) & 0xFFFF
    counts = f
    if dt >= NO_WRAP_TICKS:
        estimate = ((dt * per_tick) & _M32) >> 8
        if estimate + 32768 > f:
            counts += ((estimate + 32768 - f) >> 16) << 16
    return 0, counts & _M32


@dataclass
class EnergestProbe:
    """Reads one emulated mote's energest (an emulator Mote, or anything with a `.mote` that is one)."""

    mote: Any
    elf: Path
    node: int
    held_ns: int = 0  # simulated time before the mote was powered (SkySimMote.start_at)

    def __post_init__(self) -> None:
        self._addr = _file_symbols(Path(self.elf), {"energest.c": _ENERGEST_VARS, "sky_clock.c": _CLOCK_VARS})

    @property
    def _core(self) -> Any:
        """The harness.emulator Mote (a SkySimMote's, fetched at each use: that brings a group member
        that stayed behind to the simulation's present, so RAM and timers are read as of now)."""
        return getattr(self.mote, "mote", self.mote)

    def _bytes(self, name: str) -> bytes:
        size = {**_ENERGEST_VARS, **_CLOCK_VARS}[name]
        return bytes(self._core.read_bytes(self._addr[name], size))

    def _u(self, name: str) -> int:
        return int.from_bytes(self._bytes(name), "little")

    def _stamps(self, name: str, count: int) -> list[tuple[int, int, int]]:
        return [(t, f, e) for t, f, e in struct.iter_unpack("<IHH", self._bytes(name)[: 8 * count])]

    def _aclk_now(self, clock_base: int) -> int:
        """sky_clock_ticks() + clock_base now: Timer_A's count with its overflows."""
        from harness.emulator.mote import lib

        lo = int(lib.timer_counter(self._core.ptr, lib.TIMER_A))
        served = ((self._u("clock_overflows") << 16) | lo) + clock_base
        # an overflow not served yet (TAIFG set, the ISR to come) leaves the count 2**16 behind; the
        # firmware looks at TAIFG, the probe at the simulated time (the boot estimate in clock_base is
        # a few ticks off the true power-on, far below the 2**16 ticks between the two candidates)
        ns = int(self._core.time_ns) - self.held_ns
        expected = ns * ACLK_HZ // 1_000_000_000
        late = (served + 0x10000) & _M32

        def off(v: int) -> int:
            return abs(((v - expected + 2**31) & _M32) - 2**31)

        return late if off(late) < off(served) else served & _M32

    def read(self) -> EnergestSample | None:
        """The counters energest_read() would return now; None before energest_init() ran."""
        from harness.emulator.mote import lib

        if not self._u("running"):
            return None
        active, per_tick, clock_base = self._u("active"), self._u("per_tick"), self._u("clock_base")
        ticks = list(struct.unpack(f"<{N}I", self._bytes("ticks")))
        fine = list(struct.unpack(f"<{N}I", self._bytes("fine")))
        if self._u("pending"):  # settle(): the CPU stretch the last sleep ended
            if "pending_to" not in self._addr:
                raise EnergestProbeError(f"{self.elf}: energest has a sleep to settle but no pending_to")
            (a,), (b,) = self._stamps("pending_from", 1), self._stamps("pending_to", 1)
            t, f = span_counts(a, b, per_tick)
            ticks[0], fine[0] = (ticks[0] + t) & _M32, (fine[0] + f) & _M32
        tbr = int(lib.timer_counter(self._core.ptr, lib.TIMER_B))
        now = (self._aclk_now(clock_base), tbr, self._u("epoch"))
        for i, since in enumerate(self._stamps("since", N)):
            if active & (1 << i):
                t, f = span_counts(since, now, per_tick)
                ticks[i], fine[i] = (ticks[i] + t) & _M32, (fine[i] + f) & _M32
        return EnergestSample(self.node, self._u("seq"), self._u("fine_hz"), now[0], tuple(ticks),
                              tuple(fine), self._u("uart_bytes"))
