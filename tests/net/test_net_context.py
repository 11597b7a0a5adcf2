"""6LoWPAN context 0 from Router Advertisements (RFC 6775 §4.2 6LoWPAN Context Option; RFC 6282 §3.1.2):
what a node adopts, what it ignores, and the valid lifetime, on the host build of firmware/net."""

from __future__ import annotations

import ctypes
import struct
from ipaddress import IPv6Address, IPv6Network

import pytest
from nethost import LLAddr, Node

from harness.bridge import ipv6 as v6

PREFIX = IPv6Network("fd00:e55e::/64")
SHORT_1, SHORT_2 = b"\x00\x01", b"\x00\x02"
ROUTER = v6.mote_link_local(1)


def router_advertisement(context: bytes | None) -> bytes:
    """RA from node 1 with a PIO for PREFIX and, when given, `context` as its only other option."""
    ra = struct.pack("!BBHII", 64, 0, 1800, 0, 0)
    pio = struct.pack("!BBBBIII", v6.OPT_PREFIX_INFORMATION, 4, 64, 0xC0, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    body = ra + pio + PREFIX.network_address.packed + (context or b"")
    return v6.build_icmp6(ROUTER, v6.ALL_NODES, v6.ICMP6_ROUTER_ADVERTISEMENT, 0, body, hop_limit=255)


def six_co(cid: int = 0, compress: bool = True, lifetime_min: int = 60, length: int = 64) -> bytes:
    """A 6CO: type 34, 2 x 8 bytes, context length, reserved | C | CID, reserved, valid lifetime, prefix."""
    flags = (0x10 if compress else 0) | cid
    return struct.pack("!BBBBHH", 34, 2, length, flags, 0, lifetime_min) + PREFIX.network_address.packed[:8]


class Mote:
    """Node 2 of the host build, fed IPv6 datagrams directly (as 6LoWPAN would hand them up)."""

    def __init__(self, node: Node) -> None:
        self.lib = node.firmware  # ctypes face: the stack's internals
        self.node = node
        node.lib.host_node_start(2, 1)
        self.lib.sixlowpan_context0.restype = ctypes.c_void_p
        self.lib.sixlowpan_compress.restype = ctypes.c_uint8
        self.lib.sixlowpan_decompress.restype = ctypes.c_int
        self.lib.ipv6_has_prefix.restype = ctypes.c_int
        self.lib.ipv6_input.argtypes = [ctypes.c_char_p, ctypes.c_uint16, ctypes.c_void_p]

    def receive(self, pkt: bytes) -> None:
        self.lib.ipv6_input(ctypes.create_string_buffer(pkt, len(pkt)), len(pkt), None)

    def context(self) -> bytes | None:
        ptr = self.lib.sixlowpan_context0()
        return ctypes.string_at(ptr, 8) if ptr else None

    def compressed_len(self) -> int:
        """IPHC + NHC bytes for a datagram between two global short-address IIDs (from 2 to 1)."""
        pkt = v6.build_udp(v6.mote_address(PREFIX, 2), v6.mote_address(PREFIX, 1), 0xF0B1, 0xF0B0, b"x")
        out, consumed = ctypes.create_string_buffer(64), ctypes.c_uint8()
        return self.lib.sixlowpan_compress(
            pkt,
            ctypes.byref(LLAddr.of(SHORT_2)),
            ctypes.byref(LLAddr.of(SHORT_1)),
            out,
            ctypes.byref(consumed),
        )

    def decompresses_context(self) -> bool:
        """Whether a SAC = DAC = 1 header (7e 77: both IIDs from the short addresses) decompresses."""
        frame = bytes.fromhex("7e77f310abcd") + b"x"
        ip, used = ctypes.create_string_buffer(64), ctypes.c_uint8()
        return (
            self.lib.sixlowpan_decompress(
                frame,
                len(frame),
                ctypes.byref(LLAddr.of(SHORT_1)),
                ctypes.byref(LLAddr.of(SHORT_2)),
                0,
                ip,
                ctypes.byref(used),
            )
            == 48
        )


@pytest.fixture
def mote(make_node) -> Mote:
    return Mote(make_node())


FULL = 2 + 16 + 16 + 4  # IPHC, both global addresses in line, UDP NHC (one port byte + checksum)
ELIDED = 2 + 4


def test_the_bridges_ra_makes_the_prefix_context_0(mote):
    assert mote.context() is None and mote.compressed_len() == FULL
    mote.receive(v6.build_router_advertisement(ROUTER, PREFIX))
    assert mote.lib.ipv6_has_prefix() and mote.context() == PREFIX.network_address.packed[:8]
    assert mote.compressed_len() == ELIDED and mote.decompresses_context()


def test_a_prefix_alone_is_no_context(mote):
    """RFC 6282 leaves context dissemination to RFC 6775: without a 6CO the prefix is not context 0."""
    mote.receive(router_advertisement(None))
    assert mote.lib.ipv6_has_prefix() and mote.context() is None
    assert mote.compressed_len() == FULL and not mote.decompresses_context()


@pytest.mark.parametrize("option", [six_co(cid=1), six_co(length=48)], ids=["cid-1", "length-48"])
def test_contexts_this_node_cannot_hold_are_ignored(mote, option):
    mote.receive(router_advertisement(option))
    assert mote.lib.ipv6_has_prefix() and mote.context() is None and mote.compressed_len() == FULL


def test_c_flag_clear_decompresses_only(mote):
    mote.receive(router_advertisement(six_co(compress=False)))
    assert mote.context() is not None and mote.decompresses_context()
    assert mote.compressed_len() == FULL


def test_lifetime_zero_removes_the_context(mote):
    mote.receive(v6.build_router_advertisement(ROUTER, PREFIX))
    assert mote.compressed_len() == ELIDED
    mote.receive(router_advertisement(six_co(lifetime_min=0)))
    assert mote.context() is None and not mote.decompresses_context() and mote.compressed_len() == FULL


def test_lifetime_ends_compression_not_decompression(mote):
    mote.node.set_time(1000)
    mote.receive(router_advertisement(six_co(lifetime_min=1)))
    mote.node.set_time(1000 + 59_999)
    mote.lib.sixlowpan_periodic()
    assert mote.compressed_len() == ELIDED
    mote.node.set_time(1000 + 60_000)
    mote.lib.sixlowpan_periodic()
    assert mote.compressed_len() == FULL and mote.decompresses_context()
    mote.receive(router_advertisement(six_co(lifetime_min=1)))  # renewed by the next RA
    assert mote.compressed_len() == ELIDED


def test_the_bridges_ra_option_reads_back():
    """The bridge's 6CO as RFC 6775 §4.2 lays it out."""
    ra = v6.parse_icmp6(v6.parse(v6.build_router_advertisement(IPv6Address("fe80::1"), PREFIX)))
    opt = ra.body[12 + 32 :]
    assert opt == six_co(lifetime_min=v6.CONTEXT_LIFETIME_MIN)
