"""IPv6, UDP and ICMPv6 packets as the bridge builds and checks them (RFC 8200, RFC 4443, RFC 4861).

Mote addressing (the firmware's ipv6.h says the same): node N's 802.15.4 address is the short address
N, its interface identifier the one RFC 6282 §3.2.2 derives from it, 0000:00ff:fe00:NNNN, its global
address PREFIX::ff:fe00:N. The border router lends its own global address to the host (the bridge), so
datagrams between host and motes cross the radio with both addresses elided (docs/protocol.md, "Size on
the air"). Node ids 0xfffe and 0xffff have no short address: their IID comes from the EUI-64
00:12:74:00:00:00:NN:NN with the universal/local bit flipped.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass
from ipaddress import IPv6Address, IPv6Network

PROTO_UDP = 17
PROTO_ICMP6 = 58
ICMP6_ECHO_REQUEST = 128
ICMP6_ECHO_REPLY = 129
ICMP6_ROUTER_SOLICITATION = 133
ICMP6_ROUTER_ADVERTISEMENT = 134
OPT_PREFIX_INFORMATION = 3
OPT_6LOWPAN_CONTEXT = 34  # RFC 6775 §4.2 (6CO)
CONTEXT_LIFETIME_MIN = 60  # the 6CO's valid lifetime, minutes (the bridge re-advertises every 30 s)
ALL_NODES = IPv6Address("ff02::1")
HEADER_LEN = 40


class PacketError(ValueError):
    """A datagram that is not well-formed IPv6/UDP/ICMPv6; the message says what is wrong."""


BORDER_ROUTER_ID = 1  # the demo scenarios' border router; `esse bridge --border-router` changes it
SHORT_IID_HEAD = bytes.fromhex("000000fffe00")  # RFC 6282 §3.2.2: IID 0000:00ff:fe00:XXXX
NO_SHORT_ADDRESS = 0xFFFE  # 802.15.4: 0xfffe = "uses its extended address", 0xffff = broadcast


def eui64_from_node_id(node_id: int) -> bytes:
    """The Sky mote's EUI-64 00:12:74:00:00:00:NN:NN (its extended 802.15.4 address)."""
    if not 0 <= node_id <= 0xFFFF:
        raise ValueError(f"node id {node_id} is not a 16-bit number")
    return bytes([0x00, 0x12, 0x74, 0, 0, 0, node_id >> 8, node_id & 0xFF])


def iid_from_node_id(node_id: int) -> bytes:
    """Interface identifier of node `node_id`: from its short address, or its EUI-64 (0xfffe, 0xffff)."""
    eui = bytearray(eui64_from_node_id(node_id))
    if node_id < NO_SHORT_ADDRESS:
        return SHORT_IID_HEAD + bytes(eui[6:8])
    eui[0] ^= 0x02
    return bytes(eui)


def mote_address(prefix: IPv6Network, node_id: int) -> IPv6Address:
    """Global address of mote `node_id` in a /64."""
    if prefix.prefixlen != 64:
        raise ValueError(f"the mote prefix must be a /64, got {prefix}")
    return IPv6Address(prefix.network_address.packed[:8] + iid_from_node_id(node_id))


def mote_link_local(node_id: int) -> IPv6Address:
    """Link-local address of mote `node_id`."""
    return IPv6Address(b"\xfe\x80" + bytes(6) + iid_from_node_id(node_id))


def default_host_address(prefix: IPv6Network, border_router: int = BORDER_ROUTER_ID) -> IPv6Address:
    """The bridge's own address: the global address the border router lends it, PREFIX::ff:fe00:BR.
    Motes reach it on-link through the border router's short address, and 6LoWPAN elides it (RFC 6282
    SAC = 1, SAM = 11 under context 0 = the prefix) in every frame between the border router and a mote."""
    return mote_address(prefix, border_router)


def parse_prefix(text: str) -> IPv6Network:
    """A /64 prefix from text such as 'fd00::/64'; ValueError saying what is wrong otherwise."""
    try:
        net = ipaddress.IPv6Network(text, strict=True)
    except ValueError as exc:
        raise ValueError(f"bad prefix {text!r}: {exc}") from exc
    if net.prefixlen != 64:
        raise ValueError(f"bad prefix {text!r}: 6LoWPAN address autoconfiguration needs a /64")
    return net


def checksum(src: IPv6Address, dst: IPv6Address, proto: int, upper: bytes) -> int:
    """Upper-layer checksum over the RFC 8200 §8.1 pseudo-header (checksum field zeroed by caller)."""
    data = src.packed + dst.packed + struct.pack("!IxxxB", len(upper), proto) + upper
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def header(src: IPv6Address, dst: IPv6Address, proto: int, payload_len: int, hop_limit: int) -> bytes:
    """The 40-byte IPv6 header."""
    return struct.pack("!IHBB", 6 << 28, payload_len, proto, hop_limit) + src.packed + dst.packed


def build_udp(
    src: IPv6Address, dst: IPv6Address, sport: int, dport: int, data: bytes, hop_limit: int = 64
) -> bytes:
    """An IPv6 packet carrying one UDP datagram, checksum filled in."""
    udp = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    csum = checksum(src, dst, PROTO_UDP, udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", csum) + udp[8:]
    return header(src, dst, PROTO_UDP, len(udp), hop_limit) + udp


def build_icmp6(
    src: IPv6Address, dst: IPv6Address, icmp_type: int, code: int, body: bytes, hop_limit: int = 64
) -> bytes:
    """An IPv6 packet carrying one ICMPv6 message, checksum filled in."""
    msg = struct.pack("!BBH", icmp_type, code, 0) + body
    csum = checksum(src, dst, PROTO_ICMP6, msg)
    msg = msg[:2] + struct.pack("!H", csum) + msg[4:]
    return header(src, dst, PROTO_ICMP6, len(msg), hop_limit) + msg


def build_echo(
    src: IPv6Address,
    dst: IPv6Address,
    ident: int,
    seq: int,
    data: bytes,
    reply: bool = False,
    hop_limit: int = 64,
) -> bytes:
    """ICMPv6 echo request (or reply)."""
    kind = ICMP6_ECHO_REPLY if reply else ICMP6_ECHO_REQUEST
    return build_icmp6(src, dst, kind, 0, struct.pack("!HH", ident, seq) + data, hop_limit)


def build_router_advertisement(src: IPv6Address, prefix: IPv6Network, router_lifetime: int = 1800) -> bytes:
    """RA to ff02::1 with a Prefix Information option (L and A set, infinite lifetimes) and a 6LoWPAN
    Context Option making the prefix context 0 (C = 1, CID = 0), which the border router passes on."""
    ra = struct.pack("!BBHII", 64, 0, router_lifetime, 0, 0)
    pio = struct.pack("!BBBBIII", OPT_PREFIX_INFORMATION, 4, 64, 0xC0, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    pio += prefix.network_address.packed
    context = struct.pack("!BBBBHH", OPT_6LOWPAN_CONTEXT, 2, 64, 0x10, 0, CONTEXT_LIFETIME_MIN)
    context += prefix.network_address.packed[:8]
    return build_icmp6(src, ALL_NODES, ICMP6_ROUTER_ADVERTISEMENT, 0, ra + pio + context, hop_limit=255)


@dataclass(frozen=True)
class Packet:
    """A parsed IPv6 packet: addresses, next header, hop limit and payload."""
    src: IPv6Address
    dst: IPv6Address
    next_header: int
    hop_limit: int
    payload: bytes


@dataclass(frozen=True)
class Udp:
    """A parsed UDP datagram (checksum verified)."""
    sport: int
    dport: int
    data: bytes


@dataclass(frozen=True)
class Icmp6:
    """A parsed ICMPv6 message (checksum verified)."""
    type: int
    code: int
    body: bytes


def parse(data: bytes) -> Packet:
    """Parse an IPv6 packet; PacketError when it is not a well-formed one."""
    if len(data) < HEADER_LEN:
        raise PacketError(f"{len(data)} bytes: shorter than an IPv6 header")
    if data[0] >> 4 != 6:
        raise PacketError(f"IP version {data[0] >> 4}, not 6")
    plen, nh, hl = struct.unpack_from("!HBB", data, 4)
    if HEADER_LEN + plen > len(data):
        raise PacketError(f"payload length {plen} runs past the {len(data)}-byte datagram")
    return Packet(
        IPv6Address(data[8:24]), IPv6Address(data[24:40]), nh, hl, data[HEADER_LEN : HEADER_LEN + plen]
    )


def parse_udp(pkt: Packet) -> Udp:
    """The UDP datagram in a packet; PacketError when it is not one or its checksum is wrong."""
    if pkt.next_header != PROTO_UDP or len(pkt.payload) < 8:
        raise PacketError("not a UDP datagram")
    sport, dport, length, csum = struct.unpack_from("!HHHH", pkt.payload)
    if length < 8 or length > len(pkt.payload):
        raise PacketError(f"UDP length {length} does not fit the {len(pkt.payload)}-byte payload")
    if csum == 0 or checksum(pkt.src, pkt.dst, PROTO_UDP, pkt.payload[:length]) != 0:
        raise PacketError("UDP checksum wrong or missing")
    return Udp(sport, dport, pkt.payload[8:length])


def parse_icmp6(pkt: Packet) -> Icmp6:
    """The ICMPv6 message in a packet; PacketError when it is not one or its checksum is wrong."""
    if pkt.next_header != PROTO_ICMP6 or len(pkt.payload) < 4:
        raise PacketError("not an ICMPv6 message")
    if checksum(pkt.src, pkt.dst, PROTO_ICMP6, pkt.payload) != 0:
        raise PacketError("ICMPv6 checksum wrong")
    return Icmp6(pkt.payload[0], pkt.payload[1], pkt.payload[4:])
