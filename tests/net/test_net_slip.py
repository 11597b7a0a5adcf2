"""SLIP (RFC 1055): the C codec and harness.bridge.slip agree, byte for byte."""

from __future__ import annotations

import ctypes

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nethost import Node

from harness.bridge import slip


class Decoder(ctypes.Structure):
    _fields_ = [
        ("buf", ctypes.c_void_p),
        ("size", ctypes.c_uint16),
        ("len", ctypes.c_uint16),
        ("esc", ctypes.c_uint8),
        ("discard", ctypes.c_uint8),
        ("errors", ctypes.c_uint16),
    ]


class CSlip:
    def __init__(self, node: Node) -> None:
        self.lib = node.firmware
        self.lib.slip_encode.restype = ctypes.c_uint16
        self.lib.slip_decode_byte.restype = ctypes.c_uint16
        self.lib.slip_decode_byte.argtypes = [ctypes.POINTER(Decoder), ctypes.c_uint8]

    def encode(self, data: bytes, room: int | None = None) -> bytes:
        room = 2 * len(data) + 2 if room is None else room
        out = ctypes.create_string_buffer(max(room, 1))
        n = self.lib.slip_encode(data, len(data), out, room)
        return out.raw[:n]

    def decode(self, stream: bytes, size: int = 1280) -> tuple[list[bytes], int]:
        buf = ctypes.create_string_buffer(size)
        dec = Decoder()
        self.lib.slip_decoder_init(ctypes.byref(dec), buf, size)
        packets = []
        for b in stream:
            n = self.lib.slip_decode_byte(ctypes.byref(dec), b)
            if n:
                packets.append(buf.raw[:n])
        return packets, dec.errors


_c: CSlip | None = None


def c_slip(tmp_path_factory) -> CSlip:
    global _c
    if _c is None:
        _c = CSlip(Node(tmp_path_factory.mktemp("slip")))
    return _c


packets = st.lists(
    st.binary(min_size=1, max_size=300).map(lambda b: b + bytes([0xC0, 0xDB])[: len(b) % 3]),
    min_size=1,
    max_size=6,
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(pkts=packets, chunk=st.integers(1, 64))
def test_c_and_python_agree(tmp_path_factory, pkts, chunk):
    c = c_slip(tmp_path_factory)
    stream = b"".join(c.encode(p) for p in pkts)
    assert stream == b"".join(slip.encode(p) for p in pkts)
    dec = slip.Decoder()
    got = [p for i in range(0, len(stream), chunk) for p in dec.feed(stream[i : i + chunk])]
    assert got == pkts
    assert c.decode(stream) == (pkts, 0)


def test_escapes(tmp_path_factory):
    c = c_slip(tmp_path_factory)
    assert c.encode(b"\xc0\xdb\x01") == bytes.fromhex("c0dbdcdbdd01c0")
    assert c.decode(bytes.fromhex("c0dbdcdbdd01c0")) == ([b"\xc0\xdb\x01"], 0)


@pytest.mark.parametrize(
    "stream,packets,errors",
    [
        (bytes.fromhex("c0c0c0"), [], 0),  # empty frames are skipped
        (bytes.fromhex("01dbc0 02c0"), [b"\x02"], 1),  # ESC then END: frame dropped
        (bytes.fromhex("01db0203c0 04c0"), [b"\x04"], 1),  # ESC + other byte: frame dropped
        (b"noise" + bytes.fromhex("c0 0102 c0"), [b"noise", b"\x01\x02"], 0),
    ],
)
def test_bad_frames_are_dropped_alike(tmp_path_factory, stream, packets, errors):
    dec = slip.Decoder()
    assert (dec.feed(stream), dec.errors) == (packets, errors)
    assert c_slip(tmp_path_factory).decode(stream) == (packets, errors)


def test_oversize_frame_is_dropped(tmp_path_factory):
    stream = slip.encode(bytes(100)) + slip.encode(b"ok")
    assert c_slip(tmp_path_factory).decode(stream, size=64) == ([b"ok"], 1)
    dec = slip.Decoder(max_size=64)
    assert (dec.feed(stream), dec.errors) == ([b"ok"], 1)


def test_encode_refuses_a_too_small_buffer(tmp_path_factory):
    assert c_slip(tmp_path_factory).encode(b"\xc0" * 10, room=21) == b""
    assert len(c_slip(tmp_path_factory).encode(b"\xc0" * 10, room=22)) == 22
