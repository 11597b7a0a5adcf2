"""Secure-bootstrapping messages (docs/bootstrap.md), Python side; the device side is C (firmware/bootstrap/).

Every authenticated message is AES-128-CCM (L = 2) with the 13-byte nonce type | RN(8) | TID(4), MAC-only
except AS_RESPONSE, which encrypts PSK_DN for the controller. PSK_DN comes from the NIST SP 800-108 counter
mode KDF with AES-CMAC as PRF (`cryptography`'s KBKDFCMAC, an implementation independent of the C one).
"""

from __future__ import annotations

import hmac
import struct
from dataclasses import dataclass
from typing import ClassVar, Self

from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.ciphers.aead import AESCCM
from cryptography.hazmat.primitives.kdf.kbkdf import KBKDFCMAC, CounterLocation, Mode

BOOT_REQUEST = 0x21
AS_REQUEST = 0x22
AS_RESPONSE = 0x23
BOOT_RESPONSE = 0x24
BOOT_CONFIRM = 0x25
AS_ERROR = 0x26
BOOT_ERROR = 0x27
BOOT_ACK = 0x28

KEY_LEN = 16
RN_LEN = 8
DEVICE_TAG = 8  # messages that cross the LLN (one 802.15.4 frame each)
BACKBONE_TAG = 16  # controller <-> AS
REQUEST_LEN = 1 + 2 + RN_LEN + DEVICE_TAG  # 19
AS_REQUEST_LEN = 1 + 2 + 4 + 4 + RN_LEN + REQUEST_LEN + BACKBONE_TAG  # 54
AS_RESPONSE_LEN = 1 + 2 + 4 + 2 + DEVICE_TAG + KEY_LEN + BACKBONE_TAG  # 49
RESPONSE_LEN = 1 + 2 + 2 + 4 + 4 + RN_LEN + DEVICE_TAG  # 29
CONFIRM_LEN = 1 + 2 + 4 + DEVICE_TAG  # 15
ACK_LEN = 1 + 2 + 4 + DEVICE_TAG  # 15
AS_ERROR_LEN = 1 + 2 + 4 + 1  # 8
BOOT_ERROR_LEN = 1 + 2 + 1  # 4
KDF_LABEL = b"ESSE PSK_DN"
CONTEXT_LEN = 2 + 2 + 4 + 4 + RN_LEN + RN_LEN  # 28


class BootError(ValueError):
    """A bootstrapping message was refused; `code` is one of the E_* names below (one per cause)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code


# Refusal causes, each with the one-byte code AS_ERROR / BOOT_ERROR carry.
ERROR_CODES = {
    "malformed": 1,
    "controller_auth": 2,  # unknown controller or bad MAC under SK_cs
    "replay": 3,  # an AS_REQUEST the AS already answered, byte for byte
    "tid": 4,  # a TID this controller already used (or not above its last one): forged TID
    "stale_ts": 5,  # TS outside the AS's window
    "unknown_device": 6,  # ID_d not in the repository
    "device_auth": 7,  # BOOT_REQUEST not made with the IK_d on record (wrong IK_d)
    "rn_reused": 8,  # RN_d (per device) or RN_c (per controller) seen before
    "unknown_tid": 9,  # a response/confirmation for no pending transaction (controller)
    "confirm": 10,  # BOOT_CONFIRM not made with the new PSK_DN (controller)
    "as_timeout": 11,  # the AS did not answer (controller)
    "revoked": 12,  # the operator revoked the device; refused until it is enrolled again
}
ERROR_NAMES = {v: k for k, v in ERROR_CODES.items()}


def nonce(msg_type: int, rn: bytes, tid: int = 0) -> bytes:
    """type | RN(8) | TID(4, big-endian): unique per key because RNs and TIDs are never reused."""
    return bytes([msg_type]) + rn + tid.to_bytes(4, "big")


def _mac(key: bytes, msg_type: int, rn: bytes, tid: int, aad: bytes, tag: int) -> bytes:
    return AESCCM(key, tag_length=tag).encrypt(nonce(msg_type, rn, tid), b"", aad)


def _check(key: bytes, msg_type: int, rn: bytes, tid: int, aad: bytes, tag: bytes) -> bool:
    return hmac.compare_digest(_mac(key, msg_type, rn, tid, aad, len(tag)), tag)


def kdf_context(id_d: int, id_c: int, tid: int, ts: int, rn_d: bytes, rn_c: bytes) -> bytes:
    """ID_d(2) | ID_c(2) | TID(4) | TS(4) | RN_d(8) | RN_c(8), big-endian: the KDF's Context."""
    return struct.pack(">HHII", id_d, id_c, tid, ts) + rn_d + rn_c


def derive_psk(ik: bytes, context: bytes) -> bytes:
    """PSK_DN = SP 800-108 counter-mode KDF, PRF AES-CMAC(IK_d), r = 8, L = 128, label 'ESSE PSK_DN'."""
    kdf = KBKDFCMAC(
        algorithms.AES, Mode.CounterMode, KEY_LEN, 1, 2, CounterLocation.BeforeFixed, KDF_LABEL, context, None
    )
    return kdf.derive(ik)


@dataclass(frozen=True)
class BootRequest:
    """BOOT_REQUEST (device -> controller): ID_d, RN_d, MAC under IK_d."""

    id_d: int
    rn_d: bytes
    tag: bytes

    @classmethod
    def build(cls, ik: bytes, id_d: int, rn_d: bytes) -> BootRequest:
        """What a device holding `ik` sends."""
        head = bytes([BOOT_REQUEST]) + id_d.to_bytes(2, "big") + rn_d
        return cls(id_d, rn_d, _mac(ik, BOOT_REQUEST, rn_d, 0, head, DEVICE_TAG))

    def encode(self) -> bytes:
        """19 bytes on the air."""
        return bytes([BOOT_REQUEST]) + self.id_d.to_bytes(2, "big") + self.rn_d + self.tag

    @classmethod
    def decode(cls, data: bytes) -> BootRequest:
        """Parse (the MAC is checked by the AS, which holds IK_d)."""
        _expect(data, BOOT_REQUEST, REQUEST_LEN, "BOOT_REQUEST")
        return cls(int.from_bytes(data[1:3], "big"), bytes(data[3:11]), bytes(data[11:19]))

    def verify(self, ik: bytes) -> bool:
        """True when made with `ik`."""
        return _check(ik, BOOT_REQUEST, self.rn_d, 0, self.encode()[:11], self.tag)


@dataclass(frozen=True)
class AsRequest:
    """AS_REQUEST (controller -> AS): ID_c, TID, TS, RN_c and the device's request, MAC under SK_cs."""

    id_c: int
    tid: int
    ts: int
    rn_c: bytes
    request: bytes  # the BOOT_REQUEST bytes, forwarded unchanged
    tag: bytes = b""

    def head(self) -> bytes:
        """Everything before the tag (the CCM AAD)."""
        return struct.pack(">BHII", AS_REQUEST, self.id_c, self.tid, self.ts) + self.rn_c + self.request

    def sealed(self, sk_cs: bytes) -> AsRequest:
        """This request with its tag under SK_cs."""
        tag = _mac(sk_cs, AS_REQUEST, self.rn_c, self.tid, self.head(), BACKBONE_TAG)
        return AsRequest(self.id_c, self.tid, self.ts, self.rn_c, self.request, tag)

    def encode(self) -> bytes:
        """54 bytes."""
        return self.head() + self.tag

    @classmethod
    def decode(cls, data: bytes) -> AsRequest:
        """Parse without checking the tag."""
        _expect(data, AS_REQUEST, AS_REQUEST_LEN, "AS_REQUEST")
        _, id_c, tid, ts = struct.unpack(">BHII", data[:11])
        return cls(id_c, tid, ts, bytes(data[11:19]), bytes(data[19:38]), bytes(data[38:]))

    def verify(self, sk_cs: bytes) -> bool:
        """True when sealed with `sk_cs`."""
        return _check(sk_cs, AS_REQUEST, self.rn_c, self.tid, self.head(), self.tag)


@dataclass(frozen=True)
class BootResponse:
    """BOOT_RESPONSE (controller -> device): ID_d, ID_c, TID, TS, RN_c, MAC under IK_d (nonce binds RN_d)."""

    id_d: int
    id_c: int
    tid: int
    ts: int
    rn_c: bytes
    tag: bytes = b""

    def head(self) -> bytes:
        """Everything before the tag (the CCM AAD)."""
        return struct.pack(">BHHII", BOOT_RESPONSE, self.id_d, self.id_c, self.tid, self.ts) + self.rn_c

    def tag_for(self, ik: bytes, rn_d: bytes) -> bytes:
        """The tag the AS computes (the controller never holds IK_d)."""
        return _mac(ik, BOOT_RESPONSE, rn_d, self.tid, self.head(), DEVICE_TAG)

    def encode(self) -> bytes:
        """29 bytes on the air."""
        return self.head() + self.tag

    @classmethod
    def decode(cls, data: bytes) -> BootResponse:
        """Parse without checking the tag."""
        _expect(data, BOOT_RESPONSE, RESPONSE_LEN, "BOOT_RESPONSE")
        _, id_d, id_c, tid, ts = struct.unpack(">BHHII", data[:13])
        return cls(id_d, id_c, tid, ts, bytes(data[13:21]), bytes(data[21:]))


@dataclass(frozen=True)
class AsResponse:
    """AS_RESPONSE (AS -> controller): TID, ID_d, the device's BOOT_RESPONSE tag and E(PSK_DN, SK_cs)."""

    id_c: int
    tid: int
    id_d: int
    device_tag: bytes
    psk_dn: bytes

    def head(self) -> bytes:
        """The CCM AAD: type | ID_c | TID | ID_d | device tag."""
        return struct.pack(">BHIH", AS_RESPONSE, self.id_c, self.tid, self.id_d) + self.device_tag

    def encode(self, sk_cs: bytes, rn_c: bytes) -> bytes:
        """49 bytes: PSK_DN encrypted and everything authenticated under SK_cs."""
        body = AESCCM(sk_cs, tag_length=BACKBONE_TAG).encrypt(
            nonce(AS_RESPONSE, rn_c, self.tid), self.psk_dn, self.head()
        )
        return self.head() + body

    @staticmethod
    def peek(data: bytes) -> tuple[int, int]:
        """(ID_c, TID) from an AS_RESPONSE, to find the pending transaction before decrypting."""
        _expect(data, AS_RESPONSE, AS_RESPONSE_LEN, "AS_RESPONSE")
        _, id_c, tid = struct.unpack(">BHI", data[:7])
        return id_c, tid

    @classmethod
    def decode(cls, data: bytes, sk_cs: bytes, rn_c: bytes) -> AsResponse:
        """Parse, check and decrypt; BootError('controller_auth') when not from the AS."""
        id_c, tid = cls.peek(data)
        id_d = int.from_bytes(data[7:9], "big")
        try:
            psk = AESCCM(sk_cs, tag_length=BACKBONE_TAG).decrypt(
                nonce(AS_RESPONSE, rn_c, tid), data[17:], data[:17]
            )
        except Exception as exc:  # cryptography raises InvalidTag
            raise BootError(
                "controller_auth", f"AS_RESPONSE for TID {tid} fails its tag under SK_cs"
            ) from exc
        return cls(id_c, tid, id_d, bytes(data[9:17]), psk)


@dataclass(frozen=True)
class BootConfirm:
    """BOOT_CONFIRM (device -> controller): ID_d, TID, MAC under the new PSK_DN (nonce binds RN_c)."""

    id_d: int
    tid: int
    tag: bytes = b""
    TYPE: ClassVar[int] = BOOT_CONFIRM
    NAME: ClassVar[str] = "BOOT_CONFIRM"

    def head(self) -> bytes:
        """Everything before the tag."""
        return struct.pack(">BHI", self.TYPE, self.id_d, self.tid)

    def sealed(self, psk_dn: bytes, rn_c: bytes) -> Self:
        """This message with its tag under PSK_DN."""
        tag = _mac(psk_dn, self.TYPE, rn_c, self.tid, self.head(), DEVICE_TAG)
        return type(self)(self.id_d, self.tid, tag)

    def encode(self) -> bytes:
        """15 bytes on the air."""
        return self.head() + self.tag

    @classmethod
    def decode(cls, data: bytes) -> Self:
        """Parse without checking the tag."""
        _expect(data, cls.TYPE, CONFIRM_LEN, cls.NAME)
        _, id_d, tid = struct.unpack(">BHI", data[:7])
        return cls(id_d, tid, bytes(data[7:]))

    def verify(self, psk_dn: bytes, rn_c: bytes) -> bool:
        """True when made with `psk_dn`."""
        return _check(psk_dn, self.TYPE, rn_c, self.tid, self.head(), self.tag)


@dataclass(frozen=True)
class BootAck(BootConfirm):
    """BOOT_ACK (controller -> device): the BOOT_CONFIRM of ID_d's transaction TID arrived and PSK_DN is
    installed. The same layout under PSK_DN with its own type (nonce 0x28 | RN_c | TID), so only the
    controller that got the confirmation can make it."""

    TYPE: ClassVar[int] = BOOT_ACK
    NAME: ClassVar[str] = "BOOT_ACK"


def as_error(id_c: int, tid: int, code: str) -> bytes:
    """AS_ERROR: type | ID_c | TID | code (unauthenticated: it can only say no, which dropping also does)."""
    return struct.pack(">BHIB", AS_ERROR, id_c, tid, ERROR_CODES[code])


def boot_error(id_d: int, code: str) -> bytes:
    """BOOT_ERROR to the device: type | ID_d | code (advisory, unauthenticated)."""
    return struct.pack(">BHB", BOOT_ERROR, id_d, ERROR_CODES[code])


def parse_error(data: bytes) -> tuple[int, str]:
    """(TID, error name) of an AS_ERROR."""
    _expect(data, AS_ERROR, AS_ERROR_LEN, "AS_ERROR")
    _, _, tid, code = struct.unpack(">BHIB", data)
    return tid, ERROR_NAMES.get(code, f"code {code}")


def _expect(data: bytes, msg_type: int, length: int, name: str) -> None:
    if not data or data[0] != msg_type:
        got = f"type {data[0]:#04x}" if data else "an empty datagram"
        raise BootError("malformed", f"expected {name} ({msg_type:#04x}), got {got}")
    if len(data) != length:
        raise BootError("malformed", f"{name} is {length} bytes, got {len(data)}")
