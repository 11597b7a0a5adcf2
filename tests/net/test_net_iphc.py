"""RFC 6282 IPHC + UDP NHC: round trips through the C code, expected sizes, and tshark's dissector."""

from __future__ import annotations

import ctypes
import struct
from ipaddress import IPv6Address

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nethost import LLAddr, Node
from requirements import require_tool
from wpan import data_frame, tshark_json, write_pcap

from harness.bridge import ipv6 as v6

PREFIX = bytes.fromhex("fd00000000000000")
EXT_A = bytes.fromhex("0012740000000001")
EXT_B = bytes.fromhex("0012740000000002")
SHORT_A = bytes.fromhex("0001")
SHORT_B = bytes.fromhex("0002")


def iid(ll: bytes) -> bytes:
    if len(ll) == 2:
        return bytes.fromhex("000000fffe00") + ll
    return bytes([ll[0] ^ 2]) + ll[1:]


def build(
    src: bytes,
    dst: bytes,
    tc: int = 0,
    fl: int = 0,
    hl: int = 64,
    nh: int = 17,
    sport: int = 0xC000,
    dport: int = 5683,
    data: bytes = b"hello",
) -> bytes:
    """An IPv6 datagram with a UDP (nh=17, valid checksum) or opaque upper layer."""
    if nh == 17:
        pkt = bytearray(v6.build_udp(IPv6Address(src), IPv6Address(dst), sport, dport, data, hop_limit=hl))
    else:
        pkt = bytearray(v6.header(IPv6Address(src), IPv6Address(dst), nh, len(data), hl) + data)
    struct.pack_into("!I", pkt, 0, (6 << 28) | (tc << 20) | fl)
    return bytes(pkt)


class Codec:
    def __init__(self, node: Node) -> None:
        self.lib = node.firmware
        node.lib.host_node_start(1, 0)
        self.lib.sixlowpan_set_context0(PREFIX, 1, 60)
        self.lib.sixlowpan_compress.restype = ctypes.c_uint8
        self.lib.sixlowpan_decompress.restype = ctypes.c_int

    def compress(self, pkt: bytes, src: bytes, dst: bytes) -> tuple[bytes, int]:
        out = ctypes.create_string_buffer(64)
        consumed = ctypes.c_uint8()
        n = self.lib.sixlowpan_compress(
            pkt, ctypes.byref(LLAddr.of(src)), ctypes.byref(LLAddr.of(dst)), out, ctypes.byref(consumed)
        )
        return out.raw[:n], consumed.value

    def decompress(self, frame: bytes, src: bytes, dst: bytes, total: int = 0) -> tuple[int, bytes, int]:
        ip = ctypes.create_string_buffer(64)
        used = ctypes.c_uint8()
        hdr = self.lib.sixlowpan_decompress(
            frame,
            len(frame),
            ctypes.byref(LLAddr.of(src)),
            ctypes.byref(LLAddr.of(dst)),
            total,
            ip,
            ctypes.byref(used),
        )
        return hdr, ip.raw[: max(hdr, 0)], used.value

    def roundtrip(self, pkt: bytes, src: bytes, dst: bytes) -> bytes:
        hc, consumed = self.compress(pkt, src, dst)
        frame = hc + pkt[consumed:]
        hdr, header, used = self.decompress(frame, src, dst)
        assert hdr == consumed and used == len(hc)
        return header + frame[used:]


@pytest.fixture
def codec(make_node) -> Codec:
    return Codec(make_node())


def ll(ll_addr: bytes) -> bytes:
    return bytes.fromhex("fe80000000000000") + iid(ll_addr)


def glob(ll_addr: bytes) -> bytes:
    return PREFIX + iid(ll_addr)


# (name, src addr, dst addr, src ll, dst ll, expected IPHC+NHC length for the default UDP header)
CASES = [
    ("ll-ext-elided", ll(EXT_A), ll(EXT_B), EXT_A, EXT_B, 2 + 1 + 4 + 2),
    ("ll-short-elided", ll(SHORT_A), ll(SHORT_B), SHORT_A, SHORT_B, 2 + 1 + 4 + 2),
    ("ll-short-form-16bit", ll(SHORT_A), ll(SHORT_B), EXT_A, EXT_B, 2 + 2 + 2 + 1 + 4 + 2),
    ("ll-iid-64bit", ll(EXT_A), ll(EXT_B), SHORT_A, SHORT_B, 2 + 8 + 8 + 1 + 4 + 2),
    ("ctx-ext-elided", glob(EXT_A), glob(EXT_B), EXT_A, EXT_B, 2 + 1 + 4 + 2),
    ("ctx-iid-64bit", glob(EXT_A), glob(EXT_B), EXT_B, EXT_A, 2 + 8 + 8 + 1 + 4 + 2),
    ("ctx-short-form", glob(SHORT_A), glob(SHORT_B), EXT_A, EXT_B, 2 + 2 + 2 + 1 + 4 + 2),
    (
        "inline-128",
        IPv6Address("2001:db8::1").packed,
        IPv6Address("2001:db8::2").packed,
        EXT_A,
        EXT_B,
        2 + 16 + 16 + 1 + 4 + 2,
    ),
    ("host-to-mote", IPv6Address("fd00:0:0:ffff::1").packed, glob(EXT_B), EXT_A, EXT_B, 2 + 16 + 1 + 4 + 2),
    ("unspecified-src", bytes(16), ll(EXT_B), EXT_A, EXT_B, 2 + 1 + 4 + 2),
    ("mcast-ff02-8bit", ll(EXT_A), IPv6Address("ff02::1").packed, EXT_A, b"\xff\xff", 2 + 1 + 1 + 4 + 2),
    ("mcast-32bit", ll(EXT_A), IPv6Address("ff05::1:3").packed, EXT_A, b"\xff\xff", 2 + 4 + 1 + 4 + 2),
    ("mcast-48bit", ll(EXT_A), IPv6Address("ff05::ab:1:3").packed, EXT_A, b"\xff\xff", 2 + 6 + 1 + 4 + 2),
    ("mcast-128", ll(EXT_A), IPv6Address("ff05:1::1").packed, EXT_A, b"\xff\xff", 2 + 16 + 1 + 4 + 2),
]


@pytest.mark.parametrize("name,src,dst,sll,dll,size", CASES, ids=[c[0] for c in CASES])
def test_address_modes_round_trip_with_expected_size(codec, name, src, dst, sll, dll, size):
    pkt = build(src, dst)
    hc, consumed = codec.compress(pkt, sll, dll)
    assert consumed == 48
    assert len(hc) == size, hc.hex()
    assert codec.roundtrip(pkt, sll, dll) == pkt


@pytest.mark.parametrize(
    "sport,dport,nhc_len",
    [
        (0xF0B1, 0xF0B2, 1 + 1),
        (0xC000, 0xF012, 1 + 3),
        (0xF034, 5683, 1 + 3),
        (5683, 0xC001, 1 + 4),
        (0xF0B0, 0xF0C0, 1 + 3),
    ],
)
def test_udp_port_compression(codec, sport, dport, nhc_len):
    pkt = build(ll(EXT_A), ll(EXT_B), sport=sport, dport=dport)
    hc, _ = codec.compress(pkt, EXT_A, EXT_B)
    assert len(hc) == 2 + nhc_len + 2
    assert codec.roundtrip(pkt, EXT_A, EXT_B) == pkt


@pytest.mark.parametrize(
    "tc,fl,tf_len", [(0, 0, 0), (0xB8, 0, 1), (0x01, 0x12345, 3), (0xB9, 0xFFFFF, 4), (0x02, 0, 1), (0, 1, 3)]
)
def test_traffic_class_and_flow_label(codec, tc, fl, tf_len):
    pkt = build(ll(EXT_A), ll(EXT_B), tc=tc, fl=fl)
    hc, _ = codec.compress(pkt, EXT_A, EXT_B)
    assert len(hc) == 2 + tf_len + 1 + 4 + 2
    assert codec.roundtrip(pkt, EXT_A, EXT_B) == pkt


@pytest.mark.parametrize("hl,inline", [(1, 0), (64, 0), (255, 0), (17, 1), (0, 1)])
def test_hop_limit(codec, hl, inline):
    pkt = build(ll(EXT_A), ll(EXT_B), hl=hl)
    hc, _ = codec.compress(pkt, EXT_A, EXT_B)
    assert len(hc) == 2 + inline + 1 + 4 + 2
    assert codec.roundtrip(pkt, EXT_A, EXT_B) == pkt


def test_non_udp_next_header_is_carried_inline(codec):
    pkt = build(ll(EXT_A), ll(EXT_B), nh=58, data=b"\x80\x00\x00\x00abcd")
    hc, consumed = codec.compress(pkt, EXT_A, EXT_B)
    assert consumed == 40 and len(hc) == 3
    assert codec.roundtrip(pkt, EXT_A, EXT_B) == pkt


addresses = st.sampled_from(
    [
        ll(EXT_A),
        ll(EXT_B),
        ll(SHORT_A),
        glob(EXT_A),
        glob(SHORT_B),
        IPv6Address("2001:db8::7").packed,
        IPv6Address("fe80::1234:5678:9abc:def0").packed,
        IPv6Address("fd00::ab").packed,
    ]
)
lladdrs = st.sampled_from([EXT_A, EXT_B, SHORT_A, SHORT_B])


MULTICAST = ("ff02::1", "ff02::1a", "ff05::1:3", "ff08::ab:cd:ef", "ff0e::1234:5678:1")


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    src=addresses,
    dst=st.one_of(addresses, st.sampled_from([IPv6Address(a).packed for a in MULTICAST])),
    sll=lladdrs,
    dll=lladdrs,
    tc=st.integers(0, 255),
    fl=st.integers(0, 0xFFFFF),
    hl=st.integers(0, 255),
    sport=st.integers(0, 0xFFFF),
    dport=st.integers(0, 0xFFFF),
    data=st.binary(max_size=40),
    udp=st.booleans(),
)
def test_random_headers_round_trip(tmp_path_factory, src, dst, sll, dll, tc, fl, hl, sport, dport, data, udp):
    codec = _shared_codec(tmp_path_factory)
    pkt = build(src, dst, tc=tc, fl=fl, hl=hl, nh=17 if udp else 59, sport=sport, dport=dport, data=data)
    assert codec.roundtrip(pkt, sll, dll) == pkt


_codec: Codec | None = None


def _shared_codec(tmp_path_factory) -> Codec:
    global _codec
    if _codec is None:
        _codec = Codec(Node(tmp_path_factory.mktemp("iphc")))
    return _codec


@pytest.mark.parametrize(
    "frame",
    [
        b"\x60",
        b"\x7b",
        b"\x7b\x3b",
        b"\x78\x33\x3a",
        b"\x7e\x00\xf0",
        b"\x7e\x00\xf4\x01\x02\x03\x04",
        b"\x7e\xc0\x01",
        b"\x7e\x0c\x01",
    ],
    ids=["short", "iphc1", "no-nh", "no-hl", "nhc-truncated", "nhc-checksum-elided", "cid-1", "dac-mcast"],
)
def test_malformed_headers_are_refused(codec, frame):
    hdr, _, _ = codec.decompress(frame, EXT_A, EXT_B)
    assert hdr < 0


def test_tshark_dissects_our_frames(codec, tmp_path):
    """Every case of CASES and VECTORS in an 802.15.4 frame with FCS, as Wireshark's 6LoWPAN dissector
    sees it."""
    require_tool("tshark")
    frames, expected = [], []
    for seq, (_, src, dst, sll, dll, _) in enumerate(CASES):
        pkt = build(
            src,
            dst,
            tc=0xB8 if seq % 3 == 0 else 0,
            fl=0x1F00D if seq % 4 == 1 else 0,
            hl=(64, 255, 1, 30)[seq % 4],
            sport=(0xC000, 0xF0B3, 0xF012)[seq % 3],
            dport=5683,
            data=bytes(range(seq + 5)),
        )
        hc, consumed = codec.compress(pkt, sll, dll)
        frames.append(data_frame(sll, dll, hc + pkt[consumed:], seq=seq))
        expected.append(v6.parse(pkt))
    for seq, (_, src, dst, sll, dll, hl, nh, sport, dport, _) in enumerate(VECTORS, len(frames)):
        pkt = vector_packet(src, dst, hl, nh, sport, dport)
        hc, consumed = codec.compress(pkt, sll, dll)
        frames.append(data_frame(sll, dll, hc + pkt[consumed:], seq=seq))
        expected.append(v6.parse(pkt))
    pcap = tmp_path / "iphc.pcap"
    write_pcap(pcap, frames)
    layers = tshark_json(pcap, {"6lowpan.context0": "fd00::/64", "udp.check_checksum": "TRUE"})
    assert len(layers) == len(frames)
    for got, want, frame in zip(layers, expected, frames, strict=True):
        assert "_ws.malformed" not in got, frame.hex()
        assert got["wpan"]["wpan.fcs_ok"] == "1"
        ip = got["ipv6"]
        assert IPv6Address(ip["ipv6.src"]) == want.src, frame.hex()
        assert IPv6Address(ip["ipv6.dst"]) == want.dst, frame.hex()
        assert int(ip["ipv6.hlim"]) == want.hop_limit
        assert int(ip["ipv6.plen"]) == len(want.payload)
        if want.next_header != v6.PROTO_UDP:
            assert int(ip["ipv6.nxt"]) == want.next_header
            continue
        udp = v6.parse_udp(want)
        assert int(got["udp"]["udp.srcport"]) == udp.sport
        assert int(got["udp"]["udp.dstport"]) == udp.dport
        assert got["udp"]["udp.checksum.status"] == "1"  # Wireshark recomputed it over the restored header


# ---- exact encodings from RFC 6282's bit layouts (§3.1 base header, §3.2 in-line fields, §4.3 UDP) -----
# IPHC = 011 TF(2) NH HLIM(2) | CID SAC SAM(2) M DAC DAM(2); in-line fields follow in IPv6 header order.
# SAC=0: SAM 11 = IID from the link-layer address (§3.2.2: 0000:00ff:fe00:XXXX for a short one), 10 = 16
# bits (fe80::ff:fe00:XXXX), 01 = 64-bit IID, 00 = 128 bits. SAC=1: the same over context 0's prefix,
# 00 = the unspecified address. M=1 DAC=0: DAM 11 = ff02::XX (8 bits), 10 = ffXX::XX:XXXX (32),
# 01 = ffXX::XX:XXXX:XXXX (48), 00 = 128 bits. UDP NHC 11110CPP: P=11 ports 0xF0Bx in 4 bits each.
SHORT_5 = bytes.fromhex("0005")
ICMP = b"\x80\x00\x00\x00abcd"  # an opaque ICMPv6 body: next header 58 is carried in-line
VECTORS = [
    # KEY_MATERIAL: host (the border router's lent address) -> CCS, both IIDs from short addresses
    ("key-material", glob(SHORT_A), glob(SHORT_B), SHORT_A, SHORT_B, 64, 17, 0xF0B0, 0xF0B1, "7e77f301"),
    # KEY_ACK: CCS -> host
    ("key-ack", glob(SHORT_B), glob(SHORT_A), SHORT_B, SHORT_A, 64, 17, 0xF0B1, 0xF0B0, "7e77f310"),
    # link-local ICMPv6, hop limit 255 (ND): next header in-line, nothing else
    ("ll-icmp", ll(SHORT_A), ll(SHORT_B), SHORT_A, SHORT_B, 255, 58, 0, 0, "7b333a"),
    # Router Solicitation to ff02::2: DAM=11 M=1 carries one byte
    (
        "rs-ff02-2",
        ll(SHORT_B),
        IPv6Address("ff02::2").packed,
        SHORT_B,
        b"\xff\xff",
        255,
        58,
        0,
        0,
        "7b3b3a02",
    ),
    # a context address whose IID is short-form but not the frame's: SAM=10, 16 bits in-line
    ("ctx-16bit", glob(SHORT_A), glob(SHORT_B), SHORT_5, SHORT_B, 64, 17, 0xF0B0, 0xF0B1, "7e670001f301"),
    # a context address with another IID: SAM=01, 64 bits
    (
        "ctx-64bit",
        PREFIX + bytes.fromhex("123456789abcdef0"),
        glob(SHORT_B),
        SHORT_A,
        SHORT_B,
        64,
        17,
        0xF0B0,
        0xF0B1,
        "7e57123456789abcdef0f301",
    ),
    # the unspecified source (SAC=1 SAM=00) to a link-local short-form address
    ("unspecified", bytes(16), ll(SHORT_B), SHORT_A, SHORT_B, 255, 58, 0, 0, "7b433a"),
    # multicast 32 bits: ff05::1:3 -> flags/scope byte 05, then the last 3 bytes
    (
        "mcast-32",
        ll(SHORT_A),
        IPv6Address("ff05::1:3").packed,
        SHORT_A,
        b"\xff\xff",
        1,
        58,
        0,
        0,
        "793a3a05010003",
    ),
    # multicast 48 bits: ff05::ab:1:3 -> 05, then the last 5 bytes
    (
        "mcast-48",
        ll(SHORT_A),
        IPv6Address("ff05::ab:1:3").packed,
        SHORT_A,
        b"\xff\xff",
        1,
        58,
        0,
        0,
        "79393a05ab00010003",
    ),
    # off-prefix source (no context for it): SAC=0 SAM=00, 128 bits in-line; hop limit 63 in-line
    (
        "inline-src",
        IPv6Address("2001:db8::1").packed,
        glob(SHORT_B),
        SHORT_A,
        SHORT_B,
        63,
        17,
        0xF0B0,
        0xF0B1,
        "7c07" + "3f" + IPv6Address("2001:db8::1").packed.hex() + "f301",
    ),
]


def vector_packet(src: bytes, dst: bytes, hl: int, nh: int, sport: int, dport: int) -> bytes:
    """The datagram of a VECTORS row: 96 bytes of UDP payload, or the opaque ICMPv6 body."""
    if nh == 17:
        return build(src, dst, hl=hl, sport=sport, dport=dport, data=bytes(range(96)))
    return build(src, dst, hl=hl, nh=nh, data=ICMP)


@pytest.mark.parametrize("name,src,dst,sll,dll,hl,nh,sport,dport,head", VECTORS, ids=[v[0] for v in VECTORS])
def test_rfc6282_exact_encoding(codec, name, src, dst, sll, dll, hl, nh, sport, dport, head):
    """Our encoder writes these bytes, and our decoder restores the datagram from them."""
    pkt = vector_packet(src, dst, hl, nh, sport, dport)
    expected = bytes.fromhex(head) + (pkt[46:48] if nh == 17 else b"")  # UDP checksum carried (C=0)
    hc, consumed = codec.compress(pkt, sll, dll)
    assert hc.hex() == expected.hex()
    frame = expected + pkt[consumed:]
    hdr, header, used = codec.decompress(frame, sll, dll)
    assert (hdr, used) == (consumed, len(expected))
    assert header + frame[used:] == pkt


def test_key_material_is_113_bytes_on_the_air(codec):
    """docs/protocol.md: MAC header 9 + IPHC 2 + UDP NHC 4 + 96 + FCS 2 = 113 (and KEY_ACK 25 -> 42)."""
    for size, frame_len in ((96, 113), (25, 42)):
        pkt = build(glob(SHORT_A), glob(SHORT_B), sport=0xF0B0, dport=0xF0B1, data=bytes(size))
        hc, consumed = codec.compress(pkt, SHORT_A, SHORT_B)
        assert len(data_frame(SHORT_A, SHORT_B, hc + pkt[consumed:])) == frame_len


def test_context_prefix_needs_a_context(codec):
    """Without context 0 (no RA yet) a global address is carried in full, and SAC/DAC=1 is refused."""
    pkt = build(glob(SHORT_A), glob(SHORT_B), sport=0xF0B0, dport=0xF0B1)
    with_ctx, _ = codec.compress(pkt, SHORT_A, SHORT_B)
    codec.lib.sixlowpan_init()  # forgets the context
    try:
        without, _ = codec.compress(pkt, SHORT_A, SHORT_B)
        assert len(without) == len(with_ctx) + 32 and without[1] == 0x00  # SAC=DAC=0, SAM=DAM=00
        hdr, _, _ = codec.decompress(with_ctx + pkt[48:], SHORT_A, SHORT_B)
        assert hdr < 0
    finally:
        codec.lib.sixlowpan_set_context0(PREFIX, 1, 60)
