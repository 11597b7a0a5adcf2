"""Crypto known-answer tests on the emulated MSP430: the crypto_kat firmware (our clang/lld build)
computes, the host checks.

Every expected value comes from a spec vector typed in here (FIPS-197, RFC 3610, FIPS 180,
RFC 4231, the TLS 1.2 PRF vector) or from Python (`cryptography`, `hashlib`, `hmac`, and the
RFC 5246 section 5 PRF written below); random inputs come from a seeded `random.Random`, so a run
is reproducible from the seed in the failure message. Both AES-128/CCM implementations the mote can
link are exercised: TinyDTLS's rijndael/ccm and firmware/dtls_record's aes128/ccm.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import struct

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM

from harness.bench.crypto_kat import KatMote, build_kat, ccm_payload, kat_seed, prf_payload

SEED = kat_seed(20240501)  # ESSE_KAT_SEED=<n> for other inputs
AES_IMPLS = {"dtls_record": "a", "tinydtls": "A"}
CCM_IMPLS = {"dtls_record": ("c", "o"), "tinydtls": ("C", "O")}
ERR_FORMAT, ERR_AUTH, ERR_UNKNOWN = 1, 2, 4


@pytest.fixture(scope="module")
def kat(tmp_path_factory) -> KatMote:
    return KatMote(build_kat("tinydtls", build_root=tmp_path_factory.mktemp("crypto_kat")))


def aes_ecb(key: bytes, block: bytes) -> bytes:
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return enc.update(block) + enc.finalize()


def checked(reply):
    """The reply's output, after checking that it succeeded and that its spans are plausible."""
    assert reply.ok, f"mote answered err {reply.error} to {reply.cmd!r}"
    assert all(s > 0 for s in reply.spans) and sum(reply.spans) <= reply.mote_cycles
    return reply.data


# ---------------------------------------------------------------------- AES-128


def test_record_flavour_from_app_toml(tmp_path_factory) -> None:
    """The plain app build (what `esse build` makes) runs our AES and knows no TinyDTLS command."""
    mote = KatMote(build_kat("record", build_root=tmp_path_factory.mktemp("crypto_kat_record")))
    assert mote.flavour == "record"
    key, pt = bytes(range(16)), bytes.fromhex("00112233445566778899aabbccddeeff")
    assert checked(mote.request("a", key + pt)) == bytes.fromhex("69c4e0d86a7b0430d8cdb78070b4c55a")
    assert mote.request("A", key + pt).error == ERR_UNKNOWN


@pytest.mark.parametrize("impl", AES_IMPLS)
def test_aes128_fips197_c1(kat, impl) -> None:
    key = bytes.fromhex("000102030405060708090a0b0c0d0e0f")
    pt = bytes.fromhex("00112233445566778899aabbccddeeff")
    expected = bytes.fromhex("69c4e0d86a7b0430d8cdb78070b4c55a")  # FIPS-197 appendix C.1
    assert aes_ecb(key, pt) == expected
    assert checked(kat.request(AES_IMPLS[impl], key + pt)) == expected


@pytest.mark.parametrize("impl", AES_IMPLS)
def test_aes128_random_keys_and_blocks(kat, impl) -> None:
    rng = random.Random(f"{SEED}-aes-{impl}")
    for i in range(150):
        key, block = rng.randbytes(16), rng.randbytes(16)
        got = checked(kat.request(AES_IMPLS[impl], key + block))
        assert got == aes_ecb(key, block), f"seed {SEED} case {i}: key {key.hex()} block {block.hex()}"


def test_aes128_request_of_wrong_length_is_refused(kat) -> None:
    for cmd in AES_IMPLS.values():
        assert kat.request(cmd, bytes(31)).error == ERR_FORMAT


# ---------------------------------------------------------------------- AES-CCM

RFC3610_KEY = bytes(range(0xC0, 0xD0))


def rfc3610_packet(n: int, header_len: int, total_len: int) -> tuple[bytes, bytes, bytes]:
    """Nonce, header and payload of RFC 3610 packet vectors #1-#12 (same key; counted bytes)."""
    nonce = bytes([0, 0, 0, n + 2, n + 1, n, n - 1]) + bytes(range(0xA0, 0xA6))
    return nonce, bytes(range(header_len)), bytes(range(header_len, total_len))


# (packet number, M, header length, total length, expected output packet) from RFC 3610 section 8
RFC3610_VECTORS = [
    (1, 8, 8, 31, "0001020304050607588c979a61c663d2f066d0c2c0f989806d5f6b61dac38417e8d12cfdf926e0"),
    (2, 8, 8, 32, "000102030405060772c91a36e135f8cf291ca894085c87e3cc15c439c9e43a3ba091d56e10400916"),
    (3, 8, 8, 33, "000102030405060751b1e5f44a197d1da46b0f8e2d282ae871e838bb64da8596574adaa76fbd9fb0c5"),
    (4, 8, 12, 31, "000102030405060708090a0ba28c6865939a9a79faaa5c4c2a9d4a91cdac8c96c861b9c9e61ef1"),
    (7, 10, 8, 31, "00010203040506070135d1b2c95f41d5d1d4fec185d166b8094e999dfed96c048c56602c97acbb7490"),
]


@pytest.mark.parametrize("impl", CCM_IMPLS)
@pytest.mark.parametrize("vector", RFC3610_VECTORS, ids=lambda v: f"packet{v[0]}")
def test_ccm_rfc3610_packet_vectors(kat, impl, vector) -> None:
    n, tag_len, header_len, total_len, expected_hex = vector
    nonce, header, payload = rfc3610_packet(n, header_len, total_len)
    expected = bytes.fromhex(expected_hex)
    # the typed vector and Python's AES-CCM agree: the nonce/header/payload layout is right
    assert header + AESCCM(RFC3610_KEY, tag_length=tag_len).encrypt(nonce, payload, header) == expected
    seal, open_ = CCM_IMPLS[impl]
    sealed = kat.request(seal, ccm_payload(RFC3610_KEY, tag_len, nonce, header, payload))
    assert checked(sealed) == expected[header_len:]
    opened = kat.request(open_, ccm_payload(RFC3610_KEY, tag_len, nonce, header, expected[header_len:]))
    assert checked(opened) == payload


def dtls_aad(rng: random.Random, plain_len: int) -> bytes:
    """epoch || seq || type || version || length, as DTLS 1.2 authenticates a record."""
    epoch_seq = struct.pack(">H", rng.randrange(1, 4)) + rng.randbytes(6)
    return epoch_seq + bytes([23, 0xFE, 0xFD]) + struct.pack(">H", plain_len)


@pytest.mark.parametrize("impl", CCM_IMPLS)
@pytest.mark.parametrize("tag_len", [8, 16])
def test_ccm_dtls_parameters_random(kat, impl, tag_len) -> None:
    """L = 3 (12-byte nonce = IV || epoch || seq), M = 8 or 16, random keys and records."""
    rng = random.Random(f"{SEED}-ccm-{impl}-{tag_len}")
    seal, open_ = CCM_IMPLS[impl]
    for i, size in enumerate([0, 1, 15, 16, 17, 31, 32, 33, 64, 100, 127, 128, 200]):
        key, nonce, payload = rng.randbytes(16), rng.randbytes(12), rng.randbytes(size)
        aad = dtls_aad(rng, size)
        what = f"seed {SEED} case {i}: {size}-byte record"
        expected = AESCCM(key, tag_length=tag_len).encrypt(nonce, payload, aad)
        assert checked(kat.request(seal, ccm_payload(key, tag_len, nonce, aad, payload))) == expected, what
        assert checked(kat.request(open_, ccm_payload(key, tag_len, nonce, aad, expected))) == payload, what
        # a flipped bit anywhere (ciphertext, tag, AAD) must be refused
        flip = rng.randrange(len(expected) * 8)
        forged = bytearray(expected)
        forged[flip // 8] ^= 1 << (flip % 8)
        refused = kat.request(open_, ccm_payload(key, tag_len, nonce, aad, bytes(forged)))
        assert refused.error == ERR_AUTH, what
        bad_aad = bytes([aad[0] ^ 0x80]) + aad[1:]
        assert kat.request(open_, ccm_payload(key, tag_len, nonce, bad_aad, expected)).error == ERR_AUTH, what


def test_ccm_implementations_agree_on_other_nonce_sizes(kat) -> None:
    """L from 2 to 8 (nonces of 13 down to 7 bytes), odd AAD lengths, both implementations."""
    rng = random.Random(f"{SEED}-ccm-sizes")
    for nonce_len in range(7, 14):
        key, nonce = rng.randbytes(16), rng.randbytes(nonce_len)
        aad, payload = rng.randbytes(rng.randrange(0, 40)), rng.randbytes(rng.randrange(1, 90))
        tag_len = rng.choice([4, 6, 8, 10, 12, 14, 16])
        expected = AESCCM(key, tag_length=tag_len).encrypt(nonce, payload, aad)
        for seal, _ in CCM_IMPLS.values():
            got = checked(kat.request(seal, ccm_payload(key, tag_len, nonce, aad, payload)))
            assert got == expected, f"{seal}: nonce {nonce_len} bytes, tag {tag_len}"


# ---------------------------------------------------------------------- SHA-256

SHA256_VECTORS = [  # FIPS 180-2 appendix B and the empty message
    (b"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    (b"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    (b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
]


@pytest.mark.parametrize("message,digest", SHA256_VECTORS, ids=["abc", "empty", "448-bit"])
def test_sha256_fips180_vectors(kat, message, digest) -> None:
    assert hashlib.sha256(message).hexdigest() == digest
    assert checked(kat.request("H", message)).hex() == digest


def test_sha256_padding_boundaries_and_multiblock(kat) -> None:
    rng = random.Random(f"{SEED}-sha")
    for size in [1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 300, 640]:
        msg = rng.randbytes(size)
        assert checked(kat.request("H", msg)) == hashlib.sha256(msg).digest(), f"{size} bytes"


def test_sha256_one_million_a_streamed(kat) -> None:
    expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"  # FIPS 180-2 B.3
    assert hashlib.sha256(b"a" * 1_000_000).hexdigest() == expected
    reply = kat.request("M", struct.pack(">I", 1_000_000) + b"a", max_cycles=2_000_000_000)
    assert checked(reply).hex() == expected
    # the firmware's Timer_B figure agrees with the emulator's own cycle count (~670 M cycles here):
    # only the UART transfer, the request handling and the host's polling granularity are outside it
    outside = reply.poll_step + 400 * reply.wire_bytes + 20_000
    assert reply.mote_cycles - outside <= reply.spans[0] <= reply.mote_cycles
    # and an odd length that ends mid-chunk
    odd = kat.request("M", struct.pack(">I", 1000) + b"\x5a")
    assert checked(odd) == hashlib.sha256(b"\x5a" * 1000).digest()


# ---------------------------------------------------------------------- HMAC-SHA256 (RFC 4231)

_CASE7_DATA = (b"This is a test using a larger than block-size key and a larger than block-size data. "
               b"The key needs to be hashed before being used by the HMAC algorithm.")
RFC4231_CASES = [  # (case, key, data, HMAC-SHA-256; case 5 truncated to 128 bits)
    (1, b"\x0b" * 20, b"Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    (2, b"Jefe", b"what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    (3, b"\xaa" * 20, b"\xdd" * 50, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
    (4, bytes(range(1, 26)), b"\xcd" * 50,
     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
    (5, b"\x0c" * 20, b"Test With Truncation", "a3b6167473100ee06e0c796c2955552b"),
    (6, b"\xaa" * 131, b"Test Using Larger Than Block-Size Key - Hash Key First",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    (7, b"\xaa" * 131, _CASE7_DATA, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
]


@pytest.mark.parametrize("case", RFC4231_CASES, ids=lambda c: f"case{c[0]}")
def test_hmac_sha256_rfc4231(kat, case) -> None:
    _, key, data, expected_hex = case
    expected = bytes.fromhex(expected_hex)
    full = hmac.new(key, data, hashlib.sha256).digest()
    assert full[: len(expected)] == expected
    got = checked(kat.request("h", struct.pack(">H", len(key)) + key + data))
    assert got == full
    assert got[: len(expected)] == expected  # case 5: the truncated output is a prefix


def test_hmac_sha256_random_key_lengths(kat) -> None:
    rng = random.Random(f"{SEED}-hmac")
    for key_len in [0, 1, 32, 63, 64, 65, 128, 200]:
        key, data = rng.randbytes(key_len), rng.randbytes(rng.randrange(0, 300))
        got = checked(kat.request("h", struct.pack(">H", key_len) + key + data))
        assert got == hmac.new(key, data, hashlib.sha256).digest(), f"key {key_len} bytes"


# ---------------------------------------------------------------------- TLS 1.2 PRF


def tls12_prf(secret: bytes, label: bytes, seed: bytes, n: int) -> bytes:
    """RFC 5246 section 5: PRF = P_SHA256(secret, label + seed), A(0) = seed, A(i) = HMAC(A(i-1))."""
    out, a = b"", label + seed
    while len(out) < n:
        a = hmac.new(secret, a, hashlib.sha256).digest()
        out += hmac.new(secret, a + label + seed, hashlib.sha256).digest()
    return out[:n]


def test_prf_published_sha256_vector(kat) -> None:
    """The TLS 1.2 P_SHA256 test vector circulated on the IETF TLS list (100 output bytes)."""
    secret = bytes.fromhex("9bbe436ba940f017b17652849a71db35")
    seed = bytes.fromhex("a0ba9f936cda311827a6f796ffd5198c")
    expected = bytes.fromhex(
        "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0"
        "fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187"
        "347b66")
    assert tls12_prf(secret, b"test label", seed, 100) == expected
    assert checked(kat.request("P", prf_payload(secret, b"test label", seed, b"", 100))) == expected


@pytest.mark.parametrize("label,out_len", [(b"master secret", 48), (b"extended master secret", 48),
                                           (b"key expansion", 40), (b"client finished", 12),
                                           (b"server finished", 12)])
def test_prf_as_the_handshake_uses_it(kat, label, out_len) -> None:
    rng = random.Random(f"{SEED}-prf-{label!r}")
    secret_len = 48 if b"finished" in label or label == b"key expansion" else 36  # master / PSK premaster
    secret, r1, r2 = rng.randbytes(secret_len), rng.randbytes(32), rng.randbytes(32)
    got = checked(kat.request("P", prf_payload(secret, label, r1, r2, out_len)))
    assert got == tls12_prf(secret, label, r1 + r2, out_len)


def test_prf_long_output(kat) -> None:
    rng = random.Random(f"{SEED}-prf-long")
    secret, seed = rng.randbytes(48), rng.randbytes(64)
    got = checked(kat.request("P", prf_payload(secret, b"long", seed[:32], seed[32:], 200)))
    assert got == tls12_prf(secret, b"long", seed, 200)


# ---------------------------------------------------------------------- framing


def test_unknown_command_and_oversized_request(kat) -> None:
    assert kat.request("?", b"").error == ERR_UNKNOWN
    # a frame announcing more than the firmware can hold is refused and skipped; the mote stays in sync
    out = kat.send_raw(b"H" + struct.pack(">H", 2000) + bytes(2000), cycles=1_500_000)
    assert out == b"R H err 1\n"
    assert checked(kat.request("H", b"abc")).hex() == SHA256_VECTORS[0][1]
