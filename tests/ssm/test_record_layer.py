"""The C record layer (host build) against FIPS-197 / RFC 3610 vectors and an independent Python
record implementation on `cryptography`."""

from __future__ import annotations

import random

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESCCM
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.ssm import pyrecord

PSK_CCM_8 = 0xC0A8
PSK_CCM = 0xC0A4


def aes_block(rec, key: bytes, block: bytes) -> bytes:
    ffi, lib = rec
    ctx = ffi.new("esse_aes128_t *")
    lib.esse_aes128_init(ctx, key)
    out = ffi.new("uint8_t[16]")
    lib.esse_aes128_encrypt(ctx, block, out)
    return bytes(out)


def ccm_seal(rec, key, nonce, tag_len, aad, msg) -> bytes:
    ffi, lib = rec
    ctx = ffi.new("esse_aes128_t *")
    lib.esse_aes128_init(ctx, key)
    data = ffi.new("uint8_t[]", max(1, len(msg)))
    ffi.memmove(data, msg, len(msg))
    tag = ffi.new("uint8_t[16]")
    assert lib.esse_ccm_seal(ctx, nonce, len(nonce), tag_len, aad, len(aad), data, len(msg), tag) == 0
    return bytes(ffi.buffer(data, len(msg))) + bytes(ffi.buffer(tag, tag_len))


def test_aes128_fips197_appendix_c1(rec):
    key = bytes(range(16))
    pt = bytes.fromhex("00112233445566778899aabbccddeeff")
    assert aes_block(rec, key, pt).hex() == "69c4e0d86a7b0430d8cdb78070b4c55a"


def test_ccm_rfc3610_packet_vector_1(rec):
    key = bytes.fromhex("c0c1c2c3c4c5c6c7c8c9cacbcccdcecf")
    nonce = bytes.fromhex("00000003020100a0a1a2a3a4a5")
    packet = bytes(range(0x1F))
    aad, msg = packet[:8], packet[8:]
    expected = "588c979a61c663d2f066d0c2c0f989806d5f6b61dac38417e8d12cfdf926e0"
    assert ccm_seal(rec, key, nonce, 8, aad, msg).hex() == expected
    # the independent implementation agrees with the RFC too
    assert AESCCM(key, tag_length=8).encrypt(nonce, msg, aad).hex() == expected


@settings(max_examples=60, deadline=None)
@given(
    key=st.binary(min_size=16, max_size=16),
    nonce_len=st.sampled_from([7, 11, 12, 13]),
    tag_len=st.sampled_from([4, 8, 16]),
    aad=st.binary(max_size=40),
    msg=st.binary(max_size=100),
)
def test_ccm_matches_cryptography(rec, key, nonce_len, tag_len, aad, msg):
    nonce = random.randbytes(nonce_len)
    assert ccm_seal(rec, key, nonce, tag_len, aad, msg) == AESCCM(key, tag_length=tag_len).encrypt(
        nonce, msg, aad
    )


def ccm_open(rec, key, nonce, tag_len, aad, sealed) -> int:
    ffi, lib = rec
    ctx = ffi.new("esse_aes128_t *")
    lib.esse_aes128_init(ctx, key)
    n = len(sealed) - tag_len
    data = ffi.new("uint8_t[]", sealed[:n] or b"\0")
    return lib.esse_ccm_open(ctx, nonce, len(nonce), tag_len, aad, len(aad), data, n, sealed[n:])


def test_ccm_open_rejects_flipped_bit(rec):
    key, nonce, aad = random.randbytes(16), random.randbytes(12), b"hdr"
    sealed = AESCCM(key, tag_length=8).encrypt(nonce, b"payload", aad)
    assert ccm_open(rec, key, nonce, 8, aad, sealed) == 0
    bad = bytearray(sealed)
    bad[2] ^= 1
    assert ccm_open(rec, key, nonce, 8, aad, bytes(bad)) == -2


# -- records


class Pair:
    """A server-side C record state plus the client's keys for the Python implementation."""

    def __init__(self, rec, suite: int, recv_seq: int = 0, recv_window: int = 1, next_send_seq: int = 1):
        ffi, lib = rec
        self.ffi, self.lib = ffi, lib
        self.ckey, self.skey, self.civ, self.siv = (
            random.randbytes(16),
            random.randbytes(16),
            random.randbytes(4),
            random.randbytes(4),
        )
        self.tag = 8 if suite == PSK_CCM_8 else 16
        ks = ffi.new("esse_keystate_t *")
        ks.session_id = random.randbytes(8)
        ks.cipher_suite, ks.version, ks.role, ks.epoch = suite, 0xFEFD, 1, 1
        ks.next_send_seq, ks.recv_seq, ks.recv_window = next_send_seq, recv_seq, recv_window
        ks.client_write_key, ks.server_write_key = self.ckey, self.skey
        ks.client_iv, ks.server_iv = self.civ, self.siv
        self.st = ffi.new("esse_record_t *")
        assert lib.esse_record_install(self.st, ks) == 0

    def open(self, record: bytes) -> tuple[int, int, bytes | None, int]:
        buf = self.ffi.new("uint8_t[]", record)
        view = self.ffi.new("esse_record_view_t *")
        rc = self.lib.esse_record_open(self.st, buf, len(record), view)
        payload = bytes(self.ffi.buffer(view.payload, view.payload_len)) if rc == 0 else None
        return rc, view.type, payload, view.record_len

    def seal(self, ctype: int, payload: bytes) -> bytes:
        out = self.ffi.new("uint8_t[]", len(payload) + 64)
        n = self.lib.esse_record_seal(self.st, ctype, payload, len(payload), out, len(payload) + 64)
        assert n > 0
        return bytes(self.ffi.buffer(out, n))


@pytest.mark.parametrize("suite", [PSK_CCM_8, PSK_CCM])
def test_roundtrip_against_python_record(rec, suite):
    p = Pair(rec, suite)
    for seq in range(1, 6):
        msg = random.randbytes(seq * 13)
        rc, ctype, payload, rlen = p.open(pyrecord.seal(p.ckey, p.civ, p.tag, 23, 1, seq, msg))
        assert (rc, ctype, payload) == (0, 23, msg)
        assert rlen == 13 + 8 + len(msg) + p.tag
    for n in range(4):
        msg = b"answer %d" % n
        ctype, seq, plain = pyrecord.open_(p.skey, p.siv, p.tag, p.seal(23, msg))
        assert (ctype, seq, plain) == (23, 1 + n, msg)


def test_distinct_error_codes(rec):
    ffi, lib = rec
    p = Pair(rec, PSK_CCM_8)
    good = pyrecord.seal(p.ckey, p.civ, 8, 23, 1, 5, b"hello")
    bad_tag = bytearray(good)
    bad_tag[-1] ^= 0x80
    assert p.open(bytes(bad_tag))[0] == lib.ESSE_REC_ERR_TAG
    assert p.open(pyrecord.seal(p.ckey, p.civ, 8, 23, 2, 5, b"hello"))[0] == lib.ESSE_REC_ERR_EPOCH
    assert p.open(good[:-3])[0] == lib.ESSE_REC_ERR_LENGTH  # length field beyond the datagram
    assert p.open(good[:10])[0] == lib.ESSE_REC_ERR_LENGTH
    short = pyrecord.seal(p.ckey, p.civ, 8, 23, 1, 6, b"")[: 13 + 4]
    short = short[:11] + (4).to_bytes(2, "big") + short[13:]
    assert p.open(short)[0] == lib.ESSE_REC_ERR_LENGTH  # fragment shorter than nonce + tag
    assert p.open(b"\x63" + good[1:])[0] == lib.ESSE_REC_ERR_TYPE
    assert p.open(good[:1] + b"\xfe\xff" + good[3:])[0] == lib.ESSE_REC_ERR_VERSION
    assert p.open(good)[0] == 0  # the tag failure above did not move the window
    assert p.open(good)[0] == lib.ESSE_REC_ERR_REPLAY
    # the client's Finished (seq 0) was marked received by the exported window
    assert p.open(pyrecord.seal(p.ckey, p.civ, 8, 23, 1, 0, b"x"))[0] == lib.ESSE_REC_ERR_REPLAY


def test_replay_window_64(rec):
    _, lib = rec
    p = Pair(rec, PSK_CCM_8)
    recs = {s: pyrecord.seal(p.ckey, p.civ, 8, 23, 1, s, b"%d" % s) for s in range(1, 200)}
    assert p.open(recs[100])[0] == 0
    assert p.open(recs[40])[0] == 0  # 60 behind: inside the window
    assert p.open(recs[40])[0] == lib.ESSE_REC_ERR_REPLAY
    assert p.open(recs[36])[0] == lib.ESSE_REC_ERR_REPLAY  # 64 behind: left of the window
    assert p.open(recs[99])[0] == 0
    assert p.open(recs[199])[0] == 0  # jump beyond the window resets it
    assert p.open(recs[100])[0] == lib.ESSE_REC_ERR_REPLAY
    assert p.open(recs[150])[0] == 0


class Rfc6347Window:
    """The anti-replay window as RFC 6347 4.1.2.6 describes it (bit i = max - i received; a window of 0
    has received nothing), as plain Python integers: the oracle for the C window's byte arithmetic."""

    def __init__(self, recv_seq: int, window: int) -> None:
        self.max, self.window = recv_seq, window

    def fresh(self, seq: int) -> bool:
        if self.window == 0 or seq > self.max:
            return True
        return self.max - seq < 64 and not (self.window >> (self.max - seq)) & 1

    def accept(self, seq: int) -> None:
        if self.window == 0 or seq > self.max:
            shift = 64 if self.window == 0 else seq - self.max
            self.window = 1 if shift >= 64 else ((self.window << shift) | 1) & (2**64 - 1)
            self.max = seq
        else:
            self.window |= 1 << (self.max - seq)


MAX_SEQ = 2**48 - 1


@settings(max_examples=40, deadline=None)
@given(
    recv_seq=st.one_of(st.integers(0, 300), st.integers(MAX_SEQ - 300, MAX_SEQ)),
    window=st.one_of(st.just(0), st.integers(0, 2**64 - 1)),
    steps=st.lists(st.integers(-80, 80), min_size=1, max_size=40),
)
def test_replay_window_matches_rfc6347(rec, recv_seq, window, steps):
    """Records around an installed window, near 0 and near 2^48 - 1, in any order and with jumps: each
    opens exactly when the RFC's window calls it fresh, and the exported bitmap is what the window holds."""
    _, lib = rec
    p = Pair(rec, PSK_CCM_8, recv_seq=recv_seq, recv_window=window)
    model = Rfc6347Window(recv_seq, window)
    seq = recv_seq
    for step in steps:
        seq = min(max(seq + step, 0), MAX_SEQ)
        rc = p.open(pyrecord.seal(p.ckey, p.civ, 8, 23, 1, seq, b"x"))[0]
        assert rc == (0 if model.fresh(seq) else lib.ESSE_REC_ERR_REPLAY), (seq, model.max, model.window)
        if rc == 0:
            model.accept(seq)
        assert (p.st.recv_max, p.st.recv_window) == (model.max, model.window)


def test_epoch1_handshake_record_is_passed_back_untouched(rec):
    _, lib = rec
    p = Pair(rec, PSK_CCM_8)
    finished = pyrecord.seal(p.ckey, p.civ, 8, 22, 1, 0, random.randbytes(12))
    buf = p.ffi.new("uint8_t[]", finished)
    view = p.ffi.new("esse_record_view_t *")
    assert lib.esse_record_open(p.st, buf, len(finished), view) == lib.ESSE_REC_PASSBACK
    assert bytes(p.ffi.buffer(buf, len(finished))) == finished
    assert view.record_len == len(finished)


def test_multi_record_datagram(rec):
    p = Pair(rec, PSK_CCM)
    a = pyrecord.seal(p.ckey, p.civ, 16, 23, 1, 1, b"first")
    b = pyrecord.seal(p.ckey, p.civ, 16, 21, 1, 2, b"\x01\x00")
    dgram = a + b
    rc, ctype, payload, rlen = p.open(dgram)
    assert (rc, payload, rlen) == (0, b"first", len(a))
    rc, ctype, payload, _ = p.open(dgram[rlen:])
    assert (rc, ctype, payload) == (0, 21, b"\x01\x00")


def test_wipe_zeroes_state(rec):
    p = Pair(rec, PSK_CCM_8)
    size = p.ffi.sizeof("esse_record_t")
    assert any(bytes(p.ffi.buffer(p.st, size)))
    p.lib.esse_record_wipe(p.st)
    assert not any(bytes(p.ffi.buffer(p.st, size)))
    assert p.open(pyrecord.seal(p.ckey, p.civ, 8, 23, 1, 3, b"x"))[0] == p.lib.ESSE_REC_ERR_STATE


def test_install_rejects_unknown_suite(rec):
    ffi, lib = rec
    ks = ffi.new("esse_keystate_t *")
    ks.cipher_suite, ks.version, ks.epoch = 0x002F, 0xFEFD, 1
    assert lib.esse_record_install(ffi.new("esse_record_t *"), ks) == lib.ESSE_REC_ERR_STATE
