"""SSM <-> CCS messages (docs/protocol.md), Python side. The CCS side is C (firmware/ssm_client/).

Every authenticated message uses AES-128-CCM under PSK_DN with a 13-byte nonce built from the sender
and its anti-replay counter; the receiver accepts only counters above the last one it accepted.
This module uses `cryptography`'s AESCCM, so it is an implementation independent of the C one.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESCCM

MSG_KEY_MATERIAL = 0x01
MSG_KEY_ACK = 0x02
MSG_RELAY = 0x03
MSG_HANDBACK = 0x04
MSG_DELEGATE = 0x05
MSG_ERROR = 0x06

SENDER_SSM = 0x00
SENDER_CCS = 0x01

SESSION_ID_LEN = 8
KEYSTATE_LEN = 75
KM_TAG = 16
SHORT_TAG = 8
KM_LEN = 1 + 4 + KEYSTATE_LEN + KM_TAG  # 96
ACK_LEN = 1 + 4 + 4 + SESSION_ID_LEN + SHORT_TAG  # 25
ERROR_LEN = 1 + 4 + 1 + SESSION_ID_LEN + SHORT_TAG  # 22
RELAY_HEADER = 1 + SESSION_ID_LEN  # 9
MAX_IDENTITY = 32

ECODE_UNKNOWN_SESSION = 1
ECODE_HANDSHAKE_FAILED = 2
ECODE_NO_ROUTE = 3
ECODE_KEY_REJECTED = 4
ECODE_SESSION_CLOSED = 5

ROLE_CLIENT = 0
ROLE_SERVER = 1
DTLS_1_2 = 0xFEFD


class ProtocolError(ValueError):
    """A message failed to parse or authenticate; `reason` is one of length/type/tag/replay."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


def nonce(sender: int, counter: int) -> bytes:
    """'E' 'S' | sender | 6 zero bytes | counter (4, big-endian): unique per (PSK_DN, sender, counter)."""
    return b"ES" + bytes([sender]) + bytes(6) + counter.to_bytes(4, "big")


@dataclass
class KeyState:
    """The exported record-layer state. Key fields are bytearrays so `wipe()` can zero them."""

    session_id: bytes
    cipher_suite: int
    version: int
    role: int
    epoch: int
    next_send_seq: int
    recv_seq: int
    recv_window: int
    client_write_key: bytearray
    server_write_key: bytearray
    client_iv: bytearray
    server_iv: bytearray

    def encode(self) -> bytearray:
        out = bytearray(KEYSTATE_LEN)
        out[0:8] = self.session_id
        struct.pack_into(">HHBH", out, 8, self.cipher_suite, self.version, self.role, self.epoch)
        out[15:21] = self.next_send_seq.to_bytes(6, "big")
        out[21:27] = self.recv_seq.to_bytes(6, "big")
        out[27:35] = self.recv_window.to_bytes(8, "big")
        out[35:51] = self.client_write_key
        out[51:67] = self.server_write_key
        out[67:71] = self.client_iv
        out[71:75] = self.server_iv
        return out

    @classmethod
    def decode(cls, body: bytes | bytearray | memoryview) -> KeyState:
        if len(body) != KEYSTATE_LEN:
            raise ProtocolError("length", f"key state is {len(body)} bytes, want {KEYSTATE_LEN}")
        suite, version, role, epoch = struct.unpack_from(">HHBH", body, 8)
        return cls(
            bytes(body[0:8]),
            suite,
            version,
            role,
            epoch,
            int.from_bytes(body[15:21], "big"),
            int.from_bytes(body[21:27], "big"),
            int.from_bytes(body[27:35], "big"),
            bytearray(body[35:51]),
            bytearray(body[51:67]),
            bytearray(body[67:71]),
            bytearray(body[71:75]),
        )

    def wipe(self) -> None:
        for buf in (self.client_write_key, self.server_write_key, self.client_iv, self.server_iv):
            buf[:] = bytes(len(buf))


def wipe(buf: bytearray) -> None:
    buf[:] = bytes(len(buf))


# -- key material (SSM -> CCS)


def seal_key_material(psk_dn: bytes, counter: int, body: bytearray) -> bytearray:
    """E({key state}, PSK_DN): type | counter | CCM-16(body). `body` (75 bytes) is wiped here."""
    if len(body) != KEYSTATE_LEN:
        raise ValueError("key state body must be 75 bytes")
    header = bytes([MSG_KEY_MATERIAL]) + counter.to_bytes(4, "big")
    try:
        sealed = AESCCM(psk_dn, tag_length=KM_TAG).encrypt(nonce(SENDER_SSM, counter), body, header)
    finally:
        wipe(body)
    return bytearray(header + sealed)


def _check_header(
    msg: bytes, msg_type: int, what: str, last_counter: int, length: int, exact: bool = True
) -> int:
    """Length, type and anti-replay counter of an SSM<->CCS message; returns the counter."""
    if (len(msg) != length) if exact else (len(msg) < length):
        want = f"want {length}" if exact else f"want at least {length}"
        raise ProtocolError("length", f"{what} is {len(msg)} bytes, {want}")
    if msg[0] != msg_type:
        raise ProtocolError("type", f"type {msg[0]:#x}")
    counter = int.from_bytes(msg[1:5], "big")
    if counter <= last_counter:
        raise ProtocolError("replay", f"counter {counter} <= last accepted {last_counter}")
    return counter


def _open_body(psk_dn: bytes, sender: int, counter: int, msg: bytes, tag_len: int, what: str) -> bytes:
    """Decrypt and authenticate the body after the 5-byte header (the header is the AAD)."""
    try:
        return AESCCM(psk_dn, tag_length=tag_len).decrypt(
            nonce(sender, counter), bytes(msg[5:]), bytes(msg[:5])
        )
    except Exception as exc:  # cryptography raises InvalidTag
        raise ProtocolError("tag", f"{what} does not authenticate under PSK_DN") from exc


def open_key_material(psk_dn: bytes, msg: bytes, last_counter: int) -> tuple[int, KeyState]:
    """The CCS side in Python (tests use it as an independent check of the C one)."""
    counter = _check_header(msg, MSG_KEY_MATERIAL, "key material", last_counter, KM_LEN)
    return counter, KeyState.decode(_open_body(psk_dn, SENDER_SSM, counter, msg, KM_TAG, "key material"))


# -- MAC-only messages: ack and error


def _mac(psk_dn: bytes, sender: int, counter: int, body: bytes) -> bytes:
    return AESCCM(psk_dn, tag_length=SHORT_TAG).encrypt(nonce(sender, counter), b"", body)


def _check_mac(psk_dn: bytes, sender: int, counter: int, body: bytes, tag: bytes) -> None:
    try:
        AESCCM(psk_dn, tag_length=SHORT_TAG).decrypt(nonce(sender, counter), tag, body)
    except Exception as exc:
        raise ProtocolError("tag", "message does not authenticate under PSK_DN") from exc


def build_ack(psk_dn: bytes, counter: int, acked: int, session_id: bytes) -> bytes:
    body = bytes([MSG_KEY_ACK]) + counter.to_bytes(4, "big") + acked.to_bytes(4, "big") + session_id
    return body + _mac(psk_dn, SENDER_CCS, counter, body)


def open_ack(psk_dn: bytes, msg: bytes, last_counter: int) -> tuple[int, int, bytes]:
    """(counter, acknowledged key-material counter, session id) of a CCS's KEY_ACK."""
    counter = _check_header(msg, MSG_KEY_ACK, "ack", last_counter, ACK_LEN)
    _check_mac(psk_dn, SENDER_CCS, counter, bytes(msg[:-SHORT_TAG]), bytes(msg[-SHORT_TAG:]))
    return counter, int.from_bytes(msg[5:9], "big"), bytes(msg[9:17])


def build_error(psk_dn: bytes, sender: int, counter: int, code: int, session_id: bytes) -> bytes:
    body = bytes([MSG_ERROR]) + counter.to_bytes(4, "big") + bytes([code]) + session_id
    return body + _mac(psk_dn, sender, counter, body)


def open_error(psk_dn: bytes, sender: int, msg: bytes, last_counter: int) -> tuple[int, int, bytes]:
    """(counter, code, session id) of an ERROR sent by `sender`."""
    counter = _check_header(msg, MSG_ERROR, "error", last_counter, ERROR_LEN)
    _check_mac(psk_dn, sender, counter, bytes(msg[:-SHORT_TAG]), bytes(msg[-SHORT_TAG:]))
    return counter, msg[5], bytes(msg[6:14])


# -- outbound delegation request (CCS -> SSM)


@dataclass(frozen=True)
class DelegateRequest:
    counter: int
    host: str
    port: int
    identity: bytes


def build_delegate(psk_dn: bytes, counter: int, host: str, port: int, identity: bytes) -> bytes:
    addr = ipaddress.ip_address(host).packed
    if len(identity) > MAX_IDENTITY:
        raise ValueError(f"identity longer than {MAX_IDENTITY} bytes")
    header = bytes([MSG_DELEGATE]) + counter.to_bytes(4, "big")
    body = bytes([len(addr)]) + addr + port.to_bytes(2, "big") + bytes([len(identity)]) + identity
    return header + AESCCM(psk_dn, tag_length=SHORT_TAG).encrypt(nonce(SENDER_CCS, counter), body, header)


def open_delegate(psk_dn: bytes, msg: bytes, last_counter: int) -> DelegateRequest:
    what = "delegation request"
    counter = _check_header(msg, MSG_DELEGATE, what, last_counter, 5 + 1 + 4 + 2 + 1 + SHORT_TAG, exact=False)
    body = _open_body(psk_dn, SENDER_CCS, counter, msg, SHORT_TAG, what)
    alen = body[0]
    if alen not in (4, 16) or len(body) < 1 + alen + 3 or len(body) != 1 + alen + 3 + body[1 + alen + 2]:
        raise ProtocolError("length", "malformed delegation request body")
    host = str(ipaddress.ip_address(bytes(body[1 : 1 + alen])))
    port = int.from_bytes(body[1 + alen : 3 + alen], "big")
    return DelegateRequest(counter, host, port, bytes(body[4 + alen :]))


# -- relay framing (both directions, not encrypted: DTLS records carry their own AEAD)


def build_relay(msg_type: int, session_id: bytes, records: bytes) -> bytes:
    if msg_type not in (MSG_RELAY, MSG_HANDBACK) or len(session_id) != SESSION_ID_LEN:
        raise ValueError("relay frame: bad type or session id")
    return bytes([msg_type]) + session_id + records


def parse_relay(frame: bytes) -> tuple[int, bytes, bytes]:
    if len(frame) < RELAY_HEADER:
        raise ProtocolError("length", f"relay frame of {len(frame)} bytes")
    if frame[0] not in (MSG_RELAY, MSG_HANDBACK):
        raise ProtocolError("type", f"type {frame[0]:#x}")
    return frame[0], bytes(frame[1:9]), bytes(frame[9:])


# -- DTLS record headers (plaintext; read to route, never to decrypt)


@dataclass(frozen=True)
class RecordHeader:
    content_type: int
    version: int
    epoch: int
    seq: int
    length: int  # fragment length
    offset: int  # where the record starts in the datagram

    @property
    def end(self) -> int:
        return self.offset + 13 + self.length


def split_records(datagram: bytes) -> list[RecordHeader]:
    """Headers of the records in a datagram; stops at the first truncated one."""
    out: list[RecordHeader] = []
    pos = 0
    while len(datagram) - pos >= 13:
        ctype, version, epoch = struct.unpack_from(">BHH", datagram, pos)
        seq = int.from_bytes(datagram[pos + 5 : pos + 11], "big")
        length = struct.unpack_from(">H", datagram, pos + 11)[0]
        if pos + 13 + length > len(datagram):
            break
        out.append(RecordHeader(ctype, version, epoch, seq, length, pos))
        pos += 13 + length
    return out
