"""Size report of a linked firmware ELF against the MSP430F1611's 48 KB flash and 10 KB RAM."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from elftools.elf.constants import SH_FLAGS
from elftools.elf.elffile import ELFFile

from harness.build.toolchain import FLASH_BYTES, RAM_BYTES


@dataclass(frozen=True)
class SizeReport:
    text: int
    rodata: int
    data: int
    bss: int
    vectors: int

    @property
    def flash(self) -> int:
        return self.text + self.rodata + self.data + self.vectors

    @property
    def ram(self) -> int:
        return self.data + self.bss

    def overflows(self) -> list[str]:
        out = []
        if self.flash > FLASH_BYTES:
            out.append(f"flash {self.flash} > {FLASH_BYTES} bytes (text+rodata+data+vectors)")
        if self.ram > RAM_BYTES:
            out.append(f"RAM {self.ram} > {RAM_BYTES} bytes (data+bss)")
        return out


INFOMEM_SECTION = ".infomem"


def size_of_elf(elf: Path) -> SizeReport:
    """Sum allocated sections by kind: vectors, bss (no file bytes), text (executable),
    data (writable), rodata (the rest)."""
    sums = dict(text=0, rodata=0, data=0, bss=0, vectors=0)
    with open(elf, "rb") as f:
        for sec in ELFFile(f).iter_sections():
            flags = sec["sh_flags"]
            if not flags & SH_FLAGS.SHF_ALLOC or sec["sh_size"] == 0 or sec.name == INFOMEM_SECTION:
                continue  # information flash is not the 48 KB main flash
            if sec.name == ".vectors":
                kind = "vectors"
            elif sec["sh_type"] == "SHT_NOBITS":
                kind = "bss"
            elif flags & SH_FLAGS.SHF_EXECINSTR:
                kind = "text"
            elif flags & SH_FLAGS.SHF_WRITE:
                kind = "data"
            else:
                kind = "rodata"
            sums[kind] += sec["sh_size"]
    return SizeReport(**sums)


def format_size_table(rows: Sequence[tuple[str, SizeReport]]) -> str:
    head = ("app", "text", "rodata", "data", "bss", "vectors", "flash", "flash %", "RAM", "RAM %")
    lines = [head]
    for name, s in rows:
        lines.append(
            (
                name,
                str(s.text),
                str(s.rodata),
                str(s.data),
                str(s.bss),
                str(s.vectors),
                f"{s.flash}/{FLASH_BYTES}",
                f"{100 * s.flash / FLASH_BYTES:.1f}%",
                f"{s.ram}/{RAM_BYTES}",
                f"{100 * s.ram / RAM_BYTES:.1f}%",
            )
        )
    widths = [max(len(row[i]) for row in lines) for i in range(len(head))]
    fmt = [f"{{:<{widths[0]}}}"] + [f"{{:>{w}}}" for w in widths[1:]]
    return "\n".join("  ".join(f.format(c) for f, c in zip(fmt, row, strict=True)) for row in lines)
