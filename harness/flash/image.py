"""Flash images for the MSP430F1611: read an ELF or Intel HEX, check it fits, add the identity, write HEX.

The identity (node id, PSK_DN, IK_d) goes into information flash as
`harness.wire.infomem.Identity(...).encode()`: the same 256 bytes build provisioning and the emulator use.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from harness.wire.infomem import INFO_END, INFO_START, Identity

MAIN_FLASH = range(0x4000, 0x10000)
INFO_FLASH = range(INFO_START, INFO_END)
HEX_RECORD = 16


class ImageError(ValueError):
    """The image cannot be read or does not fit the mote; the message says which and where."""


@dataclass(frozen=True)
class FlashImage:
    """Bytes by address (contiguous runs), as the BSL writes them."""

    runs: tuple[tuple[int, bytes], ...]
    source: str

    @property
    def size(self) -> int:
        """Bytes to program."""
        return sum(len(d) for _, d in self.runs)

    def digest(self) -> str:
        """Short SHA-256 of the address/data pairs (identifies the image in the dry-run)."""
        h = hashlib.sha256()
        for addr, data in self.runs:
            h.update(addr.to_bytes(4, "little") + len(data).to_bytes(4, "little") + data)
        return h.hexdigest()[:16]

    def to_ihex(self) -> str:
        """Intel HEX text (data records, then end of file); every address is below 64 KB."""
        lines = []
        for addr, data in self.runs:
            for off in range(0, len(data), HEX_RECORD):
                chunk = data[off : off + HEX_RECORD]
                a = addr + off
                rec = bytes([len(chunk), a >> 8, a & 0xFF, 0]) + chunk
                lines.append(":" + (rec + bytes([-sum(rec) & 0xFF])).hex().upper())
        lines.append(":00000001FF")
        return "\n".join(lines) + "\n"


def _from_map(mem: dict[int, int], source: str) -> FlashImage:
    runs: list[tuple[int, bytes]] = []
    start = None
    buf = bytearray()
    for addr in sorted(mem):
        if start is not None and addr == start + len(buf):
            buf.append(mem[addr])
            continue
        if start is not None:
            runs.append((start, bytes(buf)))
        start, buf = addr, bytearray([mem[addr]])
    if start is not None:
        runs.append((start, bytes(buf)))
    return FlashImage(tuple(runs), source)


def parse_ihex(text: str, source: str = "<hex>") -> dict[int, int]:
    """Intel HEX records (types 00, 01, 02, 04) into {address: byte}."""
    mem: dict[int, int] = {}
    base = 0
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        try:
            if not line.startswith(":"):
                raise ValueError("no ':'")
            rec = bytes.fromhex(line[1:])
            if len(rec) < 5 or len(rec) != rec[0] + 5 or sum(rec) & 0xFF:
                raise ValueError("bad length or checksum")
        except ValueError as exc:
            raise ImageError(f"{source}:{n}: not an Intel HEX record ({exc})") from None
        kind, addr, data = rec[3], rec[1] << 8 | rec[2], rec[4:-1]
        if kind == 0:
            for i, b in enumerate(data):
                mem[base + addr + i] = b
        elif kind == 1:
            break
        elif kind == 2:
            base = int.from_bytes(data, "big") << 4
        elif kind == 4:
            base = int.from_bytes(data, "big") << 16
    return mem


def load_image(path: str | Path) -> FlashImage:
    """An ELF (PT_LOAD segments at their load addresses) or an Intel HEX file."""
    p = Path(path)
    try:
        head = p.read_bytes()[:4]
    except OSError as exc:
        raise ImageError(f"cannot read image {p}: {exc.strerror}") from None
    mem: dict[int, int] = {}
    if head == b"\x7fELF":
        from harness.emulator.elf import ElfError, load_elf

        try:
            elf = load_elf(p)
        except ElfError as exc:
            raise ImageError(str(exc)) from None
        for seg in elf.segments:
            for i, b in enumerate(seg.data):
                mem[seg.address + i] = b
    else:
        try:
            text = p.read_text(encoding="ascii")
        except UnicodeDecodeError:
            raise ImageError(f"{p}: neither an ELF nor an Intel HEX file") from None
        mem = parse_ihex(text, str(p))
    if not mem:
        raise ImageError(f"{p}: the image holds no data")
    return _from_map(mem, str(p))


def check_fits(image: FlashImage) -> None:
    """Every byte must land in flash: main 0x4000-0xFFFF (48 KB) or information 0x1000-0x10FF."""
    for addr, data in image.runs:
        end = addr + len(data)
        for region in (MAIN_FLASH, INFO_FLASH):
            if addr in region and end <= region.stop:
                break
        else:
            raise ImageError(
                f"{image.source}: {len(data)} bytes at {addr:#06x}-{end - 1:#06x} do not fit the "
                "MSP430F1611's flash (main 0x4000-0xFFFF = 48 KB, information 0x1000-0x10FF); "
                f"image size {image.size} bytes"
            )


def with_identity(image: FlashImage, identity: Identity | None) -> FlashImage:
    """The image with information flash replaced by `identity` (segment B identity, segment A erased)."""
    if identity is None:
        return image
    mem: dict[int, int] = {}
    for addr, data in image.runs:
        for i, b in enumerate(data):
            if addr + i not in INFO_FLASH:
                mem[addr + i] = b
    for i, b in enumerate(identity.encode()):
        mem[INFO_START + i] = b
    return _from_map(mem, image.source)
