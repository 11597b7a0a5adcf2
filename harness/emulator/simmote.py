"""The emulated Tmote Sky as a simulation mote (harness.sim.interfaces.SimMote) and the group
stepper that runs many of them in C (csrc/sim_group.c).

    mote = SkySimMote("build/radiotest/radiotest.sky", mote_id=1, adc={10: 2200})
    mote.run_until(1_000_000)                 # µs of simulated time since power-on
    mote.drain_uart_tx()                      # [(time_us, byte), ...]

Simulated time 0 is the mote's power-on reset; the mote's clock module converts cycles to
nanoseconds exactly (across DCO changes), and the simulation's microseconds are those
nanoseconds / 1000.

Power (Contiki energest conventions): CPU = CPU active, LPM = LPM0..LPM4, TX = radio transmitting
(strobe to last bit, acknowledgements included), RX = radio listening or receiving (calibration
included). Times are tracked in nanoseconds at every mode change (csrc/sim_group.c).

The radio face is harness.emulator.radio.SkyRadio over the mote's CC2420 model (Radio).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from harness import proc
from harness.emulator.core_build import ensure_built

ensure_built()

from harness.emulator.elf import ElfImage, load_elf, symbol_problems  # noqa: E402
from harness.emulator.errors import SerialOverflow  # noqa: E402
from harness.emulator.mote import EmulatorFault, Mote, ffi, lib, setup_error  # noqa: E402
from harness.emulator.radio import MODES, Radio, SkyRadio  # noqa: E402
from harness.emulator.resets import ResetEvent, last_cause  # noqa: E402
from harness.emulator.sky_devices import DS2411, M25P80, SHT11  # noqa: E402
from harness.emulator.translate import TranslateError, Translation, build  # noqa: E402
from harness.emulator.unmodelled import UnmodelledUse  # noqa: E402
from harness.wire.ieee802154 import TURNAROUND_US  # noqa: E402

LOOKAHEAD_US = TURNAROUND_US  # CC2420: a TX strobe puts the first preamble symbol on air 12 symbols later
ADC_CHANNELS = {"light": 4, "temperature": 10}  # Sky: light sensor on A4; internal diode on INCH 10
_RADIO_LISTEN = MODES.index("listen")
_RADIO_TRANSMIT = MODES.index("transmit")
_UART_TAKE = 4096


_ELF_CACHE: dict[tuple[Path, int, int], ElfImage] = {}
_XLAT_CACHE: dict[tuple[Path, int, int], Translation] = {}


def _file_key(path: Path) -> tuple[Path, int, int]:
    st = path.stat()
    return (path.resolve(), st.st_mtime_ns, st.st_size)


def _elf_image(path: Path) -> ElfImage:
    """Parse each firmware file once per process (a 100-mote simulation loads one ELF 100 times)."""
    key = _file_key(path)
    image = _ELF_CACHE.get(key)
    if image is None:
        image = _ELF_CACHE[key] = load_elf(path)
    return image


def _translate(mote: Mote, firmware: Path, mote_id: int) -> None:
    """Attach the firmware's translated code to `mote` (just loaded); the translation is built once
    per firmware file per process (a 1000-mote simulation: one build, 1000 attaches).
    ValueError naming the mote and firmware when it cannot be translated or compiled."""
    key = _file_key(firmware)
    try:
        t = _XLAT_CACHE.get(key)
        if t is None:
            t = _XLAT_CACHE[key] = build(mote)
        t.attach(mote)
    except (TranslateError, proc.ToolMissing, proc.CommandFailed) as exc:
        raise ValueError(f"mote {mote_id}: cannot run {firmware.resolve()} translated: {exc}") from None


def adc_channel(key: str | int) -> int:
    """An ADC12 input channel by number (0..15) or by sensor name (light, temperature)."""
    if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
        ch = int(key)
    elif key in ADC_CHANNELS:
        ch = ADC_CHANNELS[key]
    else:
        raise ValueError(f"unknown ADC channel {key!r} (0..15 or one of {', '.join(ADC_CHANNELS)})")
    if not 0 <= ch <= 15:
        raise ValueError(f"ADC channel {ch} outside 0..15")
    return ch


class MoteFault(RuntimeError):
    """An emulated mote of a simulation faulted; names the mote, its firmware, PC and symbol."""


class SkySimMote:
    """One emulated Sky mote (MSP430F1611 + CC2420) on the simulation timeline."""

    lookahead_us = LOOKAHEAD_US

    def __init__(
        self,
        firmware: str | Path,
        mote_id: int,
        adc: Mapping[str | int, int] | None = None,
        with_radio: bool = True,
        translate: bool = False,
        sht11: Mapping[str, float] | None = None,
    ) -> None:
        self.mote_id = mote_id
        self.firmware = Path(firmware)
        self.translate = translate  # run the flash code translated (harness.emulator.translate)
        image = _elf_image(self.firmware)
        if not image.symbols:  # Cooja/MSPSim refuse such an ELF too; never run it silently
            raise ValueError(f"mote {mote_id}: {symbol_problems(image)[0]}")
        self._group: SkyMoteGroup | None = None
        self._mote = Mote(image, node_id=mote_id)
        if translate:  # before a group shares code: members of one module share one cache
            _translate(self._mote, self.firmware, mote_id)
        for key, value in (adc or {}).items():
            if not 0 <= int(value) <= 4095:
                raise ValueError(f"mote {mote_id}: ADC value {value} for channel {key!r} outside 0..4095")
            lib.adc_set_channel(self.mote.ptr, adc_channel(key), int(value))
        # the Sky's serial number (its own per mote) and serial flash, as on the real board
        self.ds2411 = DS2411(self.mote)
        self.flash = M25P80(self.mote)
        # the SHT11's environment: {"temperature": C, "humidity": %RH} (defaults 25 C, 50 %RH)
        env = dict(sht11 or {})
        unknown = sorted(set(env) - {"temperature", "humidity"})
        if unknown:
            keys = ", ".join(unknown)
            raise ValueError(f"mote {mote_id}: unknown SHT11 key(s) {keys} (temperature, humidity)")
        try:
            self.sht11 = SHT11(self.mote, env.get("temperature", 25.0), env.get("humidity", 50.0))
        except ValueError as e:
            raise ValueError(f"mote {mote_id}: {e}") from None
        self._radio: SkyRadio | None = None
        if with_radio:
            label = f"mote {mote_id}"
            self._radio = SkyRadio(Radio(self.mote), label, self._radio_frame, self._radio_error)
        sim = lib.simm_attach(self._mote.ptr)
        if sim == ffi.NULL:
            raise setup_error(f"mote {mote_id}: simm_attach failed")
        self._sim = ffi.gc(sim, lib.simm_free)
        if self._radio is not None:
            self._radio.sim = self._sim
        # the C bookkeeping is called from the mote's listeners: it must live as long as the mote
        self.mote.__dict__.setdefault("_sim_state", []).append(self._sim)
        self._at_us = lib.simm_now_ns(self._sim) // 1000
        self._error: Exception | None = None
        self._lost_reported = 0
        self._held: list[tuple[int, int]] = []  # taken when a loss was raised: returned next time
        self._times = ffi.new("uint64_t[]", _UART_TAKE)
        self._bytes = ffi.new("uint8_t[]", _UART_TAKE)
        self._held_ns = 0  # simulated time before the mote powered on (start_at)
        self._resets_seen = 0

    def start_at(self, time_us: int) -> None:
        """Power the mote on at simulated time `time_us` instead of 0 (Cooja's start-up delay);
        call before the first run. Until then it is held unpowered (csrc/sim_start.h)."""
        if self.now_us() != 0 or time_us < 0:
            raise ValueError(f"mote {self.mote_id}: start_at({time_us}) needs a fresh mote and a time >= 0")
        if time_us == 0:
            return
        h = lib.sim_start_hold(self.mote.ptr, time_us * 1000)
        if h == ffi.NULL:
            raise MemoryError("sim_start_hold failed")
        self.mote.__dict__.setdefault("_sim_state", []).append(ffi.gc(h, lib.sim_start_free))
        self._held_ns = lib.sim_start_held_ns(h)

    @property
    def mote(self) -> Mote:
        """The emulated mote, brought to the simulation's present first: a group member stays behind
        while nothing can happen to it (csrc/sim_group.h), and whoever reads or changes it through
        this handle sees it at the group's time (and the group recomputes when it wakes)."""
        if self._group is not None:
            lib.simm_sync(self._sim)
        return self._mote

    # the engine groups motes that share a group class and steps them in one call
    @property
    def group_class(self) -> type[SkyMoteGroup]:
        """The class that steps motes of this kind together (SkyMoteGroup)."""
        return SkyMoteGroup

    @property
    def radio(self) -> SkyRadio | None:
        """The mote's radio face for the medium (None without a radio)."""
        return self._radio

    def now_us(self) -> int:
        """The mote's simulated time in microseconds (a group member's is its group's: one store per
        group run instead of one per member)."""
        g = self._group
        return self._at_us if g is None else g.reached

    def run_until(self, time_us: int) -> None:
        """Run the mote up to simulated time `time_us`."""
        if time_us <= self.now_us():
            return
        rc = lib.simm_run_until_ns(self._sim, time_us * 1000)
        self._at_us = time_us
        self.raise_fault(rc)
        self.check()

    def _radio_frame(self) -> None:
        # inside the run: the model committed to a frame; the group ends its window (sim_group.h)
        if self._group is not None:
            lib.simg_note_event(self._group._g)

    def _radio_error(self, exc: Exception) -> None:
        # inside the run: exceptions cannot cross C; the mote or its group re-raises after the run
        self._error = exc
        if self._group is not None:
            self._group._error = exc

    def raise_fault(self, rc: int) -> None:
        """Raise MoteFault for a fault return code of the C core."""
        try:
            self._mote._check(rc)
        except EmulatorFault as exc:
            raise MoteFault(f"mote {self.mote_id} ({self.firmware.name}): {exc}") from exc

    def check(self) -> None:
        """Re-raise an exception raised while the mote ran (e.g. by the medium in a TX callback)."""
        if self._error is not None:
            err, self._error = self._error, None
            raise err

    def unmodelled(self) -> list[UnmodelledUse]:
        """Parts of the chip this mote's firmware used that the emulator does not model."""
        return self.mote.unmodelled()

    def take_resets(self) -> list[ResetEvent]:
        """PUCs since the last call (several in one engine window: one event each, at the latest's
        time and cause; the C core keeps only the latest)."""
        n = lib.simm_resets(self._sim)
        if n == self._resets_seen:
            return []
        new, self._resets_seen = n - self._resets_seen, n
        t_us = lib.simm_last_reset_ns(self._sim) // 1000
        return [ResetEvent(t_us, self.mote_id, last_cause(self.mote.ptr))] * new

    def uart_rx(self, data: bytes) -> None:
        """Bytes arrive at UART1 now (the engine paces them); SerialOverflow if the queue is full."""
        self.mote.write_serial(data)

    def drain_uart_tx(self) -> list[tuple[int, int]]:
        """UART1 bytes since the last call as (time_us, byte); SerialOverflow if some were lost."""
        out, self._held = self._held, []
        while True:
            n = lib.simm_uart_take(self._sim, self._times, self._bytes, _UART_TAKE)
            if n == 0:
                break
            out += [(self._times[i] // 1000, self._bytes[i]) for i in range(n)]
        lost = lib.simm_uart_dropped(self._sim) - self._lost_reported
        if lost:
            self._lost_reported += lost  # raised once per loss; what was kept comes with the next call
            self._held = out
            raise SerialOverflow(
                f"mote {self.mote_id}: {lost} byte(s) of UART1 output lost (not taken from the "
                "simulation buffer in time)"
            )
        return out

    # ---- harness.target.SimulatedMote ----
    @property
    def node_id(self) -> int:
        """The simulation's mote id, which is the firmware's node_id."""
        return self.mote_id

    @property
    def time_ns(self) -> int:
        """Simulated nanoseconds since power-on."""
        return int(lib.simm_now_ns(self._sim))

    def read_serial(self) -> bytes:
        """UART1 bytes since the last call (on an engine, the engine takes them: use its listeners)."""
        return bytes(b for _, b in self.drain_uart_tx())

    def write_serial(self, data: bytes) -> None:
        """Queue `data` for UART1's receiver; SerialOverflow when the queue cannot take it all."""
        self.mote.write_serial(data)

    def reset(self) -> None:
        """Power-on reset of the MSP430 (the CC2420 follows its pins; simulated time goes on)."""
        self.mote.reset()

    def load(self, elf: str | Path) -> ElfImage:
        """Replace the firmware (same node id) and reset (translated again when the mote runs
        translated: loading detaches the old firmware's code)."""
        self.firmware = Path(elf)
        image = self.mote.load(_elf_image(self.firmware), node_id=self.mote_id)
        if self.translate:
            _translate(self._mote, self.firmware, self.mote_id)
        return image

    def run_for(self, seconds: float) -> None:
        """Advance this mote alone by `seconds` (outside an engine)."""
        self.run_until(self.now_us() + round(seconds * 1e6))

    def power(self) -> dict[str, int]:
        """Microseconds in each power state (CPU, LPM, TX, RX) since power-on."""
        return {state: ns // 1000 for state, ns in self.power_ns().items()}

    def power_ns(self) -> dict[str, int]:
        """Nanoseconds in each power state (CPU, LPM, TX, RX) since power-on: the core's tracker."""
        s = self._sim
        # the held stretch before power-on is tracked as LPM4: it is no time of the running mote
        lpm = max(0, sum(lib.simm_mode_ns(s, 0, mode) for mode in range(1, 6)) - self._held_ns)
        out = {"CPU": int(lib.simm_mode_ns(s, 0, 0)), "LPM": int(lpm), "TX": 0, "RX": 0}
        if self._radio is not None:
            comp = lib.cc2420_component(self._radio._r)
            out["TX"] = int(lib.simm_mode_ns(s, comp, _RADIO_TRANSMIT))
            out["RX"] = int(lib.simm_mode_ns(s, comp, _RADIO_LISTEN))
        return out


class SkyMoteGroup:
    """Several SkySimMotes stepped together in C (csrc/sim_group.c), for harness.sim.engine.

    `run_until(now_us, limit_us)` advances every member from now_us (where they all stand) towards
    limit_us in windows no longer than the lookahead allows (see sim_group.h), and returns early,
    at a window end, once a member committed a frame to the air or completed a UART line: every
    frame decided during the call starts at or after the time returned."""

    def __init__(self, motes: Sequence[SkySimMote]) -> None:
        g = lib.simg_create(LOOKAHEAD_US * 1000)
        if g == ffi.NULL:
            raise MemoryError("simg_create failed")
        self._g = ffi.gc(g, lib.simg_free)
        self.motes = list(motes)
        self._error: Exception | None = None
        for m in self.motes:
            if m._group is not None:
                raise ValueError(f"mote {m.mote_id} is already in a group")
            if lib.simg_add(self._g, m._sim) < 0:
                raise setup_error(f"mote {m.mote_id}: simg_add failed")
            m._group = self
            m.__dict__["_group_ref"] = self._g  # free the group only after its members
        self._reached = ffi.new("uint64_t *")
        self._fault = ffi.new("int *")
        self._resets_seen = 0
        self.reached = max((m._at_us for m in self.motes), default=0)  # members' time (now_us)
        self._uart_idx = ffi.new("int[]", max(1, len(self.motes)))

    @property
    def windows(self) -> int:
        """The number of windows the group has stepped."""
        return lib.simg_windows(self._g)

    @property
    def member_runs(self) -> int:
        """The number of member runs inside those windows (only members that woke in a window run)."""
        return lib.simg_runs(self._g)

    def run_until(self, now_us: int, limit_us: int) -> int:
        """Advance every member from `now_us` towards `limit_us`; the time reached."""
        rc = lib.simg_run(self._g, now_us, limit_us, self._reached, self._fault)
        reached = self.reached = self._reached[0]
        if rc >= 2:
            self.motes[self._fault[0]].raise_fault(rc)
        if self._error is not None:
            err, self._error = self._error, None
            for m in self.motes:
                m._error = None
            raise err
        return reached

    def take_resets(self) -> list[ResetEvent]:
        """Members' PUCs since the last call (one counter polled; members scanned only after one)."""
        n = lib.simg_resets(self._g)
        if n == self._resets_seen:
            return []
        self._resets_seen = n
        return [ev for m in self.motes for ev in m.take_resets()]

    def uart_members(self) -> list[SkySimMote]:
        """The members with UART output waiting."""
        n = lib.simg_uart_members(self._g, self._uart_idx, len(self.motes))
        if not n:
            return []
        return [self.motes[self._uart_idx[i]] for i in range(n)]
