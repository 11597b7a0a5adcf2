"""IEEE 802.15.4 data frames, pcap files and tshark, for checking what the stack puts on the air.

Frame layout (IEEE 802.15.4-2006 §7.2): frame control (2, little-endian), sequence number, destination
PAN ID, destination address, [source PAN ID unless PAN ID compression], source address, payload, FCS.
Addresses go on the air least significant byte first: the reverse of how the stack writes them.
The FCS is the ITU-T CRC-16 (polynomial x^16+x^12+x^5+1, reflected, initial value 0; "CRC-16/KERMIT"),
sent least significant byte first.
"""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

from harness.proc import require, run

LINKTYPE_IEEE802_15_4_WITHFCS = 195
PAN_ID = 0xABCD


def crc16_kermit(data: bytes) -> int:
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc


def _mode(addr: bytes) -> int:
    return {2: 2, 8: 3}[len(addr)]


def data_frame(src: bytes, dst: bytes, payload: bytes, seq: int = 0, pan: int = PAN_ID) -> bytes:
    """Intra-PAN data frame (PAN ID compression), 2006 frame version 0, with FCS."""
    fcf = 0x0001 | 0x0040 | (_mode(dst) << 10) | (_mode(src) << 14)
    if dst != b"\xff\xff":
        fcf |= 0x0020  # acknowledgment request for unicast
    body = struct.pack("<HBH", fcf, seq & 0xFF, pan) + dst[::-1] + src[::-1] + payload
    return body + struct.pack("<H", crc16_kermit(body))


def write_pcap(path: Path, frames: list[bytes], linktype: int = LINKTYPE_IEEE802_15_4_WITHFCS) -> None:
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype))
    for i, frame in enumerate(frames):
        out += struct.pack("<IIII", i, 0, len(frame), len(frame)) + frame
    path.write_bytes(bytes(out))


def tshark_json(pcap: Path, prefs: dict[str, str] | None = None) -> list[dict]:
    """Dissect with tshark; one dict of layers per frame."""
    tshark = require("tshark", "apt-get install tshark")
    argv = [tshark, "-r", str(pcap), "-T", "json", "-n"]
    for key, value in (prefs or {}).items():
        argv += ["-o", f"{key}:{value}"]
    res = run(argv, timeout=120)
    return [p["_source"]["layers"] for p in json.loads(res.stdout)]


def have_tshark() -> bool:
    return shutil.which("tshark") is not None
