"""MSP430 ELF images for the emulator: loadable segments, the symbol table, nearest-symbol lookup.

Loads the way MSPSim does: every PT_LOAD segment at its physical (load) address, so `.data`
initialisers come from their ROM copy and crt0 copies them to RAM as on the chip.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

EM_MSP430 = 105


class ElfError(ValueError):
    """The file is not a usable MSP430 ELF image; the message names the file and the problem."""


@dataclass
class Segment:
    """Bytes to load at an address."""
    address: int
    data: bytes


@dataclass
class ElfImage:
    """What the emulator needs from a firmware ELF: entry point, loadable segments, symbols."""
    path: Path
    entry: int
    segments: list[Segment]
    symbols: dict[str, int] = field(default_factory=dict)
    # code/data symbols sorted by address, for nearest-symbol lookup
    _sorted: list[tuple[int, str]] = field(default_factory=list, repr=False)
    # function symbols: (address, size, name), for the translator (harness.emulator.translate)
    functions: list[tuple[int, int, str]] = field(default_factory=list, repr=False)

    def symbol(self, name: str) -> int:
        """The address of a symbol; KeyError naming the file when it has none of that name."""
        try:
            return self.symbols[name]
        except KeyError:
            raise KeyError(f"{self.path}: no symbol '{name}'") from None

    def nearest(self, address: int) -> str:
        """`name+0xoff` of the closest symbol at or below `address`, or `?` when none."""
        keys = [a for a, _ in self._sorted]
        i = bisect.bisect_right(keys, address) - 1
        if i < 0:
            return "?"
        base, name = self._sorted[i]
        off = address - base
        return name if off == 0 else f"{name}+0x{off:x}"


def symbol_problems(image: ElfImage) -> list[str]:
    """What the emulator cannot do with this image for want of symbols (empty: nothing lacks).
    A stripped ELF runs, but nothing in it can be checked or named: say so loudly."""
    if not image.symbols:
        return [
            f"{image.path}: no symbol table (stripped ELF?): no node_id (the mote id is not written), "
            "no _end (no stack-overflow check), faults cannot name a function, and MSPSim/Cooja "
            "refuse it; build without stripping"
        ]
    problems = []
    if "node_id" not in image.symbols:
        problems.append(f"{image.path}: no symbol 'node_id': the mote id is not written into the firmware")
    if "_end" not in image.symbols:
        problems.append(f"{image.path}: no symbol '_end': no stack-overflow check")
    return problems


def load_elf(path: str | Path) -> ElfImage:
    """Read an MSP430 ELF; ElfError saying what is wrong when it cannot be loaded."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            elf = ELFFile(fh)
            if elf["e_machine"] not in ("EM_MSP430", EM_MSP430):
                raise ElfError(f"{path}: not an MSP430 ELF (machine {elf['e_machine']})")
            if elf.elfclass != 32 or not elf.little_endian:
                raise ElfError(f"{path}: not a 32-bit little-endian ELF")
            segments = []
            for seg in elf.iter_segments():
                if seg["p_type"] != "PT_LOAD" or seg["p_filesz"] == 0:
                    continue
                data = seg.data()
                addr = seg["p_paddr"]
                if addr + len(data) > 0x10000:
                    raise ElfError(f"{path}: segment at 0x{addr:x} (+{len(data)} bytes) exceeds 64 KB")
                segments.append(Segment(addr, data))
            if not segments:
                raise ElfError(f"{path}: no loadable segments (relocatable object? link it first)")
            symbols: dict[str, int] = {}
            ordered: list[tuple[int, str]] = []
            functions: list[tuple[int, int, str]] = []
            symtab = elf.get_section_by_name(".symtab")
            if isinstance(symtab, SymbolTableSection):
                for sym in symtab.iter_symbols():
                    if not sym.name or sym["st_shndx"] == "SHN_UNDEF":
                        continue
                    kind = sym["st_info"]["type"]
                    if kind in ("STT_SECTION", "STT_FILE"):
                        continue
                    value = sym["st_value"] & 0xFFFF
                    # a global wins over a local of the same name
                    if sym.name not in symbols or sym["st_info"]["bind"] == "STB_GLOBAL":
                        symbols[sym.name] = value
                    if kind in ("STT_FUNC", "STT_OBJECT", "STT_NOTYPE") and not sym.name.startswith("$"):
                        ordered.append((value, sym.name))
                    if kind == "STT_FUNC":
                        functions.append((value, int(sym["st_size"]), sym.name))
            ordered.sort()
            return ElfImage(path, elf["e_entry"], segments, symbols, ordered, functions)
    except FileNotFoundError:
        raise ElfError(f"{path}: no such file") from None
    except (ELFError, OSError, ValueError) as exc:
        if isinstance(exc, ElfError):
            raise
        raise ElfError(f"{path}: not a valid ELF file ({exc})") from None
