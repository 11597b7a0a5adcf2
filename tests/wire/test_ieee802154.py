"""802.15.4 frame helpers (harness/wire/ieee802154.py): FCS check value, air time and frame layout written
out byte by byte from IEEE 802.15.4-2006 §7.2 (tshark dissects these frames in tests/sim/test_pcap.py
and tests/net)."""

import pytest

from harness.wire.ieee802154 import (
    FCS_BYTES,
    SHORT_DATA_HEADER_BYTES,
    air_time_us,
    data_frame,
    fcs16,
    fcs_ok,
    frame_source,
    with_fcs,
)


def test_fcs_known_vector():
    # CRC-16/KERMIT check value for "123456789"
    assert fcs16(b"123456789") == 0x2189
    assert fcs_ok(data_frame(7, 0x1234, 2, 1, b"\x00x"))
    assert with_fcs(b"123456789") == b"123456789\x89\x21"
    assert not fcs_ok(b"123456789\x21\x89") and not fcs_ok(b"\x00")


def test_air_time():
    assert air_time_us(127) == (4 + 1 + 1 + 127) * 32
    assert air_time_us(5) == 352  # an acknowledgement


def test_short_address_data_frame_layout():
    frame = data_frame(0x15A, 0xABCD, 0x0002, 0x0001, b"hi", ack_request=True)
    # FCF 0x8861: data, ack request, PAN ID compression, short dst and src; seq 0x5A; PAN, dst, src LSB first
    assert frame[:-2] == bytes.fromhex("6188 5a cdab 0200 0100") + b"hi"
    assert fcs_ok(frame) and frame_source(frame) == 1
    assert len(frame) == SHORT_DATA_HEADER_BYTES + len(b"hi") + FCS_BYTES
    assert data_frame(1, 0xABCD, b"\x00\x02", b"\x00\x01", b"hi", ack_request=True)[3:-2] == frame[3:-2]


def test_extended_address_data_frame_layout():
    dst = bytes.fromhex("0012740000000002")
    src = bytes.fromhex("0012740000000001")
    frame = data_frame(3, 0xABCD, dst, src, b"x")
    # FCF 0xCC41: data, PAN ID compression, extended dst and src; addresses reversed on the air
    assert frame[:-2] == bytes.fromhex("41cc 03 cdab") + dst[::-1] + src[::-1] + b"x"
    assert fcs_ok(frame) and frame_source(frame) is None


def test_bad_addresses_are_refused():
    with pytest.raises(ValueError, match="2 or 8"):
        data_frame(0, 0xABCD, b"\x01\x02\x03", 1, b"")
    with pytest.raises(ValueError, match="outside"):
        data_frame(0, 0xABCD, 0x10000, 1, b"")
