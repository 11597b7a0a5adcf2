"""SSM <-> CCS messages (docs/protocol.md), Python side: the AEAD over the framing of harness.wire.ssm.
The CCS side is C (firmware/ssm_client/).

Every authenticated message uses AES-128-CCM under PSK_DN with a 13-byte nonce built from the sender
and its anti-replay counter; the receiver accepts only counters above the last one it accepted.
This module uses `cryptography`'s AESCCM, so it is an implementation independent of the C one.
The framing names (message types, lengths, KeyState, relay frames) are re-exported for callers.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.ciphers.aead import AESCCM

from harness.wire.dtls import DTLS_1_2
from harness.wire.ssm import (
    ACK_LEN,
    DELEGATE_MIN_LEN,
    ECODE_CLOSE_ALERT,
    ECODE_HANDSHAKE_FAILED,
    ECODE_KEY_REJECTED,
    ECODE_NO_ROUTE,
    ECODE_SESSION_CLOSED,
    ECODE_UNKNOWN_SESSION,
    ERROR_LEN,
    KEYSTATE_LEN,
    KM_LEN,
    KM_TAG,
    MAX_IDENTITY,
    MSG_DELEGATE,
    MSG_ERROR,
    MSG_HANDBACK,
    MSG_KEY_ACK,
    MSG_KEY_MATERIAL,
    MSG_RELAY,
    RELAY_HEADER,
    ROLE_CLIENT,
    ROLE_SERVER,
    SENDER_CCS,
    SENDER_SSM,
    SESSION_ID_LEN,
    SHORT_TAG,
    DelegateRequest,
    KeyState,
    ProtocolError,
    ack_body,
    build_relay,
    check_header,
    delegate_plaintext,
    error_body,
    header,
    parse_ack_body,
    parse_delegate_plaintext,
    parse_error_body,
    parse_relay,
    wipe,
)

__all__ = [
    "ACK_LEN", "DTLS_1_2", "ECODE_CLOSE_ALERT", "ECODE_HANDSHAKE_FAILED", "ECODE_KEY_REJECTED",
    "ECODE_NO_ROUTE", "ECODE_SESSION_CLOSED", "ECODE_UNKNOWN_SESSION", "ERROR_LEN", "KEYSTATE_LEN", "KM_LEN",
    "KM_TAG",
    "MAX_IDENTITY", "MSG_DELEGATE", "MSG_ERROR", "MSG_HANDBACK", "MSG_KEY_ACK", "MSG_KEY_MATERIAL",
    "MSG_RELAY", "RELAY_HEADER", "ROLE_CLIENT", "ROLE_SERVER", "SENDER_CCS", "SENDER_SSM", "SESSION_ID_LEN",
    "SHORT_TAG", "DelegateRequest", "KeyState", "ProtocolError", "build_ack", "build_delegate",
    "build_error", "build_relay", "nonce", "open_ack", "open_delegate", "open_error", "open_key_material",
    "parse_relay", "seal_key_material", "wipe",
]


def nonce(sender: int, counter: int) -> bytes:
    """'E' 'S' | sender | 6 zero bytes | counter (4, big-endian): unique per (PSK_DN, sender, counter)."""
    return b"ES" + bytes([sender]) + bytes(6) + counter.to_bytes(4, "big")


# -- key material (SSM -> CCS)


def seal_key_material(psk_dn: bytes, counter: int, body: bytearray) -> bytearray:
    """E({key state}, PSK_DN): type | counter | CCM-16(body). `body` (75 bytes) is wiped here."""
    if len(body) != KEYSTATE_LEN:
        raise ValueError("key state body must be 75 bytes")
    aad = header(MSG_KEY_MATERIAL, counter)
    try:
        sealed = AESCCM(psk_dn, tag_length=KM_TAG).encrypt(nonce(SENDER_SSM, counter), body, aad)
    finally:
        wipe(body)
    return bytearray(aad + sealed)


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
    counter = check_header(msg, MSG_KEY_MATERIAL, "key material", last_counter, KM_LEN)
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
    """A CCS's KEY_ACK of the KEY_MATERIAL with counter `acked`."""
    body = ack_body(counter, acked, session_id)
    return body + _mac(psk_dn, SENDER_CCS, counter, body)


def open_ack(psk_dn: bytes, msg: bytes, last_counter: int) -> tuple[int, int, bytes]:
    """(counter, acknowledged key-material counter, session id) of a CCS's KEY_ACK."""
    counter = check_header(msg, MSG_KEY_ACK, "ack", last_counter, ACK_LEN)
    _check_mac(psk_dn, SENDER_CCS, counter, bytes(msg[:-SHORT_TAG]), bytes(msg[-SHORT_TAG:]))
    return (counter, *parse_ack_body(msg))


def build_error(psk_dn: bytes, sender: int, counter: int, code: int, session_id: bytes) -> bytes:
    """An authenticated ERROR from `sender` about a session."""
    body = error_body(counter, code, session_id)
    return body + _mac(psk_dn, sender, counter, body)


def open_error(psk_dn: bytes, sender: int, msg: bytes, last_counter: int) -> tuple[int, int, bytes]:
    """(counter, code, session id) of an ERROR sent by `sender`."""
    counter = check_header(msg, MSG_ERROR, "error", last_counter, ERROR_LEN)
    _check_mac(psk_dn, sender, counter, bytes(msg[:-SHORT_TAG]), bytes(msg[-SHORT_TAG:]))
    return (counter, *parse_error_body(msg))


# -- outbound delegation request (CCS -> SSM)


def build_delegate(psk_dn: bytes, counter: int, host: str, port: int, identity: bytes) -> bytes:
    """A CCS's DELEGATE asking the SSM to handshake with host:port under a PSK identity."""
    body = delegate_plaintext(host, port, identity)
    aad = header(MSG_DELEGATE, counter)
    return aad + AESCCM(psk_dn, tag_length=SHORT_TAG).encrypt(nonce(SENDER_CCS, counter), body, aad)


def open_delegate(psk_dn: bytes, msg: bytes, last_counter: int) -> DelegateRequest:
    """Check, decrypt and parse a DELEGATE message."""
    what = "delegation request"
    counter = check_header(msg, MSG_DELEGATE, what, last_counter, DELEGATE_MIN_LEN, exact=False)
    return parse_delegate_plaintext(counter, _open_body(psk_dn, SENDER_CCS, counter, msg, SHORT_TAG, what))
