"""RFC 4944 fragmentation and the hardened reassembly (Hummen et al. fragment attacks)."""

from __future__ import annotations

import ctypes
import struct
from ipaddress import IPv6Address

import pytest
from nethost import Medium, Node
from requirements import require_tool
from wpan import data_frame, tshark_json, write_pcap

FRAME_MAX = 127
REASS_SIZE = 640  # SIXLOWPAN_REASS_SIZE default (= NET_BUF_SIZE)
TIMEOUT_MS = 8000


class Stats(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_uint16)
        for name in (
            "rx_frames",
            "rx_dropped",
            "reass_done",
            "reass_too_big",
            "reass_duplicate",
            "reass_conflict",
            "reass_evicted",
            "reass_timeout",
            "tx_frames",
            "tx_fragmented",
        )
    ]


def stats(node: Node) -> Stats:
    node.firmware.sixlowpan_stats.restype = ctypes.POINTER(Stats)
    return node.firmware.sixlowpan_stats().contents


def link_local(node: Node) -> bytes:
    return node.link_local()


def received(node: Node) -> tuple[int, bytes, int]:
    count, data, _, sport = node.udp_last()
    return count, data, sport


@pytest.fixture
def pair(make_node):
    a, b = make_node(), make_node()
    a.lib.host_node_start(1, 0)
    b.lib.host_node_start(2, 0)
    b.lib.host_udp_listen(7000)
    return a, b


def send_udp(a: Node, b: Node, data: bytes, sport: int = 0xC001) -> list[tuple[bytes, bytes]]:
    """A sends to B; returns A's frames (dst, payload) without delivering them."""
    assert a.lib.udp_send(link_local(b), 7000, sport, data, len(data)) == 0
    frames = []
    while (f := a.mac_pop()) is not None:
        frames.append(f)
    return frames


def deliver(b: Node, src: bytes, frames: list[tuple[bytes, bytes]]) -> None:
    for dst, payload in frames:
        b.mac_input(src, dst, payload)


DATA = bytes((i * 7 + 3) & 0xFF for i in range(400))


def test_400_byte_datagram_is_fragmented_and_reassembled(pair):
    a, b = pair
    frames = send_udp(a, b, DATA)
    overhead = 7 + 8 + 8  # FCF, seq, PAN, two extended addresses, FCS
    assert len(frames) >= 4
    assert all(len(p) <= FRAME_MAX - overhead for _, p in frames)
    assert frames[0][1][0] & 0xF8 == 0xC0 and all(p[0] & 0xF8 == 0xE0 for _, p in frames[1:])
    size = struct.unpack("!H", frames[0][1][:2])[0] & 0x7FF
    assert size == 40 + 8 + len(DATA)  # datagram_size counts the uncompressed datagram
    offsets = [p[4] * 8 for _, p in frames[1:]]
    assert offsets == sorted(offsets) and offsets[0] > 0
    deliver(b, a.lladdr(), frames)
    count, data, sport = received(b)
    assert (count, data, sport) == (1, DATA, 0xC001)
    assert stats(b).reass_done == 1 and b.lib.sixlowpan_reass_in_use() == 0


def test_out_of_order_fragments_reassemble(pair):
    a, b = pair
    frames = send_udp(a, b, DATA)
    deliver(b, a.lladdr(), list(reversed(frames)))
    assert received(b)[:2] == (1, DATA)


def test_medium_carries_small_and_large(pair):
    a, b = pair
    medium = Medium([a, b])
    for size in (1, 60, 61, 62, 63, 64, 65, 70, 71, 72, 100, 200, 400, 591):
        data = (bytes(range(256)) * 3)[:size]
        a.lib.udp_send(link_local(b), 7000, 0xC001, data, len(data))
        medium.pump()
        assert received(b)[1] == data, size


def test_datagram_above_mtu_is_not_sent(pair):
    a, b = pair
    assert a.lib.udp_send(link_local(b), 7000, 1, bytes(600), 600) < 0


def frag1(size: int, tag: int, body: bytes) -> bytes:
    return struct.pack("!HH", 0xC000 | size, tag) + body


def fragn(size: int, tag: int, offset: int, body: bytes) -> bytes:
    return struct.pack("!HHB", 0xE000 | size, tag, offset // 8) + body


def test_forged_frag1_with_huge_size_reserves_nothing(pair):
    a, b = pair
    legit = send_udp(a, b, DATA)
    first = legit[0][1]
    b.mac_input(a.lladdr(), b.lladdr(), frag1(2047, 0x1111, first[4:]))
    b.mac_input(a.lladdr(), b.lladdr(), frag1(REASS_SIZE + 1, 0x1112, first[4:]))
    b.mac_input(a.lladdr(), b.lladdr(), fragn(2000, 0x1113, 96, bytes(64)))
    assert stats(b).reass_too_big == 3
    assert b.lib.sixlowpan_reass_in_use() == 0
    deliver(b, a.lladdr(), legit)  # the buffer is still there for real traffic
    assert received(b)[:2] == (1, DATA)


def test_duplicate_fragments_are_ignored(pair):
    a, b = pair
    frames = send_udp(a, b, DATA)
    doubled = [f for f in frames[:-1] for _ in range(2)] + [frames[-1]]
    deliver(b, a.lladdr(), doubled)
    assert received(b)[:2] == (1, DATA)
    assert stats(b).reass_duplicate == len(frames) - 1


def test_overlapping_inconsistent_fragment_drops_the_datagram(pair):
    a, b = pair
    frames = send_udp(a, b, DATA)
    dst, second = frames[1]
    forged = second[:5] + bytes(b ^ 0xFF for b in second[5:])  # same offset, other bytes
    deliver(b, a.lladdr(), frames[:2])
    b.mac_input(a.lladdr(), dst, forged)
    assert stats(b).reass_conflict == 1 and b.lib.sixlowpan_reass_in_use() == 0
    deliver(b, a.lladdr(), frames[2:])  # the rest starts a new slot that never completes
    assert received(b)[0] == 0
    frames = send_udp(a, b, DATA)  # a retransmission with a new tag goes through
    deliver(b, a.lladdr(), frames)
    assert received(b)[:2] == (1, DATA)


def test_overlap_with_identical_bytes_is_accepted(pair):
    a, b = pair
    frames = send_udp(a, b, DATA)
    second, third = frames[1][1], frames[2][1]
    size, tag = struct.unpack("!HH", second[:4])
    off = second[4] * 8
    # A fragment re-cut to span the end of the second and the start of the third, same bytes.
    body = second[5 + 8 :] + third[5 : 5 + 16]
    deliver(b, a.lladdr(), frames[:2])
    b.mac_input(a.lladdr(), frames[1][0], fragn(size & 0x7FF, tag, off + 8, body))
    deliver(b, a.lladdr(), frames[2:])
    assert received(b)[:2] == (1, DATA)
    assert stats(b).reass_conflict == 0


def test_fragment_running_past_datagram_size_is_refused(pair):
    a, b = pair
    frames = send_udp(a, b, DATA)
    size = struct.unpack("!H", frames[0][1][:2])[0] & 0x7FF
    deliver(b, a.lladdr(), frames[:1])
    tag = struct.unpack("!H", frames[0][1][2:4])[0]
    b.mac_input(a.lladdr(), b.lladdr(), fragn(size, tag, (size & ~7) - 8, bytes(24)))
    assert stats(b).reass_conflict == 1 and b.lib.sixlowpan_reass_in_use() == 0


def test_one_flooding_sender_cannot_lock_out_another(pair, make_node):
    a, b = pair
    attacker = bytes.fromhex("0012740000000066")
    c = make_node()
    c.lib.host_node_start(3, 0)
    legit = send_udp(a, b, DATA)
    first = legit[0][1]
    # The attacker opens reassemblies with fresh tags between every fragment of the real datagram.
    for i, (dst, payload) in enumerate(legit):
        for k in range(4):
            b.mac_input(attacker, b.lladdr(), frag1(420, 0x4000 + 8 * i + k, first[4:]))
        b.mac_input(a.lladdr(), dst, payload)
    assert received(b)[:2] == (1, DATA)
    assert b.lib.sixlowpan_reass_in_use() == 1  # only the attacker's newest one
    # A third sender gets through too while the attacker keeps its slot busy.
    c_frames = send_udp(c, b, DATA[:300], sport=0xC003)
    for dst, payload in c_frames:
        b.mac_input(attacker, b.lladdr(), frag1(420, 0x7000, first[4:]))
        b.mac_input(c.lladdr(), dst, payload)
    assert received(b)[:3] == (2, DATA[:300], 0xC003)


def test_incomplete_datagram_times_out(pair):
    a, b = pair
    frames = send_udp(a, b, DATA)
    b.set_time(1000)
    deliver(b, a.lladdr(), frames[:-1])
    b.set_time(1000 + TIMEOUT_MS - 1)
    b.lib.sixlowpan_periodic()
    assert b.lib.sixlowpan_reass_in_use() == 1
    b.set_time(1000 + TIMEOUT_MS)
    b.lib.sixlowpan_periodic()
    assert b.lib.sixlowpan_reass_in_use() == 0 and stats(b).reass_timeout == 1
    deliver(b, a.lladdr(), frames[-1:])  # the straggler alone completes nothing
    assert received(b)[0] == 0


def test_fragn_at_offset_zero_is_refused(pair):
    a, b = pair
    b.mac_input(a.lladdr(), b.lladdr(), fragn(400, 1, 0, bytes(64)))
    assert b.lib.sixlowpan_reass_in_use() == 0 and stats(b).rx_dropped == 1


def test_tshark_reassembles_our_fragments(pair, tmp_path):
    require_tool("tshark")
    a, b = pair
    frames = send_udp(a, b, DATA)
    pcap = tmp_path / "frag.pcap"
    write_pcap(pcap, [data_frame(a.lladdr(), dst, p, seq=i) for i, (dst, p) in enumerate(frames)])
    layers = tshark_json(pcap, {"udp.check_checksum": "TRUE"})
    assert all("_ws.malformed" not in lay for lay in layers)
    last = layers[-1]
    assert IPv6Address(last["ipv6"]["ipv6.src"]) == IPv6Address(link_local(a))
    assert IPv6Address(last["ipv6"]["ipv6.dst"]) == IPv6Address(link_local(b))
    assert int(last["ipv6"]["ipv6.plen"]) == 8 + len(DATA)
    assert int(last["udp"]["udp.srcport"]) == 0xC001 and int(last["udp"]["udp.dstport"]) == 7000
    assert last["udp"]["udp.checksum.status"] == "1"
