"""An independent DTLS 1.2 AES-CCM record implementation on `cryptography`, to check the C one."""

from __future__ import annotations

import struct

from cryptography.hazmat.primitives.ciphers.aead import AESCCM


def seal(key: bytes, iv: bytes, tag_len: int, ctype: int, epoch: int, seq: int, payload: bytes) -> bytes:
    explicit = struct.pack(">H", epoch) + seq.to_bytes(6, "big")
    aad = explicit + bytes([ctype]) + b"\xfe\xfd" + struct.pack(">H", len(payload))
    body = AESCCM(key, tag_length=tag_len).encrypt(iv + explicit, payload, aad)
    return bytes([ctype]) + b"\xfe\xfd" + explicit + struct.pack(">H", 8 + len(body)) + explicit + body


def open_(key: bytes, iv: bytes, tag_len: int, record: bytes) -> tuple[int, int, bytes]:
    ctype = record[0]
    epoch_seq = record[3:11]
    explicit = record[13:21]
    body = record[21:]
    aad = epoch_seq + bytes([ctype]) + record[1:3] + struct.pack(">H", len(body) - tag_len)
    plain = AESCCM(key, tag_length=tag_len).decrypt(iv + explicit, body, aad)
    return ctype, int.from_bytes(epoch_seq[2:], "big"), plain
