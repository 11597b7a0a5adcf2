"""ROM/RAM of the firmware net stack on the MSP430F1611 (`invoke net-footprint`).

Each module of firmware/net is compiled with the firmware's flags (clang-16 -Os, function and data
sections) and measured object by object: ROM = text + rodata + data, RAM = data + bss. These are
upper bounds: an app links only the functions it calls (`--gc-sections`), which the linked
figures from the ccs and border_router map files show (the CC2420 driver itself, firmware/dev, is
not counted).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from harness import paths
from harness.build.compile import CompileUnit, compile_units
from harness.build.size import size_of_elf
from harness.build.toolchain import find_toolchain

NET_DIR = paths.FIRMWARE_DIR / "net"
SYS_INCLUDE = paths.FIRMWARE_DIR / "sys" / "include"

# Which layer each source belongs to.
LAYERS = {
    "mac802154": "MAC",
    "sixlowpan": "6LoWPAN",
    "ipv6": "IPv6/ICMPv6/UDP",
    "icmp6": "IPv6/ICMPv6/UDP",
    "udp": "IPv6/ICMPv6/UDP",
    "netstack": "IPv6/ICMPv6/UDP",
    "coap": "CoAP",
    "coap_server": "CoAP",
    "coap_client": "CoAP",
    "slip": "SLIP",
    "slipif": "SLIP",
    "router": "border router",
    "netplat_sky": "platform",
    "radio_cc2420": "CC2420 adapter",
}
CORE = ("MAC", "6LoWPAN", "IPv6/ICMPv6/UDP", "CoAP")  # the 16 KB ROM / 4 KB RAM budget


@dataclass
class Footprint:
    """ROM and RAM bytes of a source file or layer."""

    rom: int = 0
    ram: int = 0

    def add(self, rom: int, ram: int) -> None:
        """Add `rom` and `ram` bytes to the footprint."""
        self.rom += rom
        self.ram += ram


def module_footprints(defines: tuple[str, ...] = ()) -> dict[str, Footprint]:
    """Per source file (stem) of firmware/net, compiled for the mote."""
    tc = find_toolchain()
    sources = sorted(p for p in NET_DIR.glob("*.c") if p.name != "radio_cc2420.c")
    units = [CompileUnit(src, include_dirs=[NET_DIR, SYS_INCLUDE], defines=defines) for src in sources]
    out = compile_units(tc, units, paths.build_dir() / "net-footprint" / "obj")
    result: dict[str, Footprint] = {}
    for src, obj in zip(sources, out.objects, strict=True):
        size = size_of_elf(obj)
        result[src.stem] = Footprint(size.text + size.rodata + size.data, size.data + size.bss)
    return result


_KINDS = (".text", ".rodata", ".data", ".bss")
_MAP_LINE = re.compile(r"^\s*[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+\s+(\S+\.c\.o):\((\.\w+)")


def linked_footprints(map_file: Path, folder: str = "net") -> dict[str, Footprint]:
    """Per source of firmware/<folder> (default the net stack), what an app's link kept (from its lld
    map file)."""
    result: dict[str, Footprint] = {}
    for line in map_file.read_text().splitlines():
        m = _MAP_LINE.match(line)
        if not m or f"/firmware/{folder}/" not in m.group(2) or m.group(3) not in _KINDS:
            continue
        size, stem, kind = int(m.group(1), 16), Path(m.group(2)).name.removesuffix(".c.o"), m.group(3)
        fp = result.setdefault(stem, Footprint())
        if kind == ".bss":
            fp.add(0, size)
        elif kind == ".data":
            fp.add(size, size)
        else:
            fp.add(size, 0)
    return result


def by_layer(per_source: dict[str, Footprint]) -> dict[str, Footprint]:
    """The per-source footprints summed per net stack layer."""
    layers: dict[str, Footprint] = {}
    for stem, fp in per_source.items():
        layers.setdefault(LAYERS.get(stem, stem), Footprint()).add(fp.rom, fp.ram)
    return layers


def report(defines: tuple[str, ...] = ()) -> str:
    """The net stack's ROM/RAM footprint per layer as a text table."""
    objects = by_layer(module_footprints(defines))
    lines = ["net stack on MSP430F1611 (object sizes, every function; bytes)"]
    lines.append(f"{'layer':<18}{'ROM':>8}{'RAM':>8}")
    for name, fp in sorted(objects.items(), key=lambda kv: -kv[1].rom):
        lines.append(f"{name:<18}{fp.rom:>8}{fp.ram:>8}")
    core = [objects[name] for name in CORE if name in objects]
    missing = [name for name in CORE if name not in objects]
    lines.append(
        f"{'core total':<18}{sum(f.rom for f in core):>8}{sum(f.ram for f in core):>8}"
        f"   (budget 16384 ROM / 4096 RAM{'; not yet written: ' + ', '.join(missing) if missing else ''})"
    )
    for app in ("ccs", "border_router"):
        app_map = paths.build_dir() / app / f"{app}.map"
        if not app_map.is_file():
            continue
        linked = by_layer(linked_footprints(app_map))
        lines.append(f"linked into the {app} app ({app_map.relative_to(paths.build_dir())}):")
        for name, fp in sorted(linked.items(), key=lambda kv: -kv[1].rom):
            lines.append(f"{name:<18}{fp.rom:>8}{fp.ram:>8}")
        core = [linked[name] for name in CORE if name in linked]
        lines.append(f"{'core total':<18}{sum(f.rom for f in core):>8}{sum(f.ram for f in core):>8}")
    return "\n".join(lines)
