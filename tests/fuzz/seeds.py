"""The committed seed corpora of the record and ssm fuzz targets, built from real messages.

Key states are encoded by harness.wire.ssm (the SSM's own encoder), CoAP requests by aiocoap (a real
client), and the raw DTLS record by `cryptography`'s AES-CCM (independent of the firmware's). The input
layouts are those documented at the top of tests/fuzz/c/fuzz_record.c and fuzz_ssm.c.
`python -m tests.fuzz.seeds` rewrites tests/fuzz/corpus/{record,ssm}; test_fuzz_seeds.py checks they match.
"""

from __future__ import annotations

import struct
from pathlib import Path

from aiocoap import CON, GET, PUT, Message
from aiocoap.optiontypes import BlockOption
from cryptography.hazmat.primitives.ciphers.aead import AESCCM

from harness.wire import dtls, ssm

CORPUS = Path(__file__).resolve().parent / "corpus"
PSK_CCM_8, PSK_CCM = 0xC0A8, 0xC0A4
DTLS12 = 0xFEFD


def keystate(suite: int = PSK_CCM_8, role: int = ssm.ROLE_SERVER, recv_seq: int = 0, window: int = 0,
             sid: bytes = b"SESSION1") -> bytes:
    """A key state as the delegator exports it: epoch 1 after the handshake's Finished."""
    return bytes(ssm.KeyState(sid, suite, DTLS12, role, 1, 1, recv_seq, window,
                              bytearray(range(16)), bytearray(range(16, 32)), bytearray(b"CIV!"),
                              bytearray(b"SIV!")).encode())


def coap(code: object, path: str, mid: int, payload: bytes = b"", block2: int | None = None) -> bytes:
    """A confirmable CoAP request encoded by aiocoap."""
    msg = Message(code=code, uri=f"coap://localhost/{path}", payload=payload)
    msg.mtype, msg.mid, msg.token = CON, mid, b"\x12\x34"
    if block2 is not None:
        msg.opt.block2 = BlockOption.BlockwiseTuple(block2, False, 1)
    return bytes(msg.encode())


def record(ks: bytes, seq: int, plaintext: bytes, ctype: int = dtls.CT_APPLICATION_DATA) -> bytes:
    """A DTLS 1.2 record from the client of key state ks, sealed with `cryptography`'s AES-CCM."""
    state = ssm.KeyState.decode(ks)
    tag = 8 if state.cipher_suite == PSK_CCM_8 else 16
    explicit = struct.pack(">H", state.epoch) + seq.to_bytes(6, "big")
    aad = explicit + struct.pack(">BHH", ctype, state.version, len(plaintext))
    body = AESCCM(bytes(state.client_write_key), tag_length=tag).encrypt(
        bytes(state.client_iv) + explicit, plaintext, aad)
    return struct.pack(">BHH", ctype, state.version, state.epoch) + seq.to_bytes(6, "big") + struct.pack(
        ">H", len(explicit) + len(body)) + explicit + body


def peer_seal(ctype: int, delta: int, payload: bytes, tamper: int | None = None) -> bytes:
    """fuzz_record op 0: the peer seals `payload` at the model's highest seq + delta."""
    flags = 0 if tamper is None else 1 | tamper << 1
    return bytes([0, ctype]) + struct.pack(">hBB", delta, flags, len(payload)) + payload


def record_seeds() -> dict[str, bytes]:
    """Seeds of the record target."""
    get = coap(GET, "sensors/temperature", 0x1001)
    ks8, ks16 = keystate(), keystate(PSK_CCM, ssm.ROLE_CLIENT)
    raw = record(ks8, 7, get)
    return {
        "appdata_then_replay": ks8 + peer_seal(23, 1, get) + peer_seal(23, 0, get)
        + peer_seal(21, 1, b"\x01\x00"),
        "tampered_and_handshake": ks8 + peer_seal(23, 2, get, tamper=20)
        + peer_seal(22, 3, b"\x14" + bytes(12)),
        "window_edges": keystate(recv_seq=100, window=(1 << 64) - 1) + peer_seal(23, -3, get)
        + peer_seal(23, -63, get) + peer_seal(23, -64, get) + peer_seal(23, 64, get),
        "ccm16_our_seal": ks16 + bytes([2]) + (0xFFFFFFFFFFFE).to_bytes(6, "big") + bytes([len(get)]) + get
        + bytes([2, 0x80]) + bytes(5) + b"\x00",
        "raw_record_cryptography": ks8 + bytes([1, len(raw)]) + raw + bytes([1, len(raw)]) + raw,
        "keystate_roundtrip": ks8 + bytes([3]) + keystate(PSK_CCM, window=5, recv_seq=9),
    }


def km(ks: bytes, delta: int = 1) -> bytes:
    """fuzz_ssm op 1: key material (delta <= 0 replays an earlier message)."""
    return bytes([1, delta & 0xFF]) + ks


def relay(slot: int, *records: tuple[int, int, bytes]) -> bytes:
    """fuzz_ssm op 2: records (type, seq, payload) the slot's DTLS peer seals, in one RELAY frame."""
    out = bytes([2, slot, len(records)])
    for ctype, seq, payload in records:
        out += bytes([ctype]) + struct.pack(">HB", seq, 0) + bytes([len(payload)]) + payload
    return out


def outbound_request(identity: bytes = b"alice") -> bytes:
    """A management-port request (ccs_secure.h): SSM address and port, server, identity, PUT, path."""
    server = bytes(15) + b"\x01"
    return (bytes.fromhex("fe80000000000000000000fffe000002") + struct.pack(">H", 5690) + bytes([16]) + server
            + struct.pack(">H", 5684) + bytes([len(identity)]) + identity + bytes([3]) + b"readings")


def ssm_seeds() -> dict[str, bytes]:
    """Seeds of the ssm target."""
    server = keystate()
    client = keystate(PSK_CCM, ssm.ROLE_CLIENT, sid=b"OUTBOUND")
    temp = coap(GET, "sensors/temperature", 0x2001)
    core = coap(GET, ".well-known/core", 0x2002, block2=1)
    leds = coap(PUT, "actuators/leds", 0x2003, payload=b"5")
    mgmt = outbound_request()
    return {
        "km_then_coaps": km(server) + relay(0, (23, 1, temp), (23, 2, core)) + relay(0, (23, 3, leds)),
        "km_replay_and_close": km(server) + km(server, 0) + relay(0, (21, 1, b"\x01\x00"))
        + relay(0, (23, 2, temp)),
        "error_and_unknown": km(server) + bytes([3, 1, ssm.ECODE_SESSION_CLOSED, 0])
        + relay(5, (23, 1, temp)),
        "eviction": b"".join(km(keystate(sid=bytes([i]) * 8)) for i in range(5)) + relay(0, (23, 1, temp)),
        "reboot_then_replay": km(server) + bytes([5]) + km(server, 0) + km(server, 2),
        "flash_fails": bytes([6, 1]) + km(server) + bytes([6, 0]) + km(server, 0),
        "outbound": bytes([4, len(mgmt)]) + mgmt + km(client) + relay(0, (23, 1, coap(GET, "", 0x3000))),
        "raw_frame": bytes([0, 22]) + bytes([6]) + bytes(21) + bytes([7, 200]),
    }


def delegator_seeds() -> dict[str, bytes]:
    """Seeds of the delegator target (atheris FuzzedDataProvider bytes): real DTLS records inside."""
    raw = record(keystate(), 3, coap(GET, "sensors/temperature", 0x4001))
    # epoch 0, seq 0, a 12-byte handshake header of an empty ClientHello: what the cookie exchange starts with
    hello = bytes([dtls.CT_HANDSHAKE]) + b"\xfe\xff" + bytes(8) + struct.pack(">H", 12) + bytes(
        [dtls.HS_CLIENT_HELLO]) + bytes(11)
    return {"appdata_record": raw, "client_hello_head": hello,
            "relay_frame": ssm.build_relay(ssm.MSG_RELAY, b"SESSION1", raw)}


GENERATED = {"record": record_seeds, "ssm": ssm_seeds, "delegator": delegator_seeds}


def write() -> None:
    """Rewrite the generated seed corpora."""
    for target, make in GENERATED.items():
        seeds = make()
        folder = CORPUS / target
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            old.unlink()
        for name, data in seeds.items():
            (folder / name).write_bytes(data)


if __name__ == "__main__":
    write()
