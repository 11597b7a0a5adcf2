"""The Python side of the CC2420 radio of an emulated Sky mote (the C model in csrc/dev_cc2420.c).

`Radio` binds the model to one Mote; `SkyRadio` is its face for the simulation's medium
(harness.sim.interfaces.SimRadio), used by harness.emulator.simmote.SkySimMote:

    radio = Radio(mote)                        # wires the CC2420 to the mote's USART0/ports
    radio.on_transmit = lambda f: medium.send(radio, f)   # f: TxFrame (psdu incl. FCS, times, channel)
    other.receive(f.psdu, channel=f.channel, rssi_dbm=-60, start_ns=f.start_ns)

Times are simulated nanoseconds of the mote's clock (`Radio.now_ns`). A transmitting radio reports its
frame once, when it commits to it (the TX strobe), with the preamble start 192 us later: a receiver
must be handed the frame before its own clock passes `start_ns + 160 us` (the SFD) to receive it.
802.15.4 frame helpers (FCS, air time): harness.wire.ieee802154.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from harness.emulator.mote import Mote, ffi, lib, setup_error


def _enum_names(prefix: str) -> tuple[str, ...]:
    """The names of a csrc/dev_cc2420.h enum, lower-case without `prefix`, in value order (via cffi)."""
    names = sorted((n for n in dir(lib) if n.startswith(prefix)), key=lambda n: getattr(lib, n))
    values = [getattr(lib, n) for n in names]
    assert values == list(range(len(names))), f"{prefix}* is not 0..n-1: {names} = {values}"
    return tuple(n.removeprefix(prefix).lower() for n in names)


# Timing and state names come from csrc/dev_cc2420.h through the cffi cdef.
BYTE_NS = lib.CC2420_BYTE_NS
TURNAROUND_NS = lib.CC2420_TURNAROUND_NS
RX_CORRELATION = lib.MED_RX_CORRELATION  # reported for a clean reception (datasheet typical)
MODES = _enum_names("CC2420_MODE_")  # off, powerdown, idle, listen, transmit
_STATE_NAMES = ffi.typeof("enum cc2420_state").elements  # {value: name}
STATES = tuple(name.removeprefix("CC2420_").lower() for _, name in sorted(_STATE_NAMES.items()))
_STATUS_NAMES = sorted((n for n in dir(lib) if n.startswith("CC2420_ST_")), key=lambda n: -getattr(lib, n))
STATUS_BITS = {name.removeprefix("CC2420_ST_").lower(): getattr(lib, name) for name in _STATUS_NAMES}


@dataclass(frozen=True)
class TxFrame:
    """A frame a radio put on the air: PSDU = MPDU incl. the 2-byte FCS."""

    psdu: bytes
    channel: int  # 11..26 (or -(MHz) between channels)
    power: int  # TXCTRL.PA_LEVEL 0..31 (31 = 0 dBm)
    start_ns: int  # preamble start
    end_ns: int  # last bit on the air
    sender: Radio

    @property
    def airtime_ns(self) -> int:
        """The frame's time on the air in nanoseconds."""
        return self.end_ns - self.start_ns


@ffi.def_extern()
def _cc2420_py_tx(ctx, r, psdu, length, channel, power, start_ns, end_ns):  # noqa: ANN001, ANN202
    radio: Radio = ffi.from_handle(ctx)
    frame = TxFrame(bytes(ffi.buffer(psdu, length)), channel, power, start_ns, end_ns, radio)
    if radio.keep_transmitted:
        radio.transmitted.append(frame)
    if radio.on_transmit is not None:
        try:
            radio.on_transmit(frame)
        except Exception as exc:  # noqa: BLE001 - cannot propagate through C; re-raised by check()
            radio._error = exc


class Radio:
    """A CC2420 attached to one Mote (lives as long as the mote; the mote keeps it alive)."""

    def __init__(self, mote: Mote) -> None:
        ptr = lib.cc2420_attach(mote.ptr)
        if ptr == ffi.NULL:
            raise setup_error("cc2420_attach failed")
        self.mote = mote
        self._r = ffi.gc(ptr, lib.cc2420_free)
        self._handle = ffi.new_handle(self)
        self.transmitted: list[TxFrame] = []
        self.keep_transmitted = True  # False: a long simulation must not grow `transmitted`
        self.on_transmit: Callable[[TxFrame], None] | None = None
        self._error: Exception | None = None
        lib.cc2420_set_tx_callback(self._r, lib._cc2420_py_tx, self._handle)
        # The C radio memory must outlive every run of the mote: the mote object holds it.
        radios = mote.__dict__.setdefault("_attached_radios", [])
        radios.append(self)

    # ---------------------------------------------------------------- the air
    def receive(
        self, psdu: bytes, *, channel: int, start_ns: int, rssi_dbm: int = -50, corr: int = RX_CORRELATION
    ) -> None:
        """Put a frame (MPDU incl. FCS) on the air at this radio, preamble starting at start_ns."""
        buf = ffi.from_buffer("uint8_t[]", bytes(psdu))
        rc = lib.cc2420_receive(self._r, buf, len(psdu), channel, rssi_dbm, corr, start_ns)
        if rc == -1:
            raise ValueError(f"PSDU length {len(psdu)} outside 1..127")
        if rc == -2:
            raise RuntimeError("more than 8 frames on the air at one radio")

    def set_noise_dbm(self, dbm: int) -> None:
        """Set the background noise level the radio hears, in dBm."""
        lib.cc2420_set_noise_dbm(self._r, dbm)

    def set_channel_busy(self, busy: bool) -> None:
        """Force the CCA pin to busy (True) or leave it to the energy heard (False)."""
        lib.cc2420_set_channel_busy(self._r, int(bool(busy)))

    def set_channel_energy(self, channel: int, dbm: int) -> None:
        """Energy heard on one channel (11..26) besides frames given to receive(); -128: none."""
        lib.cc2420_set_channel_energy(self._r, channel, dbm)

    def corrupt(self, start_ns: int) -> bool:
        """Mark the frame given to receive() with this start_ns (even if it started late) as
        corrupted (CRC-OK = 0, no ack). False when too late (its last byte is already in the RXFIFO)
        or unknown."""
        return bool(lib.cc2420_corrupt(self._r, start_ns))

    def check(self) -> None:
        """Re-raise an exception raised by on_transmit inside the emulator run."""
        if self._error is not None:
            err, self._error = self._error, None
            raise err

    # ---------------------------------------------------------------- observation
    @property
    def now_ns(self) -> int:
        """The mote clock's simulated nanoseconds since power-on."""
        return lib.clk_now_ns(self.mote.ptr)

    @property
    def state(self) -> str:
        """The radio's current state name."""
        return STATES[lib.cc2420_state(self._r)]

    @property
    def channel(self) -> int:
        """The current 802.15.4 channel."""
        return lib.cc2420_channel(self._r)

    @property
    def component(self) -> int:
        """The radio's power-tracker component number in the mote."""
        return lib.cc2420_component(self._r)

    def reg(self, addr: int) -> int:
        """The value of CC2420 register `addr`."""
        return lib.cc2420_reg(self._r, addr)

    def ram(self, addr: int, n: int = 1) -> bytes:
        """`n` bytes of the radio's RAM from `addr`."""
        return bytes(lib.cc2420_ram(self._r, addr + i) for i in range(n))

    @property
    def status(self) -> dict[str, bool]:
        """The status byte's bits by name."""
        s = lib.cc2420_status(self._r)
        return {name: bool(s & bit) for name, bit in STATUS_BITS.items()}

    @property
    def rxfifo_count(self) -> int:
        """The number of bytes in the RXFIFO."""
        return lib.cc2420_rxfifo_count(self._r)

    @property
    def rx_overflow(self) -> bool:
        """True when the RXFIFO has overflowed."""
        return bool(lib.cc2420_rx_overflow(self._r))

    @property
    def pins(self) -> dict[str, int]:
        """The levels of the FIFOP, FIFO, CCA and SFD pins."""
        p = lib.cc2420_pins(self._r)
        return {"fifop": p & 1, "fifo": (p >> 1) & 1, "cca": (p >> 2) & 1, "sfd": (p >> 3) & 1}

    def stats(self) -> dict[str, int]:
        """The radio model's counters by name."""
        out = ffi.new("cc2420_stats_t *")
        lib.cc2420_get_stats(self._r, out)
        return {name: getattr(out, name) for name, _ in ffi.typeof("cc2420_stats_t").fields}

    def mode_cycles(self) -> dict[str, int]:
        """MCLK cycles spent in each radio mode (power tracker), current stretch included."""
        return self.mote.mode_cycles(self.component)


class _RadioSink(Protocol):
    """Where SkyRadio reports a transmission: harness.sim.interfaces.RadioSink (a floor above)."""

    def on_transmit(self, frame: bytes, start_us: int, end_us: int, channel: int, power: int) -> None: ...


class SkyRadio:
    """The harness.sim.interfaces.SimRadio face of a Radio, for the simulation's medium.

    Simulated time (µs) is the mote clock's nanoseconds / 1000. A frame the model commits to at a TX
    strobe goes to the medium with its exact air times; frames the medium hands over go into the
    model's receiver (a frame handed over a fraction of an instruction after its start starts "now"
    and counts in stats rx_late; it keeps its start as its identity); a reception the medium finds
    corrupted (collision) is marked at once (`corrupt_reception`), so the firmware reads CRC-OK = 0;
    what the radio hears (air_energy) feeds its CCA pin and RSSI register.

    The rules for feeding the model live in C, in the radio's port (csrc/sim_medium.h med_port_*):
    the simulation's medium feeds the model through it directly (`c_model`), and the methods here,
    for host code that drives a radio itself, call the same port, so `late_corruptions` counts
    whichever path drove the radio.

    on_frame: called inside the emulator run when the model commits to a frame (before the medium
    hears of it). on_error: gets an exception the medium raised inside the run (it cannot cross C);
    without one it is kept for Radio.check().
    """

    def __init__(
        self,
        radio: Radio,
        label: str = "radio",
        on_frame: Callable[[], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        self.radio = radio
        self.label = label  # names the mote in errors
        self._r = radio._r
        self._on_frame = on_frame
        self._on_error = on_error
        self._sink: _RadioSink | None = None
        port = lib.med_port_create(self._r)
        if port == ffi.NULL:
            raise MemoryError("med_port_create failed")
        self._port = ffi.gc(port, lib.med_port_free)
        self._sim = ffi.NULL

    @property
    def sim(self) -> object:
        """The simulation bookkeeping of the radio's mote (csrc/sim_group.h simm_t *) or NULL: a mote
        stepped lazily is brought to its group's time before the port feeds its model."""
        return self._sim

    @sim.setter
    def sim(self, sim: object) -> None:
        self._sim = sim  # kept alive here: the port holds it
        lib.med_port_set_sim(self._port, sim)

    @property
    def c_model(self) -> object:
        """The radio's port (med_port_t *) for the medium's C side (csrc/sim_medium.h), which feeds
        the model through it, as rx_start, corrupt_reception, air_energy and deliver do here."""
        return self._port

    @property
    def late_corruptions(self) -> int:
        """Corruptions that came too late for the model to mark (its last byte was in), by any path."""
        return int(lib.med_port_late(self._port))

    def attach(self, sink: _RadioSink) -> None:
        """Called once by the engine: from then on transmissions go to `sink.on_transmit`."""
        self._sink = sink
        self.radio.keep_transmitted = False
        self.radio.on_transmit = self._forward

    def _forward(self, f: TxFrame) -> None:
        if self._on_frame is not None:
            self._on_frame()
        try:
            if self._sink is None:
                raise RuntimeError(f"{self.label}: the radio transmitted before it was attached to a medium")
            power = min(max(f.power, 0), 31)
            self._sink.on_transmit(f.psdu, f.start_ns // 1000, f.end_ns // 1000, f.channel, power)
        except Exception as exc:
            if self._on_error is None:
                raise  # Radio keeps it for check()
            self._on_error(exc)

    def channel(self) -> int:
        """The current 802.15.4 channel (11..26)."""
        return lib.cc2420_channel(self._r)

    def listening(self) -> bool:
        """True when the receiver can sync to a frame now."""
        return bool(lib.med_port_listening(self._port))

    def rx_start(self, frame: bytes, rssi: float, start_us: int, end_us: int) -> None:
        """A frame the medium hands over begins on air (preamble at `start_us`): into the model's receiver."""
        rc = lib.med_port_rx_start(self._port, frame, len(frame), rssi, start_us)
        if rc == -1:
            raise ValueError(f"{self.label}: PSDU length {len(frame)} outside 1..127")
        if rc == -2:
            raise RuntimeError(f"{self.label}: more than 8 frames on the air at once")

    def corrupt_reception(self, start_us: int) -> bool:
        """The medium saw the reception that began at start_us collide: CRC-OK = 0 in the RXFIFO.
        False when too late (its last byte is already in the RXFIFO) or unknown."""
        return bool(lib.med_port_corrupt(self._port, start_us))

    def air_energy(self, levels: dict[int, float]) -> None:
        """What the radio hears on each channel (dBm), for its CCA pin and RSSI register."""
        n = len(levels)
        lib.med_port_energy(self._port, list(levels), list(levels.values()), n)

    def deliver(self, frame: bytes, rssi: float, crc_ok: bool, start_us: int) -> None:
        """The medium's verdict on a reception: a collision it could not mark in time counts as late."""
        lib.med_port_deliver(self._port, start_us, int(crc_ok))
