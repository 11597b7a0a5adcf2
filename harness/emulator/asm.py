"""Assemble and link small MSP430 programs with LLVM (instruction tests, benchmarks).

`assemble(source)` returns the path of a linked ELF: `.text` at 0x4000 (override with
text_address), a `.vectors` section at 0xFFE0 when the source defines one, RAM data at 0x1100.
Outputs are cached under build/emulator/asm by content hash.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from harness.paths import build_dir
from harness.proc import require, run

LLVM_HINT = "apt-get install llvm-16 lld-16"

LINKER_SCRIPT = """
PHDRS {{ ram PT_LOAD; rom PT_LOAD; vectors PT_LOAD; }}
SECTIONS
{{
  .data 0x1100 : {{ *(.data*) *(.bss*) _end = .; }} :ram
  .text {text:#x} : {{ *(.text*) }} :rom
  .vectors 0xFFE0 : {{ KEEP(*(.vectors)) }} :vectors
}}
"""


def assemble(source: str, text_address: int = 0x4000, out_dir: Path | None = None) -> Path:
    """Assemble MSP430 source with llvm-mc and link it at `text_address`; the ELF path (cached by content)."""
    mc = require("llvm-mc-16", LLVM_HINT)
    ld = require("ld.lld-16", LLVM_HINT)
    out_dir = out_dir or build_dir() / "emulator" / "asm"
    out_dir.mkdir(parents=True, exist_ok=True)
    script = LINKER_SCRIPT.format(text=text_address)
    key = hashlib.sha256((source + script).encode()).hexdigest()[:16]
    elf = out_dir / f"{key}.elf"
    if elf.exists():
        return elf
    src = out_dir / f"{key}.s"
    obj = out_dir / f"{key}.o"
    lds = out_dir / f"{key}.ld"
    src.write_text(source)
    lds.write_text(script)
    run([mc, "-triple=msp430", "-filetype=obj", src, "-o", obj])
    tmp = out_dir / f"{key}.elf.tmp"
    run([ld, "-m", "msp430elf", "-T", lds, obj, "-o", tmp])
    tmp.replace(elf)
    return elf
