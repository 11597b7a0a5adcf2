"""IEEE 802.15.4 MAC (firmware/net/mac802154.c): frame format vs tshark, ACK/retry, CSMA-CA, duplicates."""

from __future__ import annotations

import ctypes
import struct

import pytest
from nethost import Air, LLAddr, Node
from requirements import require_tool
from wpan import crc16_kermit, data_frame, tshark_json, write_pcap

EXT1 = bytes.fromhex("0012740000000001")
EXT2 = bytes.fromhex("0012740000000002")
PAN = 0xABCD


class Stats(ctypes.Structure):
    _fields_ = [
        (n, ctypes.c_uint16)
        for n in (
            "tx",
            "tx_acked",
            "tx_retries",
            "tx_no_ack",
            "tx_channel_busy",
            "rx",
            "rx_duplicates",
            "rx_filtered",
            "acks_sent",
        )
    ]


class Frame(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_uint8),
        ("seq", ctypes.c_uint8),
        ("ack_request", ctypes.c_uint8),
        ("frame_pending", ctypes.c_uint8),
        ("pan_compression", ctypes.c_uint8),
        ("version", ctypes.c_uint8),
        ("dst_pan", ctypes.c_uint16),
        ("src_pan", ctypes.c_uint16),
        ("dst", LLAddr),
        ("src", LLAddr),
        ("payload", ctypes.c_void_p),
        ("payload_len", ctypes.c_uint8),
    ]


def stats(node: Node) -> Stats:
    node.firmware.mac_stats.restype = ctypes.POINTER(Stats)
    return node.firmware.mac_stats().contents


def ll(addr: LLAddr) -> bytes:
    return bytes(addr.addr[: addr.len])


def parse(node: Node, frame: bytes) -> tuple[int, Frame, bytes]:
    f = Frame()
    rc = node.firmware.mac_frame_parse(frame, len(frame), ctypes.byref(f))
    payload = ctypes.string_at(f.payload, f.payload_len) if rc == 0 else b""
    return rc, f, payload


@pytest.fixture
def nodes(tmp_path):
    a, b = Node(tmp_path, with_mac=True), Node(tmp_path, with_mac=True)
    a.lib.host_node_start(1, 0)
    b.lib.host_node_start(2, 0)
    b.lib.host_udp_listen(7000)
    air = Air(tmp_path, [a, b])
    return a, b, air


def link_local(node: Node) -> bytes:
    return node.link_local()


def send(a: Node, b: Node, data: bytes) -> int:
    return a.lib.udp_send(link_local(b), 7000, 0xC001, data, len(data))


def received(b: Node) -> tuple[int, bytes]:
    count, data, _, _ = b.udp_last()
    return count, data


def test_python_built_frames_parse(tmp_path):
    node = Node(tmp_path, with_mac=True)
    for src, dst in [(EXT1, EXT2), (b"\x00\x01", b"\x00\x02"), (EXT1, b"\xff\xff"), (b"\x12\x34", EXT2)]:
        frame = data_frame(src, dst, b"payload!", seq=0x5A)[:-2]  # the radio strips the FCS
        rc, f, payload = parse(node, frame)
        assert rc == 0
        assert (f.type, f.seq, f.dst_pan, f.src_pan, f.pan_compression) == (1, 0x5A, PAN, PAN, 1)
        assert (ll(f.src), ll(f.dst), payload) == (src, dst, b"payload!")
        assert f.ack_request == (dst != b"\xff\xff")


@pytest.mark.parametrize("frame", ["01", "4188", "41cc00cdab0100", "09880000", "41c8", "41f8000000"])
def test_malformed_or_secured_frames_are_refused(tmp_path, frame):
    assert parse(Node(tmp_path, with_mac=True), bytes.fromhex(frame))[0] < 0


def test_unicast_is_acknowledged(nodes):
    a, b, air = nodes
    assert send(a, b, b"hello") == 0
    air.process()
    assert received(b) == (1, b"hello")
    log = air.log()
    assert [(s, f[0] & 7) for s, f in log] == [(0, 1), (1, 2)]  # data from A, ACK from B
    assert log[1][1][2] == log[0][1][2]  # the ACK carries the data frame's sequence number
    assert (stats(a).tx_acked, stats(a).tx_retries, stats(b).acks_sent) == (1, 0, 1)


def test_sequence_numbers_increase(nodes):
    a, b, air = nodes
    for i in range(3):
        send(a, b, bytes([i]))
    seqs = [f[2] for s, f in air.log() if s == 0]
    assert seqs == [(seqs[0] + i) & 0xFF for i in range(3)]


def test_lost_frames_are_retransmitted(nodes):
    a, b, air = nodes
    air.drop(data=2)
    assert send(a, b, b"again") == 0
    air.process()
    assert received(b) == (1, b"again")
    data = [f for s, f in air.log() if s == 0]
    assert len(data) == 3 and len({f for f in data}) == 1  # same frame, same sequence number
    assert stats(a).tx_retries == 2


def test_lost_ack_causes_a_duplicate_that_is_suppressed(nodes):
    a, b, air = nodes
    air.drop(acks=1)
    assert send(a, b, b"once") == 0
    air.process()
    assert received(b) == (1, b"once")
    assert stats(b).rx_duplicates == 1 and stats(b).acks_sent == 2


def test_no_ack_gives_up_after_max_retries(nodes):
    a, b, air = nodes
    air.drop(data=10)
    assert send(a, b, b"void") < 0
    assert stats(a).tx_no_ack == 1 and len([1 for s, _ in air.log() if s == 0]) == 1 + 3


def test_csma_backs_off_on_busy_channel(nodes):
    a, b, air = nodes
    a.lib.host_set_cca_busy(4)  # four busy CCAs, the fifth is clear
    t0 = a.lib.host_radio_delay_us()
    assert send(a, b, b"csma") == 0
    waited = a.lib.host_radio_delay_us() - t0
    air.process()
    assert received(b) == (1, b"csma")
    # Backoffs with BE 3, 4, 5, 5, 5: random(0..2^BE-1) unit periods (320 us) each, plus the ACK wait.
    assert waited % 32 == 0 and waited <= (7 + 15 + 31 * 3) * 320 + 864
    a.lib.host_set_cca_busy(5)  # macMaxCSMABackoffs = 4: five busy CCAs is a channel access failure
    assert send(a, b, b"busy") < 0 and stats(a).tx_channel_busy == 1


def test_broadcast_is_not_acknowledged(nodes):
    a, b, air = nodes
    a.lib.icmp6_send_rs()
    air.process()
    log = air.log()
    assert len(log) == 1 and log[0][1][0] & 0x20 == 0  # no ACK request, no ACK
    _, f, _ = parse(a, log[0][1])
    assert ll(f.dst) == b"\xff\xff"


def test_frames_for_others_are_filtered(nodes, tmp_path):
    a, b, air = nodes
    frame = data_frame(EXT1, bytes.fromhex("0012740000000009"), b"x")[:-2]
    b.lib.host_radio_rx(frame, len(frame))
    other_pan = data_frame(EXT1, EXT2, b"x", pan=0x1234)[:-2]
    b.lib.host_radio_rx(other_pan, len(other_pan))
    assert stats(b).rx_filtered == 2 and stats(b).acks_sent == 0


def test_fragmented_datagram_over_the_mac(nodes):
    a, b, air = nodes
    data = bytes(range(256)) + bytes(144)
    assert send(a, b, data) == 0
    air.process()
    assert received(b) == (1, data)
    assert all(len(f) + 2 <= 127 for _, f in air.log())


def test_tshark_dissects_mac_frames(nodes, tmp_path):
    require_tool("tshark")
    a, b, air = nodes
    send(a, b, b"x" * 300)  # fragmented, acknowledged
    a.lib.icmp6_send_rs()  # broadcast
    air.process()
    frames = [f + struct.pack("<H", crc16_kermit(f)) for _, f in air.log()]
    pcap = tmp_path / "mac.pcap"
    write_pcap(pcap, frames)
    layers = tshark_json(pcap, {"udp.check_checksum": "TRUE"})
    assert len(layers) == len(frames)
    for lay, (sender, raw) in zip(layers, air.log(), strict=True):
        assert "_ws.malformed" not in lay
        w = lay["wpan"]
        assert w["wpan.fcs_ok"] == "1"
        kind = int(w["wpan.fcf_tree"]["wpan.frame_type"], 16)
        assert int(w["wpan.seq_no"]) == raw[2]
        if kind == 2:
            continue
        assert kind == 1 and w["wpan.dst_pan"] == "0xabcd"
        assert w["wpan.src64"] == ":".join(f"{x:02x}" for x in (EXT1 if sender == 0 else EXT2))
        if "wpan.dst64" in w:
            assert w["wpan.dst64"] == ":".join(f"{x:02x}" for x in EXT2)
            assert w["wpan.fcf_tree"]["wpan.ack_request"] == "1"
        else:
            assert w["wpan.dst16"] == "0xffff"
    last_fragment = [lay for lay in layers if "udp" in lay]
    assert last_fragment and last_fragment[0]["udp"]["udp.checksum.status"] == "1"
