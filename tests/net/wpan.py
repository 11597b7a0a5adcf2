"""IEEE 802.15.4 data frames, pcap files and tshark, for checking what the stack puts on the air.

Frame layout and FCS (CRC-16/KERMIT): harness/wire/ieee802154.py, the one home of both.
"""

from __future__ import annotations

from pathlib import Path

from oneframe import tshark_json  # noqa: F401 - the one home of tshark's JSON; used by the net tests

from harness.sim.output import LINKTYPE_IEEE802_15_4_WITHFCS, PcapWriter
from harness.wire import ieee802154
from harness.wire.ieee802154 import fcs16 as crc16_kermit  # noqa: F401 - used by test_net_mac

PAN_ID = 0xABCD


def data_frame(src: bytes, dst: bytes, payload: bytes, seq: int = 0, pan: int = PAN_ID) -> bytes:
    """Intra-PAN data frame with FCS; unicast (dst not ffff) asks for an acknowledgement."""
    return ieee802154.data_frame(seq, pan, dst, src, payload, ack_request=dst != b"\xff\xff")


def write_pcap(path: Path, frames: list[bytes], linktype: int = LINKTYPE_IEEE802_15_4_WITHFCS) -> None:
    """One frame a second (these frames have no air times)."""
    pcap = PcapWriter(linktype)
    for i, frame in enumerate(frames):
        pcap.add(i * 1_000_000, frame)
    pcap.write(path)
