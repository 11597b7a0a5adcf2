"""Linking with ld.lld, the Intel HEX copy, and turning region overflows into clear errors."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from harness.build.compile import BuildError
from harness.build.toolchain import FLASH_BYTES, RAM_BYTES, Toolchain
from harness.proc import CommandFailed, run

_OVERFLOW = re.compile(r"section '([^']+)' will not fit in region '([^']+)': overflowed by (\d+) bytes")
_REGION_NAMES = {"rom": f"flash ({FLASH_BYTES} bytes)", "ram": f"RAM ({RAM_BYTES} bytes)"}


class FirmwareTooLarge(BuildError):
    """The firmware does not fit the MSP430F1611's flash or RAM."""


def link_argv(
    tc: Toolchain, objects: Sequence[Path], script: Path, elf: Path, ldflags: Sequence[str]
) -> list[str]:
    # No --strip: MSPSim needs the symbol table; debug sections stay for the emulator too.
    return [
        tc.lld,
        "-T",
        str(script),
        "-L",
        str(tc.mcu_ldscripts),
        "--gc-sections",
        "-Map",
        str(elf.with_suffix(".map")),
        *ldflags,
        "-o",
        str(elf),
        *map(str, objects),
    ]


def needs_link(elf: Path, argv: list[str], inputs: Sequence[Path]) -> bool:
    cmd_file = elf.with_suffix(".link.cmd")
    if not elf.is_file() or not cmd_file.is_file() or cmd_file.read_text() != json.dumps(argv):
        return True
    built = elf.stat().st_mtime_ns
    return any(p.stat().st_mtime_ns > built for p in inputs)


def link(
    tc: Toolchain,
    name: str,
    objects: Sequence[Path],
    script: Path,
    elf: Path,
    ldflags: Sequence[str] = (),
) -> bool:
    """Link `elf` if anything changed, then refresh its .hex. Returns True when it linked."""
    argv = link_argv(tc, objects, script, elf, ldflags)
    if not needs_link(elf, argv, [*objects, script]):
        return False
    elf.parent.mkdir(parents=True, exist_ok=True)
    elf.with_suffix(".link.cmd").unlink(missing_ok=True)
    try:
        run(argv)
    except CommandFailed as exc:
        overflows = _OVERFLOW.findall(exc.output)
        if overflows:
            worst: dict[str, int] = {}
            sections: dict[str, list[str]] = {}
            for sec, region, n in overflows:  # lld repeats itself; keep the worst per region
                worst[region] = max(worst.get(region, 0), int(n))
                sections.setdefault(region, [])
                if sec not in sections[region]:
                    sections[region].append(sec)
            parts = [
                f"{_REGION_NAMES.get(r, r)} overflowed by {n} bytes (sections {', '.join(sections[r])})"
                for r, n in worst.items()
            ]
            raise FirmwareTooLarge(
                f"firmware '{name}' does not fit the MSP430F1611: {'; '.join(parts)}. Flash holds"
                f" text+rodata+data+vectors ({FLASH_BYTES} bytes), RAM data+bss ({RAM_BYTES} bytes);"
                f" see {elf.with_suffix('.map')} for what takes the space."
            ) from exc
        raise BuildError(f"linking firmware '{name}' failed:\n{exc.output.strip()}") from exc
    try:
        run([tc.objcopy, "-O", "ihex", str(elf), str(elf.with_suffix(".hex"))])
    except CommandFailed as exc:
        raise BuildError(f"making the Intel HEX of '{name}' failed:\n{exc.output.strip()}") from exc
    elf.with_suffix(".link.cmd").write_text(json.dumps(argv))
    return True
