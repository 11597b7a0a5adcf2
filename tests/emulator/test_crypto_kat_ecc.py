"""TinyDTLS's P-256 on the emulated MSP430 (crypto_kat, tinydtls flavour with ECC), checked by the
host with `cryptography`: ECDH with a host-made peer key, ECDSA signatures made on the mote (with a
host-chosen k, where r and s are recomputed in Python, and with the mote's own PRNG), and
verification of a host-made signature and of tampered ones.

One P-256 scalar multiplication costs about 0.59 G cycles on the mote (~150 s at 3.9 MHz; about
1 s of host time here), so this file keeps to seven of them. Keys are derived from a seeded
`random.Random`, so a run is reproducible.
"""

from __future__ import annotations

import hashlib
import random

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, encode_dss_signature

from harness.bench.crypto_kat import KatMote, build_kat, kat_seed

pytestmark = pytest.mark.slow

SEED = kat_seed(20240502)  # ESSE_KAT_SEED=<n> for other inputs
ERR_AUTH = 2
ECC_OP_CYCLES = 3_000_000_000  # per request: generous bound, a multiplication is ~0.6 G
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def be32(n: int) -> bytes:
    return n.to_bytes(32, "big")


def keypair(rng: random.Random) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(rng.randrange(1, P256_N), ec.SECP256R1())


def pub_bytes(key: ec.EllipticCurvePrivateKey) -> bytes:
    nums = key.public_key().public_numbers()
    return be32(nums.x) + be32(nums.y)


def verifies(key: ec.EllipticCurvePrivateKey, digest: bytes, r: int, s: int) -> bool:
    try:
        key.public_key().verify(encode_dss_signature(r, s), digest, ec.ECDSA(Prehashed(hashes.SHA256())))
    except InvalidSignature:
        return False
    return True


@pytest.fixture(scope="module")
def kat(tmp_path_factory) -> KatMote:
    return KatMote(build_kat("tinydtls", ecc=True, build_root=tmp_path_factory.mktemp("crypto_kat_ecc")))


@pytest.fixture(scope="module")
def rng() -> random.Random:
    return random.Random(SEED)


def test_ecdh_shared_secret(kat, rng) -> None:
    mote_key, host_key = keypair(rng), keypair(rng)
    expected = host_key.exchange(ec.ECDH(), mote_key.public_key())
    reply = kat.request("E", be32(mote_key.private_numbers().private_value) + pub_bytes(host_key),
                        max_cycles=ECC_OP_CYCLES)
    assert reply.ok and reply.data == expected, f"seed {SEED}"


def test_ecdsa_sign_with_given_k_matches_python(kat, rng) -> None:
    key = keypair(rng)
    d = key.private_numbers().private_value
    digest = hashlib.sha256(b"ServerKeyExchange params " + rng.randbytes(16)).digest()
    k = rng.randrange(1, P256_N)
    reply = kat.request("S", be32(d) + digest + be32(k), max_cycles=ECC_OP_CYCLES)
    assert reply.ok
    r, s = int.from_bytes(reply.data[:32], "big"), int.from_bytes(reply.data[32:], "big")
    # FIPS 186-4 6.4: r = x(kG) mod n, s = k^-1 (e + r d) mod n (e = the whole 256-bit hash)
    x_kg = ec.derive_private_key(k, ec.SECP256R1()).public_key().public_numbers().x
    assert r == x_kg % P256_N
    assert s == pow(k, -1, P256_N) * (int.from_bytes(digest, "big") + r * d) % P256_N
    assert verifies(key, digest, r, s)


def test_ecdsa_sign_with_mote_prng_verifies(kat, rng) -> None:
    key = keypair(rng)
    digest = hashlib.sha256(rng.randbytes(40)).digest()
    reply = kat.request("T", be32(key.private_numbers().private_value) + digest, max_cycles=ECC_OP_CYCLES)
    assert reply.ok
    r, s = int.from_bytes(reply.data[:32], "big"), int.from_bytes(reply.data[32:], "big")
    assert verifies(key, digest, r, s)
    assert not verifies(key, hashlib.sha256(digest).digest(), r, s)  # the check itself can fail


def test_ecdsa_verify_host_signature_and_tampered_ones(kat, rng) -> None:
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    key = keypair(rng)
    digest = hashlib.sha256(rng.randbytes(64)).digest()
    r, s = decode_dss_signature(key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256()))))
    good = kat.request("V", pub_bytes(key) + digest + be32(r) + be32(s), max_cycles=ECC_OP_CYCLES)
    assert good.ok, f"mote rejected a valid host signature (err {good.error})"
    tampered_digest = bytes([digest[0] ^ 1]) + digest[1:]
    bad = kat.request("V", pub_bytes(key) + tampered_digest + be32(r) + be32(s), max_cycles=ECC_OP_CYCLES)
    assert not bad.ok and bad.error == ERR_AUTH
    # a zero s is refused before any curve arithmetic (no multiplication spent)
    zero = kat.request("V", pub_bytes(key) + digest + be32(r) + be32(0), max_cycles=ECC_OP_CYCLES)
    assert not zero.ok and zero.error == ERR_AUTH
