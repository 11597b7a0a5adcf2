"""The SSM -> CCS hand-off on the emulated MSP430: the host's SSM code (harness.ssm.protocol) seals
a KEY_MATERIAL message, the mote's ssm_client opens it, installs the record state, acknowledges it and
protects a CoAP payload with it (crypto_kat command 'K'); the host checks the acknowledgement with its
own protocol code and the record with an independent record implementation (tests/ssm/pyrecord.py).
Forged and replayed key material are refused on the mote with their own error codes."""

from __future__ import annotations

import random
import struct
import sys
from pathlib import Path

import pytest

from harness.bench.crypto_kat import KatMote, build_kat, handoff_request, kat_seed
from harness.ssm import protocol

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ssm"))
import pyrecord  # noqa: E402

SEED = kat_seed(20261204)
ERR_AUTH, ERR_REPLAY = 2, 10 + 4  # kat_ssm.c: err 10 + n for esse_km_open's -n (ESSE_KM_ERR_REPLAY = -4)
ERR_DUPLICATE = 9  # kat_ssm.c: ESSE_KM_DUPLICATE (a counter accepted before; nothing installed)
RX_WINDOW = 32  # ssm_client.h ESSE_RX_WINDOW
SUITES = {0xC0A8: 8, 0xC0A4: 16, 0xC0AE: 8, 0xC0AC: 16}


@pytest.fixture(scope="module")
def kat(tmp_path_factory) -> KatMote:
    return KatMote(build_kat("record", build_root=tmp_path_factory.mktemp("crypto_kat_ssm")))


def key_state(rng: random.Random, suite: int, role: int) -> protocol.KeyState:
    return protocol.KeyState(
        session_id=rng.randbytes(8), cipher_suite=suite, version=0xFEFD, role=role, epoch=1,
        next_send_seq=rng.randrange(1, 1 << 40), recv_seq=rng.randrange(1, 1 << 40),
        recv_window=rng.getrandbits(64), client_write_key=bytearray(rng.randbytes(16)),
        server_write_key=bytearray(rng.randbytes(16)), client_iv=bytearray(rng.randbytes(4)),
        server_iv=bytearray(rng.randbytes(4)),
    )


@pytest.mark.parametrize(("suite", "role"), [(s, r) for s in SUITES for r in (1, 0)])
def test_mote_opens_key_material_acks_it_and_protects_with_it(kat, suite, role):
    rng = random.Random(f"{SEED}-{suite}-{role}")
    psk_dn = rng.randbytes(16)
    ks = key_state(rng, suite, role)
    expected = protocol.KeyState.decode(ks.encode())  # a copy: sealing wipes the encoded body
    counter, last_rx, tx = rng.randrange(2, 1 << 31), 1, rng.randrange(0, 1 << 20)
    km = protocol.seal_key_material(psk_dn, counter, ks.encode())
    payload = rng.randbytes(rng.randrange(1, 64))

    reply = kat.request("K", handoff_request(psk_dn, last_rx, tx, bytes(km), payload))
    assert reply.ok, f"mote answered err {reply.error}"
    ack_len = reply.data[0]
    ack, record = reply.data[1:1 + ack_len], reply.data[1 + ack_len:]

    ack_counter, acked, sid = protocol.open_ack(psk_dn, ack, last_counter=tx)
    assert (ack_counter, acked, sid) == (tx + 1, counter, expected.session_id)

    write_key, write_iv = ((expected.server_write_key, expected.server_iv) if role == 1
                           else (expected.client_write_key, expected.client_iv))
    ctype, seq, plain = pyrecord.open_(bytes(write_key), bytes(write_iv), SUITES[suite], record)
    assert (ctype, seq, plain) == (23, expected.next_send_seq, payload)
    assert struct.unpack(">H", record[3:5])[0] == expected.epoch
    assert len(reply.spans) == 4 and all(s > 0 for s in reply.spans)


def test_forged_key_material_is_refused_on_the_mote(kat):
    rng = random.Random(f"{SEED}-forged")
    psk_dn = rng.randbytes(16)
    km = bytearray(protocol.seal_key_material(psk_dn, 7, key_state(rng, 0xC0A8, 1).encode()))
    km[40] ^= 0x01  # one bit of the ciphertext
    reply = kat.request("K", handoff_request(psk_dn, 1, 0, bytes(km), b"x"))
    assert (reply.ok, reply.error) == (False, ERR_AUTH)
    # the right message under another PSK_DN does not authenticate either
    good = protocol.seal_key_material(psk_dn, 7, key_state(rng, 0xC0A8, 1).encode())
    reply = kat.request("K", handoff_request(rng.randbytes(16), 1, 0, bytes(good), b"x"))
    assert (reply.ok, reply.error) == (False, ERR_AUTH)


def test_replayed_key_material_is_refused_on_the_mote(kat):
    """A message whose counter lies below the anti-replay window (an old hand-off captured and sent
    again) is refused before any decryption; within the window, a counter the link counts as used
    (everything up to the mark it was started from) installs nothing."""
    rng = random.Random(f"{SEED}-replay")
    psk_dn = rng.randbytes(16)
    km = protocol.seal_key_material(psk_dn, 5, key_state(rng, 0xC0A8, 1).encode())
    reply = kat.request("K", handoff_request(psk_dn, 5 + RX_WINDOW, 0, bytes(km), b"x"))
    assert (reply.ok, reply.error) == (False, ERR_REPLAY)
    # within the window, below the mark the link starts from (a reboot): authentic but already used
    reply = kat.request("K", handoff_request(psk_dn, 9, 0, bytes(km), b"x"))
    assert (reply.ok, reply.error) == (False, ERR_DUPLICATE)
    assert kat.request("K", handoff_request(psk_dn, 4, 0, bytes(km), b"x")).ok  # and accepted when it is new
