"""The host extension's secp256r1 (TinyDTLS's ecc/ecc.h on libcrypto), checked against `cryptography`.

The C functions are called through the built cffi extension, the same code the SSM's handshakes run.
TinyDTLS integers are 8 uint32_t words, least significant word first.
"""

from __future__ import annotations

import hashlib
import random
from types import ModuleType
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    Prehashed,
    decode_dss_signature,
    encode_dss_signature,
)

# SEC 2, 2.4.2 (secp256r1)
P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
GX = 0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296
GY = 0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5
B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
ECDSA_SHA256 = ec.ECDSA(Prehashed(hashes.SHA256()))  # over a SHA-256 digest, as TinyDTLS signs


@pytest.fixture(scope="module")
def ecc() -> ModuleType:
    """The built extension's `lib` (built first if missing or stale)."""
    from harness.tinydtls.extension import ensure_built

    ensure_built()
    from harness.tinydtls import binding

    return binding


def words(ffi: Any, value: int, n: int = 8) -> Any:
    """A uint32_t[n] holding value, least significant word first."""
    return ffi.new(f"uint32_t[{n}]", [(value >> (32 * i)) & 0xFFFFFFFF for i in range(n)])


def value(arr: Any, n: int = 8) -> int:
    """The integer a uint32_t array holds."""
    return sum(int(arr[i]) << (32 * i) for i in range(n))


def gen_pub(td: ModuleType, d: int) -> tuple[int, int]:
    x, y = td.ffi.new("uint32_t[8]"), td.ffi.new("uint32_t[8]")
    td.lib.ecc_gen_pub_key(words(td.ffi, d), x, y)
    return value(x), value(y)


def ecdh(td: ModuleType, point: tuple[int, int], d: int) -> tuple[int, int]:
    x, y = td.ffi.new("uint32_t[8]"), td.ffi.new("uint32_t[8]")
    td.lib.ecc_ecdh(words(td.ffi, point[0]), words(td.ffi, point[1]), words(td.ffi, d), x, y)
    return value(x), value(y)


def sign(td: ModuleType, d: int, digest: bytes, k: int) -> tuple[int, int, int]:
    r, s = td.ffi.new("uint32_t[9]", [0xAA] * 9), td.ffi.new("uint32_t[9]", [0xAA] * 9)
    rc = td.lib.ecc_ecdsa_sign(words(td.ffi, d), words(td.ffi, int.from_bytes(digest, "big")),
                               words(td.ffi, k), r, s)
    if rc == 0:
        assert s[8] == 0  # TinyDTLS's callers pass 9-word buffers; s's 9th word is written 0
    return rc, value(r), value(s)


def validate(td: ModuleType, point: tuple[int, int], digest: bytes, r: int, s: int) -> int:
    f = td.ffi
    return td.lib.ecc_ecdsa_validate(words(f, point[0]), words(f, point[1]),
                                     words(f, int.from_bytes(digest, "big")), words(f, r), words(f, s))


def crypto_pub(d: int) -> tuple[int, int]:
    nums = ec.derive_private_key(d, ec.SECP256R1()).public_key().public_numbers()
    return nums.x, nums.y


def expected_sig(d: int, digest: bytes, k: int) -> tuple[int, int]:
    """SEC 1, 4.1.3 with the nonce k, the generator multiple taken from `cryptography`."""
    rx, _ = crypto_pub(k % N)
    r = rx % N
    s = pow(k, -1, N) * (int.from_bytes(digest, "big") + r * d) % N
    return r, s


def keys(count: int, seed: str) -> list[int]:
    rng = random.Random(seed)
    return [rng.randrange(1, N) for _ in range(count)]


def test_backend_is_libcrypto(ecc):
    assert ecc.ffi.string(ecc.lib.esse_ecc_backend()) == b"libcrypto"
    assert value(ecc.lib.ecc_g_point_x) == GX and value(ecc.lib.ecc_g_point_y) == GY


@pytest.mark.parametrize("d", [1, 2, 3, N - 1, N - 2, 2**255, *keys(12, "pub")])
def test_public_key_from_private_key(ecc, d):
    assert gen_pub(ecc, d) == crypto_pub(d)


def test_scalar_acts_modulo_n(ecc):
    """TinyDTLS multiplies by any 256-bit scalar: n + 5 gives 5 G, n and 0 the point at infinity (0, 0)."""
    assert gen_pub(ecc, N + 5) == crypto_pub(5)
    assert gen_pub(ecc, N) == (0, 0) and gen_pub(ecc, 0) == (0, 0)
    point = crypto_pub(12345)
    assert ecdh(ecc, point, 2**256 - 1) == crypto_pub(12345 * (2**256 - 1) % N)


@pytest.mark.parametrize(("a", "b"), list(zip(keys(6, "a"), keys(6, "b"), strict=True)))
def test_ecdh_matches_both_ways(ecc, a, b):
    ka, kb = ec.derive_private_key(a, ec.SECP256R1()), ec.derive_private_key(b, ec.SECP256R1())
    shared = ka.exchange(ec.ECDH(), kb.public_key())
    ours_ab = ecdh(ecc, crypto_pub(b), a)
    ours_ba = ecdh(ecc, gen_pub(ecc, a), b)
    assert ours_ab == ours_ba
    assert ours_ab[0].to_bytes(32, "big") == shared
    assert ours_ab == crypto_pub(a * b % N)


@pytest.mark.parametrize("bad", [(GX, (GY + 1) % P), (0, 0), (1, 1), (GX + P, GY), (GX, GY + P), (P, 0)])
def test_ecdh_refuses_a_point_off_the_curve(ecc, bad):
    """An invalid peer point (off the curve, a coordinate >= p, or (0, 0)) gives (0, 0), never d * P'."""
    assert (bad[0] ** 3 - 3 * bad[0] + B - bad[1] ** 2) % P != 0 or max(bad) >= P
    assert ecdh(ecc, bad, 0xC0FFEE) == (0, 0)


def test_our_signatures_verify_with_cryptography(ecc):
    for i, (d, k) in enumerate(zip(keys(8, "d"), keys(8, "k"), strict=True)):
        digest = hashlib.sha256(b"message %d" % i).digest()
        rc, r, s = sign(ecc, d, digest, k)
        assert rc == 0
        assert (r, s) == expected_sig(d, digest, k)  # the caller's k decides the signature
        pub = ec.derive_private_key(d, ec.SECP256R1()).public_key()
        pub.verify(encode_dss_signature(r, s), digest, ECDSA_SHA256)
        assert validate(ecc, crypto_pub(d), digest, r, s) == 0


def test_nonce_beyond_n_acts_modulo_n(ecc):
    """TinyDTLS's caller draws k as 32 random bytes, so k >= n happens (p ~ 2^-32); k and k - n sign alike."""
    d, digest = keys(1, "big-k")[0], hashlib.sha256(b"big k").digest()
    k = N + 0x1234567
    assert k < 2**256
    rc, r, s = sign(ecc, d, digest, k)
    assert rc == 0 and (r, s) == expected_sig(d, digest, k - N) == sign(ecc, d, digest, k - N)[1:]


def test_sign_refuses_a_zero_nonce(ecc):
    digest = hashlib.sha256(b"zero").digest()
    assert sign(ecc, 7, digest, 0)[0] == -1
    assert sign(ecc, 7, digest, N)[0] == -1  # N G is the point at infinity: r would be 0


def test_cryptography_signatures_verify_with_ours(ecc):
    for i, d in enumerate(keys(8, "theirs")):
        key = ec.derive_private_key(d, ec.SECP256R1())
        digest = hashlib.sha256(b"theirs %d" % i).digest()
        r, s = decode_dss_signature(key.sign(digest, ECDSA_SHA256))
        assert validate(ecc, crypto_pub(d), digest, r, s) == 0
        assert validate(ecc, crypto_pub(d), digest, r, N - s) == 0  # (r, -s) is valid too (SEC 1)


def test_validate_refuses_tampering(ecc):
    d, other = keys(2, "tamper")
    key = ec.derive_private_key(d, ec.SECP256R1())
    digest = hashlib.sha256(b"tamper").digest()
    r, s = decode_dss_signature(key.sign(digest, ECDSA_SHA256))
    pub = crypto_pub(d)
    assert validate(ecc, pub, digest, r, s) == 0
    flipped_hash = bytes([digest[0] ^ 0x01]) + digest[1:]
    assert validate(ecc, pub, flipped_hash, r, s) == -1
    assert validate(ecc, pub, digest, r ^ (1 << 77), s) == -1
    assert validate(ecc, pub, digest, r, s ^ 1) == -1
    assert validate(ecc, crypto_pub(other), digest, r, s) == -1
    assert validate(ecc, pub, digest, 0, s) == -1 and validate(ecc, pub, digest, r, 0) == -1
    assert validate(ecc, pub, digest, r, N) == -1  # s = 0 mod n has no inverse
    with pytest.raises(InvalidSignature):  # the oracle agrees on the flipped hash
        key.public_key().verify(encode_dss_signature(r, s), flipped_hash, ECDSA_SHA256)


@pytest.mark.parametrize("bad", [(0, 0), (GX, (GY + 1) % P), (GX + P, GY)])
def test_validate_refuses_an_invalid_public_key(ecc, bad):
    """A signature made by the key d = 1 (public key G) is refused under G's off-curve neighbours."""
    digest = hashlib.sha256(b"invalid key").digest()
    rc, r, s = sign(ecc, 1, digest, 99)
    assert rc == 0 and validate(ecc, (GX, GY), digest, r, s) == 0
    assert validate(ecc, bad, digest, r, s) == -1


@pytest.mark.parametrize(("d", "valid"), [(0, 0), (1, 1), (N - 1, 1), (N, 0), (N + 1, 0), (2**256 - 1, 0)])
def test_private_key_validity(ecc, d, valid):
    """SEC 1, 3.2.1: a private key lies in [1, n - 1] (cryptography refuses the others too)."""
    assert ecc.lib.ecc_is_valid_key(words(ecc.ffi, d)) == valid
    if valid:
        ec.derive_private_key(d, ec.SECP256R1())
    else:
        with pytest.raises(ValueError):
            ec.derive_private_key(d, ec.SECP256R1())
