"""The device's C crypto (CMAC, SP 800-108 KDF, segment B) against `cryptography` and infomem."""

from __future__ import annotations

import random

import pytest
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.cmac import CMAC

from harness.bootstrap import messages as m
from harness.bootstrap.device import load
from harness.wire.infomem import PENDING_LEN, PENDING_OFFSET, Identity, InfoMemError

from .conftest import IK, NODE


@pytest.fixture(scope="module")
def boot():
    return load()


def _aes(ffi, lib, key: bytes):
    ctx = ffi.new("esse_aes128_t *")
    lib.esse_aes128_init(ctx, key)
    return ctx


def test_cmac_matches_cryptography_for_every_length(boot) -> None:
    ffi, lib = boot
    rnd = random.Random(3)
    key = rnd.randbytes(16)
    ctx = _aes(ffi, lib, key)
    for n in range(0, 70):
        msg = rnd.randbytes(n)
        mac = ffi.new("uint8_t[16]")
        lib.esse_cmac(ctx, msg, n, mac)
        ref = CMAC(algorithms.AES(key))
        ref.update(msg)
        assert bytes(mac) == ref.finalize(), n


def test_cmac_rfc4493_example() -> None:
    # RFC 4493 section 4, example 2 (16-byte message)
    ffi, lib = load()
    ctx = _aes(ffi, lib, IK)
    mac = ffi.new("uint8_t[16]")
    lib.esse_cmac(ctx, bytes.fromhex("6bc1bee22e409f96e93d7e117393172a"), 16, mac)
    assert bytes(mac).hex() == "070a16b46b4d4144f79bdd9dd04a287c"


def test_kdf_matches_sp800_108_reference(boot) -> None:
    ffi, lib = boot
    rnd = random.Random(4)
    for _ in range(20):
        ik = rnd.randbytes(16)
        ctx = m.kdf_context(
            rnd.getrandbits(16),
            rnd.getrandbits(16),
            rnd.getrandbits(32),
            rnd.getrandbits(32),
            rnd.randbytes(8),
            rnd.randbytes(8),
        )
        out = ffi.new("uint8_t[16]")
        lib.esse_boot_kdf(_aes(ffi, lib, ik), ctx, out)
        assert bytes(out) == m.derive_psk(ik, ctx)


def test_sizes_fit_one_frame(boot) -> None:
    _, lib = boot
    assert (
        (lib.ESSE_BOOT_REQUEST_LEN, lib.ESSE_BOOT_RESPONSE_LEN, lib.ESSE_BOOT_CONFIRM_LEN)
        == (m.REQUEST_LEN, m.RESPONSE_LEN, m.CONFIRM_LEN)
        == (19, 29, 15)
    )
    assert max(m.REQUEST_LEN, m.RESPONSE_LEN, m.CONFIRM_LEN) <= 110  # UDP payload of one 802.15.4 frame


def test_segment_b_psk_update_keeps_ik_and_node(boot) -> None:
    ffi, lib = boot
    psk = bytes(range(0x40, 0x50))
    seg = ffi.new("uint8_t[128]", Identity(node_id=NODE, ik=IK).encode_segment_b())
    assert lib.esse_boot_segment_b_set_psk(seg, psk, ffi.NULL) == lib.ESSE_BOOT_OK
    got = Identity.decode(bytes(seg))
    assert got == Identity(node_id=NODE, psk_dn=psk, ik=IK)


def test_segment_b_keeps_the_pending_confirmation_with_the_key(boot) -> None:
    """BOOT_CONFIRM and the expected BOOT_ACK go into segment B in the same write as PSK_DN (a reset
    before the ACK confirms again); the identity still decodes, the CRC covers them."""
    ffi, lib = boot
    pending = bytes([m.BOOT_CONFIRM]) + bytes(range(1, PENDING_LEN))
    seg = ffi.new("uint8_t[128]", Identity(node_id=NODE, ik=IK).encode_segment_b())
    assert lib.esse_boot_segment_b_set_psk(seg, bytes(16), pending) == lib.ESSE_BOOT_OK
    image = bytes(seg)
    assert image[PENDING_OFFSET : PENDING_OFFSET + PENDING_LEN] == pending
    assert image[PENDING_OFFSET + PENDING_LEN : 0x7E] == b"\xff" * (0x7E - PENDING_OFFSET - PENDING_LEN)
    assert Identity.decode(image) == Identity(node_id=NODE, psk_dn=bytes(16), ik=IK)
    assert lib.ESSE_INFO_PENDING_OFFSET == PENDING_OFFSET and lib.ESSE_INFO_PENDING_LEN == PENDING_LEN
    # provisioning an identity (the operator's reflash) clears it
    assert Identity(node_id=NODE, ik=IK).encode_segment_b()[PENDING_OFFSET] == 0xFF


def test_segment_b_update_refuses_a_bad_image(boot) -> None:
    ffi, lib = boot
    image = bytearray(Identity(node_id=NODE, ik=IK).encode_segment_b())
    image[0x20] ^= 1  # CRC no longer matches
    seg = ffi.new("uint8_t[128]", bytes(image))
    assert lib.esse_boot_segment_b_set_psk(seg, bytes(16), ffi.NULL) == lib.ESSE_BOOT_ERR_LAYOUT
    assert bytes(seg) == bytes(image)
    with pytest.raises(InfoMemError):
        Identity.decode(bytes(seg))
    erased = ffi.new("uint8_t[128]", b"\xff" * 128)
    assert lib.esse_boot_segment_b_set_psk(erased, bytes(16), ffi.NULL) == lib.ESSE_BOOT_ERR_LAYOUT
