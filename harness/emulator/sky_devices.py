"""The Tmote Sky's other chips next to the MCU and the radio: the DS2411 serial number (1-Wire, P2.4),
the M25P80 serial flash (USART0 SPI, S on P4.4) and the SHT11 temperature/humidity sensor (DATA P1.5,
SCK P1.6, VDD P1.7), C models in csrc/dev_ds2411.c, dev_m25p80.c, dev_sht11.c.

    mote = Mote(elf, node_id=3)
    ds = DS2411(mote)                 # serial number from the node id (sky_serial)
    flash = M25P80(mote)
    flash.read(0x20000, 5)
    sht = SHT11(mote, temperature=21.5, humidity=40.0)
    sht.temperature = -5.0            # what the next measurement reports
"""

from __future__ import annotations

import math
from typing import Any

from harness.emulator.mote import Mote, ffi, lib


def sky_serial(node_id: int) -> bytes:
    """The 48-bit DS2411 serial number (sent first byte first) an emulated mote gets: its node id,
    little-endian, in the first two bytes, so every mote of a simulation has its own."""
    if not 0 <= node_id <= 0xFFFF:
        raise ValueError(f"node id {node_id} outside 0..65535")
    return bytes([node_id & 0xFF, node_id >> 8, 0, 0, 0, 0])


def _keep(mote: Mote, obj: Any) -> None:
    # the device model is called from the mote's listeners: it must live as long as the mote
    mote.__dict__.setdefault("_devices", []).append(obj)


class DS2411:
    """The DS2411 silicon serial number on P2.4 of `mote`."""

    def __init__(self, mote: Mote, serial: bytes | None = None) -> None:
        serial = sky_serial(mote.ptr.node_id) if serial is None else bytes(serial)
        if len(serial) != 6:
            raise ValueError(f"a DS2411 serial number has 6 bytes, not {len(serial)}")
        d = lib.ds2411_attach(mote.ptr, serial)
        if d == ffi.NULL:
            raise MemoryError("ds2411_attach failed (port listeners full?)")
        self._d = ffi.gc(d, lib.ds2411_free)
        _keep(mote, self._d)

    @property
    def rom(self) -> bytes:
        """The 64-bit registration number as sent: family 01h, serial, CRC-8."""
        out = ffi.new("uint8_t[8]")
        lib.ds2411_rom(self._d, out)
        return bytes(out)

    @property
    def presences(self) -> int:
        """How many reset/presence pulses the DS2411 answered."""
        return int(lib.ds2411_presences(self._d))

    @property
    def rom_reads(self) -> int:
        """How many times its ROM (the serial number) was read."""
        return int(lib.ds2411_rom_reads(self._d))


class M25P80:
    """The M25P80 8-Mbit serial flash on USART0 of `mote` (erased: all FFh)."""

    SIZE = 0x100000

    def __init__(self, mote: Mote) -> None:
        f = lib.m25p80_attach(mote.ptr)
        if f == ffi.NULL:
            raise MemoryError("m25p80_attach failed (SPI bus or port listeners full?)")
        self._f = ffi.gc(f, lib.m25p80_free)
        _keep(mote, self._f)

    def read(self, addr: int, n: int) -> bytes:
        """n bytes from addr (host view, no timing)."""
        buf = ffi.new("uint8_t[]", n)
        lib.m25p80_read(self._f, addr, buf, n)
        return bytes(buf)

    def write(self, addr: int, data: bytes) -> None:
        """Put bytes into the memory from the host (e.g. a preloaded image)."""
        lib.m25p80_write(self._f, addr, data, len(data))

    @property
    def status(self) -> int:
        """The flash's status register."""
        return int(lib.m25p80_status(self._f))

    @property
    def programs(self) -> int:
        """How many page programs it performed."""
        return int(lib.m25p80_programs(self._f))

    @property
    def erases(self) -> int:
        """How many erases it performed."""
        return int(lib.m25p80_erases(self._f))


SHT11_T_RANGE = (-40.0, 123.8)  # degrees C, the datasheet's operating range
SHT11_RH_RANGE = (0.0, 100.0)


def _check_sht11_env(temperature: float, humidity: float) -> tuple[float, float]:
    t, rh = float(temperature), float(humidity)
    (tlo, thi), (hlo, hhi) = SHT11_T_RANGE, SHT11_RH_RANGE
    if not (math.isfinite(t) and tlo <= t <= thi):
        raise ValueError(f"SHT11 temperature {temperature!r} C outside {tlo}..{thi}")
    if not (math.isfinite(rh) and hlo <= rh <= hhi):
        raise ValueError(f"SHT11 humidity {humidity!r} %RH outside {hlo:g}..{hhi:g}")
    return t, rh


def _sht11_counter(fn: str, doc: str) -> Any:
    # a read-only int property over one of the model's counters (lib.<fn>(model))
    return property(lambda self: int(getattr(lib, fn)(self._s)), doc=doc)


class SHT11:
    """The SHT11 temperature/humidity sensor on P1.5 (DATA), P1.6 (SCK), P1.7 (VDD) of `mote`, in an
    environment of `temperature` degrees C and `humidity` %RH (settable any time)."""

    def __init__(self, mote: Mote, temperature: float = 25.0, humidity: float = 50.0) -> None:
        t, rh = _check_sht11_env(temperature, humidity)
        s = lib.sht11_attach(mote.ptr, t, rh)
        if s == ffi.NULL:
            raise MemoryError("sht11_attach failed: " + ffi.string(lib.mote_setup_error()).decode())
        self._s = ffi.gc(s, lib.sht11_free)
        self._t, self._rh = t, rh
        _keep(mote, self._s)

    def set_environment(self, temperature: float, humidity: float) -> None:
        """Set both values the next measurements report (ValueError naming a value out of range)."""
        t, rh = _check_sht11_env(temperature, humidity)
        if lib.sht11_set_env(self._s, t, rh) != 0:  # pragma: no cover - checked above
            raise ValueError(f"SHT11 environment {t} C {rh} %RH refused")
        self._t, self._rh = t, rh

    @property
    def temperature(self) -> float:
        """Ambient temperature, degrees C."""
        return self._t

    @temperature.setter
    def temperature(self, value: float) -> None:
        self.set_environment(value, self._rh)

    @property
    def humidity(self) -> float:
        """Ambient relative humidity, %RH."""
        return self._rh

    @humidity.setter
    def humidity(self, value: float) -> None:
        self.set_environment(self._t, value)

    def raw(self, humidity: bool = False, low_res: bool = False) -> int:
        """The raw SOT (or SORH) a measurement reports now at that resolution."""
        return int(lib.sht11_raw(self._s, int(humidity), int(low_res)))

    @property
    def status(self) -> int:
        """The status register."""
        return int(lib.sht11_status(self._s))

    def corrupt_next(self, index: int, mask: int) -> None:
        """Flip `mask` bits in byte `index` of the next transfer the sensor sends (test hook)."""
        if not 0 <= index <= 2 or not 0 < mask <= 0xFF:
            raise ValueError(f"corrupt_next: index {index} outside 0..2 or mask {mask:#x} outside 1..0xff")
        lib.sht11_corrupt_next(self._s, index, mask)

    acks = _sht11_counter("sht11_acks", "Commands the sensor acknowledged.")
    measurements = _sht11_counter("sht11_measurements", "Measurements completed (data ready signalled).")
    nacked = _sht11_counter("sht11_nacked", "Transfers the MCU ended early by not acknowledging a byte.")
    interface_resets = _sht11_counter(
        "sht11_interface_resets", "Connection resets (9+ SCK clocks with DATA high) that ended a command."
    )
    soft_resets = _sht11_counter("sht11_soft_resets", "Soft reset commands executed.")

    @property
    def last_measurement_ns(self) -> tuple[int, int]:
        """Simulated ns of the last measurement's start (command acknowledged) and of its data ready."""
        return int(lib.sht11_last_meas_start_ns(self._s)), int(lib.sht11_last_meas_ready_ns(self._s))
