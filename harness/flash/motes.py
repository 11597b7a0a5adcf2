"""`esse motes`: the motes attached to this machine, from pyserial's port list (like Contiki's motelist).

A Tmote Sky / TelosB shows up as an FTDI USB UART (FT232, VID 0403 PID 6001) with the FTDI chip's serial
number; the other FTDI bridges listed below carry MSP430 boards too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# (VID, PID) -> what is usually behind it
KNOWN_BRIDGES = {
    (0x0403, 0x6001): "FTDI FT232 (Tmote Sky, TelosB)",
    (0x0403, 0x6010): "FTDI FT2232",
    (0x0403, 0x6014): "FTDI FT232H",
    (0x0403, 0x6015): "FTDI FT-X",
}


@dataclass(frozen=True)
class AttachedMote:
    """One mote's USB serial port."""

    port: str
    serial_number: str
    vid: int
    pid: int
    description: str


def find_motes(ports: Iterable[Any] | None = None) -> list[AttachedMote]:
    """Motes among `ports` (pyserial ListPortInfo-like objects; default: this machine's ports)."""
    if ports is None:
        from serial.tools import list_ports

        ports = list_ports.comports()
    found = []
    for p in ports:
        key = (getattr(p, "vid", None), getattr(p, "pid", None))
        if key not in KNOWN_BRIDGES:
            continue
        product = " ".join(x for x in (getattr(p, "manufacturer", None), getattr(p, "product", None)) if x)
        found.append(
            AttachedMote(
                port=p.device,
                serial_number=getattr(p, "serial_number", None) or "-",
                vid=key[0],
                pid=key[1],
                description=product or KNOWN_BRIDGES[key],
            )
        )
    return sorted(found, key=lambda m: m.port)


def format_table(motes: list[AttachedMote]) -> str:
    """motelist-style table: reference (serial number), device, USB id, description."""
    if not motes:
        return "no motes found (FTDI USB serial ports: " + ", ".join(
            f"{v:04x}:{p:04x}" for v, p in KNOWN_BRIDGES
        ) + ")\n"
    rows = [("Reference", "Device", "USB id", "Description")]
    rows += [(m.serial_number, m.port, f"{m.vid:04x}:{m.pid:04x}", m.description) for m in motes]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = []
    for r in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r[:3], widths, strict=True)) + "  " + r[3])
        if len(lines) == 1:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * len("Description"))
    return "\n".join(lines) + "\n"
