"""802.15.4 frame size of an SSM <-> CCS message after 6LoWPAN compression (RFC 6282), the arithmetic
docs/protocol.md shows. Assumes intra-PAN data frames with 16-bit short addresses, no security."""

from __future__ import annotations

from harness.wire.ieee802154 import FCS_BYTES, MAX_PSDU, SHORT_DATA_HEADER_BYTES

# IPHC base: TF=11 (traffic class and flow label elided), NH=1 (UDP via NHC), HLIM=11 (255);
# link-local: SAC=0 SAM=11, DAC=0 DAM=11 (both addresses rebuilt from the MAC short addresses).
IPHC_LINK_LOCAL = 2
# context-based (e.g. a global prefix in context 0): CID=0, SAC=1 SAM=11, DAC=1 DAM=11 -> still 2 bytes
IPHC_CONTEXT = 2
# UDP NHC with both ports in 0xF0B0..0xF0BF: 1 header byte + 1 byte of port nibbles + 2 checksum bytes
UDP_NHC_SHORT_PORTS = 4


def frame_bytes(payload: int) -> dict[str, int]:
    """Bytes on air (MAC header to FCS) for a UDP payload of `payload` bytes."""
    return {
        "link_local": SHORT_DATA_HEADER_BYTES + IPHC_LINK_LOCAL + UDP_NHC_SHORT_PORTS + payload + FCS_BYTES,
        "context": SHORT_DATA_HEADER_BYTES + IPHC_CONTEXT + UDP_NHC_SHORT_PORTS + payload + FCS_BYTES,
    }


def max_payload() -> int:
    """The largest UDP payload in one 802.15.4 frame (link-local IPHC, short ports)."""
    return MAX_PSDU - (SHORT_DATA_HEADER_BYTES + IPHC_LINK_LOCAL + UDP_NHC_SHORT_PORTS + FCS_BYTES)


# RFC 4944 §5.3 fragment headers; every fragment but the last carries a multiple of 8 bytes of the
# uncompressed datagram, and the compressed IPv6 + UDP headers (6 bytes here) stand for 48 of them.
FRAG1_HEADER = 4
FRAGN_HEADER = 5


def datagram_frames(payload: int) -> list[int]:
    """PSDU bytes (MAC header to FCS) of each frame that carries a UDP payload of `payload` bytes,
    link-local IPHC: one frame when it fits, else a FRAG1 and FRAGNs."""
    mac = SHORT_DATA_HEADER_BYTES + FCS_BYTES
    room = MAX_PSDU - mac  # 6LoWPAN bytes per frame
    headers = IPHC_LINK_LOCAL + UDP_NHC_SHORT_PORTS
    if headers + payload <= room:
        return [mac + headers + payload]
    first = (room - FRAG1_HEADER - headers) // 8 * 8
    frames = [mac + FRAG1_HEADER + headers + first]
    per_fragment = (room - FRAGN_HEADER) // 8 * 8
    left = payload - first
    while left > 0:
        n = min(per_fragment, left)
        frames.append(mac + FRAGN_HEADER + n)
        left -= n
    return frames
