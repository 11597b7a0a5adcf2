"""The crypto KATs of the record layer with the block cipher on the CC2420's stand-alone AES (crypto_kat
saes flavour, -DESSE_AES_SAES): FIPS-197, RFC 3610 and DTLS-parameter CCM against `cryptography`, and
the whole ESSE hand-off (ssm_client + record layer) against the host's SSM code, all on the emulated
mote with its radio model computing every AES block over SPI."""

from __future__ import annotations

import random

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESCCM
from test_crypto_kat import RFC3610_KEY, RFC3610_VECTORS, aes_ecb, checked, dtls_aad, rfc3610_packet

# the same hand-off KATs as the software flavour, run against this module's `kat` fixture
from test_crypto_kat_ssm import (  # noqa: F401
    test_forged_key_material_is_refused_on_the_mote,
    test_mote_opens_key_material_acks_it_and_protects_with_it,
    test_replayed_key_material_is_refused_on_the_mote,
)

from harness.bench.crypto_kat import KatMote, build_kat, ccm_payload, kat_seed

SEED = kat_seed(20261205)
ERR_UNKNOWN = 4


@pytest.fixture(scope="module")
def kat(tmp_path_factory) -> KatMote:
    mote = KatMote(build_kat("saes", build_root=tmp_path_factory.mktemp("crypto_kat_saes")))
    assert mote.flavour == "saes"
    return mote


def test_aes128_fips197_c1_on_the_radio(kat) -> None:
    key, pt = bytes(range(16)), bytes.fromhex("00112233445566778899aabbccddeeff")
    before = kat.radio.stats()["saes_blocks"]
    assert checked(kat.request("a", key + pt)) == bytes.fromhex("69c4e0d86a7b0430d8cdb78070b4c55a")
    assert kat.radio.stats()["saes_blocks"] == before + 1  # the radio computed it, not software
    assert kat.request("A", key + pt).error == ERR_UNKNOWN


def test_aes128_random_keys_and_blocks_on_the_radio(kat) -> None:
    rng = random.Random(f"{SEED}-aes")
    for i in range(60):
        key, block = rng.randbytes(16), rng.randbytes(16)
        assert checked(kat.request("a", key + block)) == aes_ecb(key, block), f"seed {SEED} case {i}"


@pytest.mark.parametrize("vector", RFC3610_VECTORS, ids=lambda v: f"packet{v[0]}")
def test_ccm_rfc3610_packet_vectors_on_the_radio(kat, vector) -> None:
    n, tag_len, header_len, total_len, expected_hex = vector
    nonce, header, payload = rfc3610_packet(n, header_len, total_len)
    expected = bytes.fromhex(expected_hex)
    sealed = kat.request("c", ccm_payload(RFC3610_KEY, tag_len, nonce, header, payload))
    assert checked(sealed) == expected[header_len:]
    opened = kat.request("o", ccm_payload(RFC3610_KEY, tag_len, nonce, header, expected[header_len:]))
    assert checked(opened) == payload


@pytest.mark.parametrize("tag_len", [8, 16])
def test_ccm_dtls_parameters_random_on_the_radio(kat, tag_len) -> None:
    rng = random.Random(f"{SEED}-ccm-{tag_len}")
    for i, size in enumerate([0, 1, 16, 17, 33, 100, 128, 200]):
        key, nonce, payload = rng.randbytes(16), rng.randbytes(12), rng.randbytes(size)
        aad = dtls_aad(rng, size)
        expected = AESCCM(key, tag_length=tag_len).encrypt(nonce, payload, aad)
        what = f"seed {SEED} case {i}: {size}-byte record"
        assert checked(kat.request("c", ccm_payload(key, tag_len, nonce, aad, payload))) == expected, what
        assert checked(kat.request("o", ccm_payload(key, tag_len, nonce, aad, expected))) == payload, what
        forged = bytearray(expected)
        forged[rng.randrange(len(forged))] ^= 0x10
        assert kat.request("o", ccm_payload(key, tag_len, nonce, aad, bytes(forged))).error == 2, what
