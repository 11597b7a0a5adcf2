"""DTLS 1.2 record and handshake framing (RFC 6347 §4.1, §4.2.2): the one parser of plaintext record
headers in the tree. Read to route and to count, never to decrypt.

A record header is 13 bytes: content type, version (2), epoch (2), sequence number (6), fragment
length (2). A handshake message header is 12 bytes: msg_type, length (3), message_seq (2),
fragment_offset (3), fragment_length (3).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import NamedTuple

RECORD_HEADER = 13
HANDSHAKE_HEADER = 12
DTLS_1_2 = 0xFEFD

CT_CHANGE_CIPHER_SPEC = 20
CT_ALERT = 21
CT_HANDSHAKE = 22
CT_APPLICATION_DATA = 23
CONTENT_TYPES = {
    CT_CHANGE_CIPHER_SPEC: "ChangeCipherSpec",
    CT_ALERT: "Alert",
    CT_HANDSHAKE: "Handshake",
    CT_APPLICATION_DATA: "ApplicationData",
}

HS_CLIENT_HELLO = 1
HANDSHAKE_TYPES = {
    0: "HelloRequest", 1: "ClientHello", 2: "ServerHello", 3: "HelloVerifyRequest", 11: "Certificate",
    12: "ServerKeyExchange", 13: "CertificateRequest", 14: "ServerHelloDone", 15: "CertificateVerify",
    16: "ClientKeyExchange", 20: "Finished",
}


class DtlsFramingError(ValueError):
    """Bytes that are not a well-formed sequence of DTLS records or handshake messages."""


class RecordHeader(NamedTuple):
    """One record's plaintext header and where it sits in its datagram (a tuple: made per record on
    the relay path, where a frozen dataclass cost a third of the parse)."""

    content_type: int
    version: int
    epoch: int
    seq: int
    length: int  # fragment length
    offset: int  # where the record starts in the datagram

    @property
    def end(self) -> int:
        """Offset just past the record's fragment."""
        return self.offset + RECORD_HEADER + self.length


def split_records(datagram: bytes) -> list[RecordHeader]:
    """Headers of the records in a datagram; stops at the first truncated one."""
    out: list[RecordHeader] = []
    pos = 0
    while len(datagram) - pos >= RECORD_HEADER:
        ctype, version, epoch = struct.unpack_from(">BHH", datagram, pos)
        seq = int.from_bytes(datagram[pos + 5 : pos + 11], "big")
        (length,) = struct.unpack_from(">H", datagram, pos + 11)
        if pos + RECORD_HEADER + length > len(datagram):
            break
        out.append(RecordHeader(ctype, version, epoch, seq, length, pos))
        pos += RECORD_HEADER + length
    return out


def split_records_strict(datagram: bytes) -> list[RecordHeader]:
    """Like split_records, but bytes after the last whole record are an error naming what is wrong."""
    records = split_records(datagram)
    end = records[-1].end if records else 0
    if end != len(datagram):
        if len(datagram) - end < RECORD_HEADER:
            extra = len(datagram) - end
            raise DtlsFramingError(f"DTLS datagram: {extra} bytes at offset {end} are no record")
        (length,) = struct.unpack_from(">H", datagram, end + 11)
        follow = len(datagram) - end - RECORD_HEADER
        raise DtlsFramingError(f"DTLS record at offset {end} announces {length} bytes, {follow} follow")
    return records


@dataclass(frozen=True)
class HandshakeHeader:
    """One handshake message header inside a plaintext handshake record."""

    msg_type: int
    length: int
    message_seq: int
    fragment_offset: int
    fragment_length: int

    @property
    def name(self) -> str:
        """The message type's RFC name (or "handshake type N")."""
        return HANDSHAKE_TYPES.get(self.msg_type, f"handshake type {self.msg_type}")


def split_handshake(body: bytes) -> list[HandshakeHeader]:
    """Headers of the handshake messages (fragments) in a plaintext handshake record's fragment."""
    out: list[HandshakeHeader] = []
    pos = 0
    while pos < len(body):
        if len(body) - pos < HANDSHAKE_HEADER:
            raise DtlsFramingError("DTLS handshake record: truncated handshake header")
        (message_seq,) = struct.unpack_from(">H", body, pos + 4)
        header = HandshakeHeader(
            body[pos],
            int.from_bytes(body[pos + 1 : pos + 4], "big"),
            message_seq,
            int.from_bytes(body[pos + 6 : pos + 9], "big"),
            int.from_bytes(body[pos + 9 : pos + 12], "big"),
        )
        out.append(header)
        pos += HANDSHAKE_HEADER + header.fragment_length
    return out


def is_client_hello(data: bytes) -> bool:
    """A datagram that starts with an epoch-0 handshake record carrying a ClientHello."""
    return (
        len(data) > RECORD_HEADER
        and data[0] == CT_HANDSHAKE
        and data[3:5] == b"\0\0"
        and data[RECORD_HEADER] == HS_CLIENT_HELLO
    )
