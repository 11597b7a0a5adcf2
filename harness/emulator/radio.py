"""The CC2420 radio of an emulated Sky mote (the C model in csrc/dev_cc2420.c), for simulations.

    radio = Radio(mote)                        # wires the CC2420 to the mote's USART0/ports
    radio.on_transmit = lambda f: medium.send(radio, f)   # f: TxFrame (psdu incl. FCS, times, channel)
    other.receive(f.psdu, channel=f.channel, rssi_dbm=-60, start_ns=f.start_ns)

Times are simulated nanoseconds of the mote's clock (`Radio.now_ns`). A transmitting radio reports its
frame once, when it commits to it (the TX strobe), with the preamble start 192 us later: a receiver
must be handed the frame before its own clock passes `start_ns + 160 us` (the SFD) to receive it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from harness.emulator.mote import Mote, ffi, lib

BYTE_NS = 32_000  # 250 kb/s
TURNAROUND_NS = 192_000  # 12 symbol periods
SHR_BYTES = 5  # 4 preamble bytes + SFD
MODES = ("off", "powerdown", "idle", "listen", "transmit")
STATES = (
    "off",
    "vreg_starting",
    "power_down",
    "xosc_starting",
    "idle",
    "rx_calibrate",
    "rx_search",
    "rx_frame",
    "tx_calibrate",
    "tx_frame",
    "ack_calibrate",
    "ack_frame",
)
STATUS_BITS = {
    "xosc16m_stable": 0x40,
    "tx_underflow": 0x20,
    "enc_busy": 0x10,
    "tx_active": 0x08,
    "lock": 0x04,
    "rssi_valid": 0x02,
}


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
        return self.end_ns - self.start_ns


@ffi.def_extern()
def _cc2420_py_tx(ctx, r, psdu, length, channel, power, start_ns, end_ns):  # noqa: ANN001, ANN202
    radio: Radio = ffi.from_handle(ctx)
    frame = TxFrame(bytes(ffi.buffer(psdu, length)), channel, power, start_ns, end_ns, radio)
    radio.transmitted.append(frame)
    if radio.on_transmit is not None:
        try:
            radio.on_transmit(frame)
        except Exception as exc:  # noqa: BLE001 - cannot propagate through C; re-raised by check()
            radio._error = exc


def crc16_802154(data: bytes) -> int:
    """IEEE 802.15.4 FCS: CRC-16 ITU-T, init 0, bits LSB first; appended low byte first."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc


def with_fcs(mpdu: bytes) -> bytes:
    """MPDU without FCS -> PSDU (MPDU + FCS)."""
    return mpdu + crc16_802154(mpdu).to_bytes(2, "little")


def airtime_ns(psdu_len: int) -> int:
    """Preamble + SFD + length byte + PSDU at 250 kb/s."""
    return (SHR_BYTES + 1 + psdu_len) * BYTE_NS


class Radio:
    """A CC2420 attached to one Mote (lives as long as the mote; the mote keeps it alive)."""

    def __init__(self, mote: Mote) -> None:
        ptr = lib.cc2420_attach(mote.ptr)
        if ptr == ffi.NULL:
            raise RuntimeError(
                "cc2420_attach failed: USART0 already has an SPI device or port listeners full"
            )
        self.mote = mote
        self._r = ffi.gc(ptr, lib.cc2420_free)
        self._handle = ffi.new_handle(self)
        self.transmitted: list[TxFrame] = []
        self.on_transmit: Callable[[TxFrame], None] | None = None
        self._error: Exception | None = None
        lib.cc2420_set_tx_callback(self._r, lib._cc2420_py_tx, self._handle)
        # The C radio memory must outlive every run of the mote: the mote object holds it.
        radios = mote.__dict__.setdefault("_attached_radios", [])
        radios.append(self)

    # ---------------------------------------------------------------- the air
    def receive(
        self, psdu: bytes, *, channel: int, start_ns: int, rssi_dbm: int = -50, corr: int = 110
    ) -> None:
        """Put a frame (MPDU incl. FCS) on the air at this radio, preamble starting at start_ns."""
        buf = ffi.from_buffer("uint8_t[]", bytes(psdu))
        rc = lib.cc2420_receive(self._r, buf, len(psdu), channel, rssi_dbm, corr, start_ns)
        if rc == -1:
            raise ValueError(f"PSDU length {len(psdu)} outside 1..127")
        if rc == -2:
            raise RuntimeError("more than 8 frames on the air at one radio")

    def set_noise_dbm(self, dbm: int) -> None:
        lib.cc2420_set_noise_dbm(self._r, dbm)

    def set_channel_busy(self, busy: bool) -> None:
        lib.cc2420_set_channel_busy(self._r, int(bool(busy)))

    def set_channel_energy(self, channel: int, dbm: int) -> None:
        """Energy heard on one channel (11..26) besides frames given to receive(); -128: none."""
        lib.cc2420_set_channel_energy(self._r, channel, dbm)

    def corrupt(self, start_ns: int) -> bool:
        """Mark the frame on the air that started at start_ns as corrupted (CRC-OK = 0, no ack).
        False when too late (its last byte is already in the RXFIFO) or unknown."""
        return bool(lib.cc2420_corrupt(self._r, start_ns))

    def check(self) -> None:
        """Re-raise an exception raised by on_transmit inside the emulator run."""
        if self._error is not None:
            err, self._error = self._error, None
            raise err

    # ---------------------------------------------------------------- observation
    @property
    def now_ns(self) -> int:
        return lib.clk_now_ns(self.mote.ptr)

    @property
    def state(self) -> str:
        return STATES[lib.cc2420_state(self._r)]

    @property
    def channel(self) -> int:
        return lib.cc2420_channel(self._r)

    @property
    def component(self) -> int:
        return lib.cc2420_component(self._r)

    def reg(self, addr: int) -> int:
        return lib.cc2420_reg(self._r, addr)

    def ram(self, addr: int, n: int = 1) -> bytes:
        return bytes(lib.cc2420_ram(self._r, addr + i) for i in range(n))

    @property
    def status(self) -> dict[str, bool]:
        s = lib.cc2420_status(self._r)
        return {name: bool(s & bit) for name, bit in STATUS_BITS.items()}

    @property
    def rxfifo_count(self) -> int:
        return lib.cc2420_rxfifo_count(self._r)

    @property
    def rx_overflow(self) -> bool:
        return bool(lib.cc2420_rx_overflow(self._r))

    @property
    def pins(self) -> dict[str, int]:
        p = lib.cc2420_pins(self._r)
        return {"fifop": p & 1, "fifo": (p >> 1) & 1, "cca": (p >> 2) & 1, "sfd": (p >> 3) & 1}

    def stats(self) -> dict[str, int]:
        out = ffi.new("cc2420_stats_t *")
        lib.cc2420_get_stats(self._r, out)
        return {name: getattr(out, name) for name, _ in ffi.typeof("cc2420_stats_t").fields}

    def mode_cycles(self) -> dict[str, int]:
        """MCLK cycles spent in each radio mode (power tracker), current stretch included."""
        return self.mote.mode_cycles(self.component)


NO_ENERGY_DBM = -128


class CC2420SimRadio:
    """The harness.sim.interfaces.SimRadio face of a Radio, for the simulation engine's medium.

    Simulation time is in microseconds; the mote's radio time is `time_offset_ns` + 1000 x sim time.
    The medium reports corruption in deliver(), at the frame's end: call rx_corrupt() as soon as the
    medium knows (e.g. when the interfering frame starts) so the CRC-OK bit the firmware reads agrees.
    """

    def __init__(self, radio: Radio, time_offset_ns: int = 0) -> None:
        self.radio = radio
        self.offset_ns = time_offset_ns
        self.late_corruptions = 0  # deliver(crc_ok=False) that came after the frame's last byte

    def _us(self, ns: int) -> int:
        return (ns - self.offset_ns) // 1000

    def _ns(self, us: int) -> int:
        return us * 1000 + self.offset_ns

    def attach(self, sink) -> None:  # noqa: ANN001 - a harness.sim.interfaces.RadioSink
        def forward(f: TxFrame) -> None:
            sink.on_transmit(f.psdu, self._us(f.start_ns), self._us(f.end_ns), f.channel, f.power)

        self.radio.on_transmit = forward

    def channel(self) -> int:
        return self.radio.channel

    def listening(self) -> bool:
        return lib.cc2420_state(self.radio._r) == STATES.index("rx_search")

    def rx_start(self, frame: bytes, rssi: float, start_us: int, end_us: int) -> None:
        start_ns = self._ns(start_us)
        self.radio.receive(frame, channel=self.radio.channel, start_ns=start_ns, rssi_dbm=round(rssi))

    def rx_corrupt(self, start_us: int) -> bool:
        return self.radio.corrupt(self._ns(start_us))

    def air_energy(self, levels: dict[int, float]) -> None:
        for ch in range(11, 27):
            self.radio.set_channel_energy(ch, round(levels[ch]) if ch in levels else NO_ENERGY_DBM)

    def deliver(self, frame: bytes, rssi: float, crc_ok: bool, start_us: int) -> None:
        if not crc_ok and not self.rx_corrupt(start_us):
            self.late_corruptions += 1
