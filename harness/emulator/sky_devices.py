"""The Tmote Sky's other chips next to the MCU and the radio: the DS2411 serial number (1-Wire, P2.4)
and the M25P80 serial flash (USART0 SPI, S on P4.4), C models in csrc/dev_ds2411.c, dev_m25p80.c.

    mote = Mote(elf, node_id=3)
    ds = DS2411(mote)                 # serial number from the node id (sky_serial)
    flash = M25P80(mote)
    flash.read(0x20000, 5)
"""

from __future__ import annotations

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
