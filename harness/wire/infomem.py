"""Layout of the MSP430F1611 information flash (0x1000-0x10FF) shared by build, flasher and firmware.

Segment B (0x1000-0x107F) holds the mote's identity and keys, written by provisioning (`esse build`
provisioning, `esse flash`, secure bootstrapping); segment A (0x1080-0x10FF) belongs to the firmware's
durable counter store (anti-replay and nonce counters) and is erased (0xFF) by provisioning.

Segment B, little-endian like the MSP430 (erased flash reads 0xFF, so an absent key is 16 x 0xFF):

| offset | size | field |
| --- | --- | --- |
| 0x00 | 2 | magic 'E' 'S' |
| 0x02 | 1 | layout version (1) |
| 0x03 | 1 | reserved (0xFF) |
| 0x04 | 2 | node id (0xFFFF: none; the firmware then keeps the `node_id` the simulator or build gave) |
| 0x06 | 2 | reserved (0xFFFF) |
| 0x08 | 16 | PSK_DN, the key shared with the SSM (absent: all 0xFF) |
| 0x18 | 16 | IK_d, the initial key for secure bootstrapping (absent: all 0xFF) |
| 0x28 | 30 | pending confirmation: BOOT_CONFIRM (15) and the BOOT_ACK expected for it (15), written
  with PSK_DN by secure bootstrapping so a reset before the ACK confirms again (provisioning: 0xFF) |
| 0x46 | 56 | reserved (0xFF) |
| 0x7E | 2 | CRC-16/CCITT-FALSE of bytes 0x00-0x7D (poly 0x1021, init 0xFFFF) |
"""

from __future__ import annotations

from dataclasses import dataclass

INFO_START = 0x1000
INFO_END = 0x1100
SEGMENT_SIZE = 128
SEGMENT_B = 0x1000  # identity and keys
SEGMENT_A = 0x1080  # firmware counter store
PENDING_OFFSET = 0x28  # BOOT_CONFIRM | expected BOOT_ACK (firmware/bootstrap/bootstrap.h)
PENDING_LEN = 30
MAGIC = b"ES"
LAYOUT_VERSION = 1
KEY_LEN = 16
NO_NODE_ID = 0xFFFF
_ABSENT_KEY = b"\xff" * KEY_LEN


class InfoMemError(ValueError):
    """Information-flash contents or provisioning values that do not fit the layout."""


def crc16_ccitt(data: bytes, crc: int = 0xFFFF) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection): what the firmware checks."""
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def _key(name: str, value: bytes | None) -> bytes:
    if value is None:
        return _ABSENT_KEY
    if len(value) != KEY_LEN:
        raise InfoMemError(f"{name} must be {KEY_LEN} bytes, got {len(value)}")
    if value == _ABSENT_KEY:
        raise InfoMemError(f"{name} of all 0xFF bytes reads as erased flash; choose another key")
    return bytes(value)


@dataclass(frozen=True)
class Identity:
    """What provisioning writes into segment B: node id, PSK_DN, IK_d (each optional)."""

    node_id: int | None = None
    psk_dn: bytes | None = None
    ik: bytes | None = None

    def encode_segment_b(self) -> bytes:
        """The 128 bytes of segment B."""
        if self.node_id is not None and not 0 <= self.node_id < NO_NODE_ID:
            raise InfoMemError(f"node id must be 0..{NO_NODE_ID - 1}, got {self.node_id}")
        node = NO_NODE_ID if self.node_id is None else self.node_id
        body = (
            MAGIC
            + bytes([LAYOUT_VERSION, 0xFF])
            + node.to_bytes(2, "little")
            + b"\xff\xff"
            + _key("PSK_DN", self.psk_dn)
            + _key("IK_d", self.ik)
        )
        body += b"\xff" * (SEGMENT_SIZE - 2 - len(body))
        return body + crc16_ccitt(body).to_bytes(2, "little")

    def encode(self) -> bytes:
        """The whole 256-byte information flash image (segment B, then an erased segment A)."""
        return self.encode_segment_b() + b"\xff" * SEGMENT_SIZE

    @classmethod
    def decode(cls, image: bytes) -> Identity:
        """Read segment B (the first 128 bytes of `image`); raises InfoMemError when it is not ours."""
        seg = bytes(image[:SEGMENT_SIZE])
        if len(seg) < SEGMENT_SIZE:
            raise InfoMemError(f"segment B is {SEGMENT_SIZE} bytes, got {len(seg)}")
        if seg == b"\xff" * SEGMENT_SIZE:
            raise InfoMemError("information flash is erased (no identity provisioned)")
        if seg[:2] != MAGIC:
            raise InfoMemError(f"no ESSE identity in information flash (magic {seg[:2].hex()})")
        if seg[2] != LAYOUT_VERSION:
            raise InfoMemError(f"info flash layout version {seg[2]}, this harness reads {LAYOUT_VERSION}")
        want = crc16_ccitt(seg[:-2])
        got = int.from_bytes(seg[-2:], "little")
        if want != got:
            raise InfoMemError(f"information flash CRC mismatch (stored {got:#06x}, computed {want:#06x})")
        node = int.from_bytes(seg[4:6], "little")
        psk, ik = seg[8:24], seg[24:40]
        return cls(
            node_id=None if node == NO_NODE_ID else node,
            psk_dn=None if psk == _ABSENT_KEY else psk,
            ik=None if ik == _ABSENT_KEY else ik,
        )
