"""SSM <-> CCS messages: the Python side (cryptography) against the C side the CCS runs."""

from __future__ import annotations

import random

import pytest

from harness.ssm import protocol
from harness.ssm.protocol import KeyState

PSK_DN = bytes.fromhex("000102030405060708090a0b0c0d0e0f")


def keystate(suite: int = 0xC0A8) -> KeyState:
    return KeyState(
        random.randbytes(8),
        suite,
        0xFEFD,
        1,
        1,
        1,
        0,
        1,
        bytearray(random.randbytes(16)),
        bytearray(random.randbytes(16)),
        bytearray(random.randbytes(4)),
        bytearray(random.randbytes(4)),
    )


class CLink:
    def __init__(self, rec, psk: bytes = PSK_DN) -> None:
        self.ffi, self.lib = rec
        self.link = self.ffi.new("esse_ssm_link_t *")
        self.lib.esse_ssm_link_init(self.link, psk, 0, 0)

    def open_km(self, msg: bytes) -> tuple[int, bytes | None, int]:
        buf = self.ffi.new("uint8_t[]", msg)
        ks = self.ffi.new("esse_keystate_t *")
        ctr = self.ffi.new("uint32_t *")
        rc = self.lib.esse_km_open(self.link, buf, len(msg), ks, ctr)
        enc = self.ffi.new("uint8_t[75]")
        self.lib.esse_keystate_encode(ks, enc)
        return rc, bytes(enc) if rc >= 0 else None, int(ctr[0])


def test_sizes():
    assert protocol.KM_LEN == 96 and protocol.ACK_LEN == 25 and protocol.ERROR_LEN == 22
    ks = keystate()
    assert len(ks.encode()) == protocol.KEYSTATE_LEN == 75


def test_key_material_python_to_c_and_back(rec):
    ks = keystate()
    body = ks.encode()
    expected = bytes(body)
    msg = protocol.seal_key_material(PSK_DN, 7, body)
    assert not any(body)  # the plaintext was wiped after sealing
    assert len(msg) == protocol.KM_LEN
    c = CLink(rec)
    rc, got, ctr = c.open_km(bytes(msg))
    assert (rc, got, ctr) == (c.lib.ESSE_KM_OK, expected, 7)
    # and Python opens it too
    counter, back = protocol.open_key_material(PSK_DN, bytes(msg), 0)
    assert counter == 7 and back.encode() == expected


def test_forged_key_material_rejected_by_ccs(rec):
    c = CLink(rec)
    msg = bytearray(protocol.seal_key_material(PSK_DN, 1, keystate().encode()))
    for i in (0 + 5, 40, len(msg) - 1):  # ciphertext, key bytes, tag
        forged = bytearray(msg)
        forged[i] ^= 0x01
        assert c.open_km(bytes(forged))[0] == c.lib.ESSE_KM_ERR_TAG
    forged = bytearray(msg)
    forged[3] ^= 0x01  # the counter (now 257) is authenticated data
    assert c.open_km(bytes(forged))[0] == c.lib.ESSE_KM_ERR_TAG
    wrong_key = protocol.seal_key_material(random.randbytes(16), 2, keystate().encode())
    assert c.open_km(bytes(wrong_key))[0] == c.lib.ESSE_KM_ERR_TAG
    assert c.open_km(bytes(msg[:-1]))[0] == c.lib.ESSE_KM_ERR_LENGTH
    assert c.open_km(b"\x03" + bytes(msg[1:]))[0] == c.lib.ESSE_KM_ERR_TYPE
    assert c.open_km(bytes(msg))[0] == c.lib.ESSE_KM_OK  # nothing above disturbed the link


def test_replayed_key_material_rejected(rec):
    c = CLink(rec)
    first = bytes(protocol.seal_key_material(PSK_DN, 1, keystate().encode()))
    second = bytes(protocol.seal_key_material(PSK_DN, 2, keystate().encode()))
    assert c.open_km(first)[0] == c.lib.ESSE_KM_OK
    assert c.open_km(second)[0] == c.lib.ESSE_KM_OK
    # an accepted counter again installs nothing: the caller re-acknowledges only a session it holds
    assert c.open_km(first)[0] == c.lib.ESSE_KM_DUPLICATE
    assert c.open_km(second)[0] == c.lib.ESSE_KM_DUPLICATE
    # a counter below the window is refused before decryption
    far = bytes(protocol.seal_key_material(PSK_DN, 1 + c.lib.ESSE_RX_WINDOW, keystate().encode()))
    assert c.open_km(far)[0] == c.lib.ESSE_KM_OK
    assert c.open_km(first)[0] == c.lib.ESSE_KM_ERR_REPLAY
    assert c.open_km(second)[0] == c.lib.ESSE_KM_DUPLICATE  # 31 below: the oldest the window holds


def test_key_material_out_of_order_is_accepted_once(rec):
    """Found by the SIGKILL test: the SSM resends an unacknowledged KEY_MATERIAL after a later message
    (the ERROR closing the replaced session) reached the CCS; a strictly increasing check refused it for
    ever and the client's session was lost without an alert. Within the window it is new exactly once."""
    c = CLink(rec)
    kms = {n: bytes(protocol.seal_key_material(PSK_DN, n, keystate().encode())) for n in range(1, 40)}
    order = [5, 3, 9, 4, 1, 2, 8, 6, 7]
    for n in order:
        rc, _, ctr = c.open_km(kms[n])
        assert (rc, ctr) == (c.lib.ESSE_KM_OK, n)
    for n in order:
        assert c.open_km(kms[n])[0] == c.lib.ESSE_KM_DUPLICATE
    # errors share the window; an error with a counter already used is a replay
    sid = random.randbytes(8)
    code, got = c.ffi.new("uint8_t *"), c.ffi.new("uint8_t[8]")
    for n, want in ((11, 0), (10, 0), (10, c.lib.ESSE_KM_ERR_REPLAY), (9, c.lib.ESSE_KM_ERR_REPLAY)):
        e = protocol.build_error(PSK_DN, protocol.SENDER_SSM, n, protocol.ECODE_SESSION_CLOSED, sid)
        assert c.lib.esse_error_open(c.link, e, len(e), code, got) == want, n
    # a jump ahead by more than the window forgets what lay below
    assert c.open_km(kms[39])[0] == c.lib.ESSE_KM_OK
    assert c.open_km(kms[12])[0] == c.lib.ESSE_KM_OK
    assert c.open_km(kms[7])[0] == c.lib.ESSE_KM_ERR_REPLAY
    # after a reboot (init from the stored mark) every counter up to the mark counts as used
    c.lib.esse_ssm_link_init(c.link, PSK_DN, 30, 0)
    assert c.open_km(kms[29])[0] == c.lib.ESSE_KM_DUPLICATE
    assert c.open_km(kms[31])[0] == c.lib.ESSE_KM_OK


def test_ack_error_delegate_c_to_python(rec):
    c = CLink(rec)
    sid = random.randbytes(8)
    out = c.ffi.new("uint8_t[64]")
    n = c.lib.esse_km_ack(c.link, 41, sid, out, 64)
    ack = bytes(c.ffi.buffer(out, n))
    assert n == protocol.ACK_LEN
    assert protocol.open_ack(PSK_DN, ack, 0) == (1, 41, sid)
    with pytest.raises(protocol.ProtocolError) as e:
        protocol.open_ack(PSK_DN, ack, 1)
    assert e.value.reason == "replay"
    bad = bytearray(ack)
    bad[6] ^= 1
    with pytest.raises(protocol.ProtocolError) as e:
        protocol.open_ack(PSK_DN, bytes(bad), 0)
    assert e.value.reason == "tag"

    n = c.lib.esse_error_build(c.link, protocol.ECODE_UNKNOWN_SESSION, sid, out, 64)
    assert protocol.open_error(PSK_DN, protocol.SENDER_CCS, bytes(c.ffi.buffer(out, n)), 1) == (
        2,
        protocol.ECODE_UNKNOWN_SESSION,
        sid,
    )

    addr = bytes([192, 0, 2, 7])
    n = c.lib.esse_delegate_build(c.link, addr, 4, 5684, b"sensor1", 7, out, 64)
    req = protocol.open_delegate(PSK_DN, bytes(c.ffi.buffer(out, n)), 2)
    assert (req.counter, req.host, req.port, req.identity) == (3, "192.0.2.7", 5684, b"sensor1")


def test_error_python_to_c(rec):
    c = CLink(rec)
    sid = random.randbytes(8)
    msg = protocol.build_error(PSK_DN, protocol.SENDER_SSM, 5, protocol.ECODE_SESSION_CLOSED, sid)
    code = c.ffi.new("uint8_t *")
    got = c.ffi.new("uint8_t[8]")
    assert c.lib.esse_error_open(c.link, msg, len(msg), code, got) == 0
    assert (code[0], bytes(got)) == (protocol.ECODE_SESSION_CLOSED, sid)
    assert c.lib.esse_error_open(c.link, msg, len(msg), code, got) == c.lib.ESSE_KM_ERR_REPLAY
    # a CCS-sent error does not verify as an SSM one (the sender is part of the nonce)
    ccs_sent = protocol.build_error(PSK_DN, protocol.SENDER_CCS, 6, 1, sid)
    assert c.lib.esse_error_open(c.link, ccs_sent, len(ccs_sent), code, got) == c.lib.ESSE_KM_ERR_TAG


def test_relay_frame_c_and_python_agree(rec):
    ffi, lib = rec
    sid, records = random.randbytes(8), random.randbytes(40)
    out = ffi.new("uint8_t[64]")
    n = lib.esse_relay_build(protocol.MSG_RELAY, sid, records, len(records), out, 64)
    assert bytes(ffi.buffer(out, n)) == protocol.build_relay(protocol.MSG_RELAY, sid, records)
    assert protocol.parse_relay(bytes(ffi.buffer(out, n))) == (protocol.MSG_RELAY, sid, records)


def test_key_material_fits_one_802154_frame():
    from harness.wire.lowpan import frame_bytes

    sizes = frame_bytes(protocol.KM_LEN)
    assert sizes["link_local"] <= 127 and sizes["context"] <= 127
    assert sizes["link_local"] == 9 + 2 + 4 + protocol.KM_LEN + 2  # MAC hdr + IPHC + UDP NHC + payload + FCS
