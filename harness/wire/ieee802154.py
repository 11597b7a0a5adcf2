"""IEEE 802.15.4 (2.4 GHz O-QPSK PHY) facts and frame helpers shared by the emulator's CC2420, the
simulation's medium and scripted mote, and the network tests.

Frame layout (IEEE 802.15.4-2006 §7.2): frame control (2 bytes, little-endian), sequence number,
destination PAN ID, destination address, [source PAN ID unless PAN ID compression], source address,
payload, FCS. Addresses go on the air least significant byte first: the reverse of how a stack writes
a 2- or 8-byte address. The FCS is the ITU-T CRC-16 (polynomial x^16+x^12+x^5+1, reflected, initial
value 0, no final XOR: the catalogue's "CRC-16/KERMIT"), sent least significant byte first.

Air time (§6.5): 250 kb/s, 1 symbol = 16 µs, 1 byte = 2 symbols; a PPDU is the SHR (4 preamble bytes
+ SFD), the PHR (length byte) and the PSDU (MPDU incl. FCS, 1..127 bytes).
"""

from __future__ import annotations

import struct

BYTE_US = 32  # 250 kb/s: 2 symbols of 16 µs
PHY_HEADER_BYTES = 6  # preamble (4) + SFD (1) + PHR length (1)
MAX_PSDU = 127
FCS_BYTES = 2
# MAC header of an intra-PAN data frame with short addresses: frame control, sequence number,
# destination PAN, destination and source short addresses (source PAN elided by PAN ID compression)
SHORT_DATA_HEADER_BYTES = 2 + 1 + 2 + 2 + 2
TURNAROUND_US = 192  # aTurnaroundTime: 12 symbol periods (RX<->TX)
BROADCAST_SHORT = 0xFFFF
ACK_PSDU = 2 + 1 + FCS_BYTES  # an acknowledgement frame: frame control, sequence number, FCS

FRAME_TYPE_DATA = 1
FCF_ACK_REQUEST = 1 << 5
FCF_PAN_ID_COMPRESSION = 1 << 6
ADDR_MODE_SHORT = 0b10
ADDR_MODE_EXTENDED = 0b11


def air_time_us(psdu_len: int) -> int:
    """Microseconds on air for a PSDU of `psdu_len` bytes (FCS included), preamble to last bit."""
    return (PHY_HEADER_BYTES + psdu_len) * BYTE_US


def fcs16(data: bytes) -> int:
    """The 802.15.4 FCS of `data` (CRC-16/KERMIT: reflected polynomial 0x8408, initial value 0)."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc


def with_fcs(mpdu_without_fcs: bytes) -> bytes:
    """MPDU without FCS -> PSDU (the MPDU with its FCS appended)."""
    return mpdu_without_fcs + struct.pack("<H", fcs16(mpdu_without_fcs))


def fcs_ok(psdu: bytes) -> bool:
    """Whether the frame's last two bytes are the right FCS of the rest."""
    return len(psdu) >= 2 and struct.unpack("<H", psdu[-2:])[0] == fcs16(psdu[:-2])


def _air_address(addr: int | bytes) -> tuple[int, bytes]:
    """(addressing mode, bytes on the air) of a short address given as int, or of a 2- or 8-byte
    address given most significant byte first."""
    if isinstance(addr, int):
        if not 0 <= addr <= 0xFFFF:
            raise ValueError(f"short address {addr:#x} outside 0..0xffff")
        return ADDR_MODE_SHORT, struct.pack("<H", addr)
    if len(addr) == 2:
        return ADDR_MODE_SHORT, bytes(addr[::-1])
    if len(addr) == 8:
        return ADDR_MODE_EXTENDED, bytes(addr[::-1])
    raise ValueError(f"802.15.4 address of {len(addr)} bytes (2 or 8)")


def data_frame(
    seq: int, pan: int, dst: int | bytes, src: int | bytes, payload: bytes, ack_request: bool = False
) -> bytes:
    """An intra-PAN data frame (PAN ID compression, 2003/2006 frame version 0), FCS appended.
    Addresses: an int is a short address; bytes (2 or 8) are written most significant byte first."""
    dst_mode, dst_air = _air_address(dst)
    src_mode, src_air = _air_address(src)
    fcf = FRAME_TYPE_DATA | FCF_PAN_ID_COMPRESSION | dst_mode << 10 | src_mode << 14
    if ack_request:
        fcf |= FCF_ACK_REQUEST
    header = struct.pack("<HBH", fcf, seq & 0xFF, pan) + dst_air + src_air
    return with_fcs(header + payload)


def frame_source(psdu: bytes) -> int | None:
    """Short source address of an intra-PAN data frame with short addresses (None otherwise)."""
    if len(psdu) < 11:
        return None
    fcf = struct.unpack("<H", psdu[:2])[0]
    if (
        fcf & 0x7 != FRAME_TYPE_DATA
        or (fcf >> 10) & 3 != ADDR_MODE_SHORT
        or (fcf >> 14) & 3 != ADDR_MODE_SHORT
        or not fcf & FCF_PAN_ID_COMPRESSION
    ):
        return None
    return struct.unpack("<H", psdu[7:9])[0]
