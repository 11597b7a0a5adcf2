"""SSM <-> CCS message framing (docs/protocol.md): types, lengths, headers, the exported key state
layout and the relay frames. The AEAD that protects the authenticated messages is harness.ssm.protocol;
the C side of the same framing is firmware/ssm_client.

Authenticated messages start with a 5-byte header, type | anti-replay counter (4, big-endian), which
is also their AAD. RELAY and HANDBACK frames are type | session id (8) | DTLS records, unencrypted.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass

MSG_KEY_MATERIAL = 0x01
MSG_KEY_ACK = 0x02
MSG_RELAY = 0x03
MSG_HANDBACK = 0x04
MSG_DELEGATE = 0x05
MSG_ERROR = 0x06

SENDER_SSM = 0x00
SENDER_CCS = 0x01

HEADER_LEN = 1 + 4  # type, counter
SESSION_ID_LEN = 8
KEYSTATE_LEN = 75
KM_TAG = 16
SHORT_TAG = 8
KM_LEN = HEADER_LEN + KEYSTATE_LEN + KM_TAG  # 96
ACK_LEN = HEADER_LEN + 4 + SESSION_ID_LEN + SHORT_TAG  # 25
ERROR_LEN = HEADER_LEN + 1 + SESSION_ID_LEN + SHORT_TAG  # 22
DELEGATE_MIN_LEN = HEADER_LEN + 1 + 4 + 2 + 1 + SHORT_TAG
RELAY_HEADER = 1 + SESSION_ID_LEN  # 9
MAX_IDENTITY = 32

ECODE_UNKNOWN_SESSION = 1
ECODE_HANDSHAKE_FAILED = 2
ECODE_NO_ROUTE = 3
ECODE_KEY_REJECTED = 4
ECODE_SESSION_CLOSED = 5
ECODE_CLOSE_ALERT = 6  # SSM -> CCS: close the session and send its client a close_notify first

ROLE_CLIENT = 0
ROLE_SERVER = 1


class ProtocolError(ValueError):
    """A message failed to parse or authenticate; `reason` is one of length/type/tag/replay."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


def wipe(buf: bytearray) -> None:
    """Zero a buffer that held key material."""
    buf[:] = bytes(len(buf))


def header(msg_type: int, counter: int) -> bytes:
    """The 5-byte header (and AAD) of an authenticated message."""
    return bytes([msg_type]) + counter.to_bytes(4, "big")


def check_header(
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
        """The 75-byte body of a KEY_MATERIAL message (a bytearray the caller wipes)."""
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
        """Parse a 75-byte key state body."""
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
        """Zero the keys and IVs in place."""
        for buf in (self.client_write_key, self.server_write_key, self.client_iv, self.server_iv):
            wipe(buf)


# -- bodies of the MAC-only messages (the tag follows them)


def ack_body(counter: int, acked: int, session_id: bytes) -> bytes:
    """KEY_ACK without its tag: header | acknowledged KEY_MATERIAL counter | session id."""
    return header(MSG_KEY_ACK, counter) + acked.to_bytes(4, "big") + session_id


def parse_ack_body(msg: bytes) -> tuple[int, bytes]:
    """(acknowledged counter, session id) of a length-checked KEY_ACK."""
    return int.from_bytes(msg[5:9], "big"), bytes(msg[9:17])


def error_body(counter: int, code: int, session_id: bytes) -> bytes:
    """ERROR without its tag: header | code | session id."""
    return header(MSG_ERROR, counter) + bytes([code]) + session_id


def parse_error_body(msg: bytes) -> tuple[int, bytes]:
    """(code, session id) of a length-checked ERROR."""
    return msg[5], bytes(msg[6:14])


# -- the DELEGATE request's plaintext (CCS -> SSM, encrypted by the caller)


@dataclass(frozen=True)
class DelegateRequest:
    """A CCS's request that the SSM handshake with host:port using a PSK identity."""

    counter: int
    host: str
    port: int
    identity: bytes


def delegate_plaintext(host: str, port: int, identity: bytes) -> bytes:
    """addr_len | address (4 or 16) | port (2) | identity_len | identity."""
    addr = ipaddress.ip_address(host).packed
    if len(identity) > MAX_IDENTITY:
        raise ValueError(f"identity longer than {MAX_IDENTITY} bytes")
    return bytes([len(addr)]) + addr + port.to_bytes(2, "big") + bytes([len(identity)]) + identity


def parse_delegate_plaintext(counter: int, body: bytes) -> DelegateRequest:
    """The decrypted body of a DELEGATE message."""
    alen = body[0] if body else 0
    if alen not in (4, 16) or len(body) < 1 + alen + 3 or len(body) != 1 + alen + 3 + body[1 + alen + 2]:
        raise ProtocolError("length", "malformed delegation request body")
    host = str(ipaddress.ip_address(bytes(body[1 : 1 + alen])))
    port = int.from_bytes(body[1 + alen : 3 + alen], "big")
    return DelegateRequest(counter, host, port, bytes(body[4 + alen :]))


# -- relay framing (both directions, not encrypted: DTLS records carry their own AEAD)


def build_relay(msg_type: int, session_id: bytes, records: bytes) -> bytes:
    """A RELAY or HANDBACK frame carrying DTLS records of one session."""
    if msg_type not in (MSG_RELAY, MSG_HANDBACK) or len(session_id) != SESSION_ID_LEN:
        raise ValueError("relay frame: bad type or session id")
    return bytes([msg_type]) + session_id + records


def parse_relay(frame: bytes) -> tuple[int, bytes, bytes]:
    """(type, session id, records) of a RELAY or HANDBACK frame."""
    if len(frame) < RELAY_HEADER:
        raise ProtocolError("length", f"relay frame of {len(frame)} bytes")
    if frame[0] not in (MSG_RELAY, MSG_HANDBACK):
        raise ProtocolError("type", f"type {frame[0]:#x}")
    return frame[0], bytes(frame[1:9]), bytes(frame[9:])
