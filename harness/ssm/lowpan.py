"""802.15.4 frame size of an SSM <-> CCS message after 6LoWPAN compression (RFC 6282), the arithmetic
docs/protocol.md shows. Assumes intra-PAN data frames with 16-bit short addresses, no security."""

from __future__ import annotations

from harness.ieee802154 import FCS_BYTES, MAX_PSDU, SHORT_DATA_HEADER_BYTES

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
    return MAX_PSDU - (SHORT_DATA_HEADER_BYTES + IPHC_LINK_LOCAL + UDP_NHC_SHORT_PORTS + FCS_BYTES)
