"""DTLS record and handshake framing (harness/wire/dtls.py) on datagrams laid out by hand from RFC 6347
§4.1 and §4.2.2, and on a ClientHello from TinyDTLS itself."""

from __future__ import annotations

import struct

import pytest

from harness.wire.dtls import (
    CT_APPLICATION_DATA,
    CT_HANDSHAKE,
    DTLS_1_2,
    DtlsFramingError,
    is_client_hello,
    split_handshake,
    split_records,
    split_records_strict,
)


def record(ctype: int, epoch: int, seq: int, fragment: bytes) -> bytes:
    header = struct.pack(">BHH", ctype, DTLS_1_2, epoch) + seq.to_bytes(6, "big")
    return header + struct.pack(">H", len(fragment)) + fragment


def handshake(msg_type: int, message_seq: int, body: bytes) -> bytes:
    n = len(body).to_bytes(3, "big")
    return bytes([msg_type]) + n + struct.pack(">H", message_seq) + bytes(3) + n + body


def test_records_of_a_datagram() -> None:
    hello = handshake(1, 0, b"\xfe\xfd" + bytes(40))
    dgram = record(CT_HANDSHAKE, 0, 7, hello) + record(CT_APPLICATION_DATA, 1, 2**40 + 3, b"x" * 30)
    first, second = split_records(dgram)
    assert (first.content_type, first.version, first.epoch, first.seq, first.length, first.offset) == (
        22, 0xFEFD, 0, 7, len(hello), 0)
    assert (second.epoch, second.seq, second.offset, second.end) == (1, 2**40 + 3, first.end, len(dgram))
    assert is_client_hello(dgram) and not is_client_hello(dgram[first.end:])
    (h,) = split_handshake(dgram[13:first.end])
    assert (h.name, h.message_seq, h.length, h.fragment_length) == ("ClientHello", 0, 42, 42)


def test_truncated_input() -> None:
    dgram = record(CT_APPLICATION_DATA, 1, 1, b"abc")
    assert split_records(dgram + dgram[:5]) == split_records(dgram)
    with pytest.raises(DtlsFramingError, match="5 bytes at offset 16 are no record"):
        split_records_strict(dgram + dgram[:5])
    with pytest.raises(DtlsFramingError, match="announces 3 bytes, 2 follow"):
        split_records_strict(dgram + dgram[:-1])
    with pytest.raises(DtlsFramingError, match="truncated handshake header"):
        split_handshake(bytes(5))


def test_tinydtls_client_hello() -> None:
    from harness.ssm.handshake import ensure_tinydtls_extension

    b = ensure_tinydtls_extension()
    sent: list[bytes] = []
    ctx = b.DtlsContext(lambda addr, data: sent.append(data), psk=b.PskStore({b"i": b"k"}, identity=b"i"))
    try:
        ctx.connect(("127.0.0.1", 5684))
    finally:
        ctx.free()
    dgram = sent[0]
    (r,) = split_records_strict(dgram)
    assert is_client_hello(dgram) and r.epoch == 0 and r.version in (0xFEFF, DTLS_1_2)
    assert [h.name for h in split_handshake(dgram[13:r.end])] == ["ClientHello"]
