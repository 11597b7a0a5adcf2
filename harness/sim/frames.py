"""IEEE 802.15.4 frame helpers: the FCS (ITU-T CRC-16, as the CC2420 computes it) and a builder for
plain data frames, used by the scripted test mote and the pcap tests."""

from __future__ import annotations

import struct


def fcs16(data: bytes) -> int:
    """802.15.4 FCS: CRC-16 with polynomial x^16+x^12+x^5+1, initial value 0, LSB first
    (reflected form: polynomial 0x8408), no final XOR. Sent little-endian after the MPDU."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc


def with_fcs(mpdu_without_fcs: bytes) -> bytes:
    return mpdu_without_fcs + struct.pack("<H", fcs16(mpdu_without_fcs))


def fcs_ok(psdu: bytes) -> bool:
    return len(psdu) >= 2 and struct.unpack("<H", psdu[-2:])[0] == fcs16(psdu[:-2])


def data_frame(seq: int, pan: int, dst: int, src: int, payload: bytes, ack_request: bool = False) -> bytes:
    """A data frame with PAN ID compression and 16-bit addresses (FCS appended)."""
    fcf = 0x0001  # frame type: data
    if ack_request:
        fcf |= 1 << 5
    fcf |= 1 << 6  # PAN ID compression
    fcf |= 0b10 << 10  # destination addressing mode: short
    fcf |= 0b10 << 14  # source addressing mode: short
    header = struct.pack("<HBHHH", fcf, seq & 0xFF, pan, dst, src)
    return with_fcs(header + payload)


def frame_source(psdu: bytes) -> int | None:
    """Short source address of a frame built by `data_frame` (None for other layouts)."""
    if len(psdu) < 11:
        return None
    fcf = struct.unpack("<H", psdu[:2])[0]
    if fcf & 0x7 != 1 or (fcf >> 10) & 3 != 2 or (fcf >> 14) & 3 != 2 or not fcf & (1 << 6):
        return None
    return struct.unpack("<H", psdu[7:9])[0]
