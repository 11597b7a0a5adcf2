"""Information-flash identity layout: round trip, CRC oracle, and refusals."""

import pytest

from harness.wire.infomem import INFO_END, INFO_START, Identity, InfoMemError, crc16_ccitt


def test_crc_matches_the_catalogued_check_value():
    # CRC-16/CCITT-FALSE check value for "123456789" (the CRC catalogue's standard test string)
    assert crc16_ccitt(b"123456789") == 0x29B1


def test_round_trip_and_size():
    ident = Identity(node_id=7, psk_dn=bytes(range(16)), ik=bytes(range(16, 32)))
    image = ident.encode()
    assert len(image) == INFO_END - INFO_START
    assert image[128:] == b"\xff" * 128
    assert image[:2] == b"ES" and image[4:6] == b"\x07\x00"
    assert Identity.decode(image) == ident
    assert Identity.decode(Identity().encode()) == Identity()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"psk_dn": b"short"}, "PSK_DN must be 16 bytes"),
        ({"ik": b"\xff" * 16}, "IK_d of all 0xFF"),
        ({"node_id": 0xFFFF}, "node id must be"),
        ({"node_id": -1}, "node id must be"),
    ],
)
def test_bad_values_are_named(kwargs, message):
    with pytest.raises(InfoMemError, match=message):
        Identity(**kwargs).encode()


def test_corruption_is_detected():
    image = bytearray(Identity(node_id=3, psk_dn=b"k" * 16).encode())
    image[10] ^= 1
    with pytest.raises(InfoMemError, match="CRC mismatch"):
        Identity.decode(bytes(image))
    with pytest.raises(InfoMemError, match="erased"):
        Identity.decode(b"\xff" * 256)
    with pytest.raises(InfoMemError, match="magic"):
        Identity.decode(b"\x00" * 256)
