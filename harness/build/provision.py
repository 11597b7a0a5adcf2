"""Provisioning: write a mote's identity (harness/wire/infomem.py) into the `.infomem` section of a
built ELF, so the image itself carries node id and PSK_DN to the emulator, MSPSim/Cooja and a flashed
mote (the section is its own PT_LOAD segment at 0x1000, see firmware/sys/sky.ld).

    esse build ccs --node-id 2 --psk-dn 00112233445566778899aabbccddeeff
      -> build/ccs/ccs-node2.sky (+ .hex): the same code, segment B = that identity, segment A erased

The bytes are patched in place in a copy (same section size, same segment), no relink. Several motes
of one scenario share one ELF instead: the simulator writes each mote's identity into its information
flash after loading (scenario key `psk_dn`, like Cooja writes node_id).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from elftools.elf.elffile import ELFFile

from harness.build.size import INFOMEM_SECTION
from harness.build.toolchain import find_toolchain
from harness.proc import run
from harness.wire.infomem import INFO_END, INFO_START, Identity, InfoMemError


class ProvisionError(ValueError):
    """The ELF has no information-flash image to provision, or the identity does not fit."""


def infomem_offset(elf: Path) -> tuple[int, int]:
    """(file offset, size) of the ELF's `.infomem` section; raises ProvisionError without one."""
    with open(elf, "rb") as f:
        sec = ELFFile(f).get_section_by_name(INFOMEM_SECTION)
        if sec is None or sec["sh_type"] == "SHT_NOBITS":
            raise ProvisionError(
                f"{elf}: no {INFOMEM_SECTION} section (the app does not link firmware/infomem)"
            )
        if sec["sh_addr"] != INFO_START or sec["sh_size"] != INFO_END - INFO_START:
            raise ProvisionError(
                f"{elf}: {INFOMEM_SECTION} at {sec['sh_addr']:#x}+{sec['sh_size']} is not the "
                f"information flash {INFO_START:#x}-{INFO_END - 1:#x}"
            )
        return int(sec["sh_offset"]), int(sec["sh_size"])


def provision_elf(elf: Path, identity: Identity, out: Path | None = None) -> Path:
    """Copy `elf` to `out` (default `<name>-node<id>.sky` beside it) with `identity` in `.infomem`,
    and write its Intel HEX next to it. Returns the new ELF's path."""
    try:
        image = identity.encode()
    except InfoMemError as exc:
        raise ProvisionError(str(exc)) from exc
    offset, size = infomem_offset(elf)
    if out is None:
        tag = f"node{identity.node_id}" if identity.node_id is not None else "provisioned"
        out = elf.with_name(f"{elf.stem}-{tag}{elf.suffix}")
    if out.resolve() != elf.resolve():
        shutil.copyfile(elf, out)
    with open(out, "r+b") as f:
        f.seek(offset)
        f.write(image[:size])
    run([find_toolchain().objcopy, "-O", "ihex", str(out), str(out.with_suffix(".hex"))])
    return out


def read_identity(elf: Path) -> Identity:
    """The identity an ELF carries (InfoMemError when it is erased or not ours)."""
    offset, size = infomem_offset(elf)
    with open(elf, "rb") as f:
        f.seek(offset)
        return Identity.decode(f.read(size))
