"""Just enough CoAP (RFC 7252) for the stand-in CCS: parse a request, build a piggybacked response."""

from __future__ import annotations

from dataclasses import dataclass, field

TYPE_CON, TYPE_NON, TYPE_ACK, TYPE_RST = 0, 1, 2, 3
OPT_URI_PATH = 11
OPT_CONTENT_FORMAT = 12
CODE_GET = 0x01
CODE_CONTENT = 0x45  # 2.05
CODE_NOT_FOUND = 0x84  # 4.04
CODE_METHOD_NOT_ALLOWED = 0x85  # 4.05


class CoapParseError(ValueError):
    pass


@dataclass
class Message:
    mtype: int
    code: int
    message_id: int
    token: bytes = b""
    options: list[tuple[int, bytes]] = field(default_factory=list)
    payload: bytes = b""

    @property
    def is_request(self) -> bool:
        return 1 <= self.code <= 31 and self.mtype in (TYPE_CON, TYPE_NON)

    @property
    def uri_path(self) -> str:
        return "/" + "/".join(v.decode(errors="replace") for n, v in self.options if n == OPT_URI_PATH)


def _ext(value: int) -> tuple[int, bytes]:
    if value < 13:
        return value, b""
    if value < 269:
        return 13, bytes([value - 13])
    return 14, (value - 269).to_bytes(2, "big")


def encode(msg: Message) -> bytes:
    if len(msg.token) > 8:
        raise ValueError("token longer than 8 bytes")
    out = bytearray([0x40 | (msg.mtype << 4) | len(msg.token), msg.code])
    out += msg.message_id.to_bytes(2, "big") + msg.token
    last = 0
    for number, value in sorted(msg.options, key=lambda o: o[0]):
        d, dext = _ext(number - last)
        ln, lext = _ext(len(value))
        out += bytes([(d << 4) | ln]) + dext + lext + value
        last = number
    if msg.payload:
        out += b"\xff" + msg.payload
    return bytes(out)


def decode(data: bytes) -> Message:
    if len(data) < 4 or data[0] >> 6 != 1:
        raise CoapParseError("not a CoAP version 1 message")
    tkl = data[0] & 0x0F
    if tkl > 8 or len(data) < 4 + tkl:
        raise CoapParseError("bad token length")
    msg = Message((data[0] >> 4) & 3, data[1], int.from_bytes(data[2:4], "big"), bytes(data[4 : 4 + tkl]))
    pos, number = 4 + tkl, 0
    while pos < len(data):
        if data[pos] == 0xFF:
            if pos + 1 == len(data):
                raise CoapParseError("payload marker without payload")
            msg.payload = bytes(data[pos + 1 :])
            break
        delta, length = data[pos] >> 4, data[pos] & 0x0F
        pos += 1
        vals = []
        for nib in (delta, length):
            if nib == 13:
                vals.append(data[pos] + 13)
                pos += 1
            elif nib == 14:
                vals.append(int.from_bytes(data[pos : pos + 2], "big") + 269)
                pos += 2
            elif nib == 15:
                raise CoapParseError("reserved option nibble 15")
            else:
                vals.append(nib)
        number += vals[0]
        if pos + vals[1] > len(data):
            raise CoapParseError("option runs past the end")
        msg.options.append((number, bytes(data[pos : pos + vals[1]])))
        pos += vals[1]
    return msg


def response_to(request: Message, code: int, payload: bytes = b"", content_format: int | None = 0) -> Message:
    """Piggybacked ACK for a CON request, a NON for a NON one (message id derived, deterministic)."""
    if request.mtype == TYPE_CON:
        mtype, mid = TYPE_ACK, request.message_id
    else:
        mtype, mid = TYPE_NON, (request.message_id + 1) & 0xFFFF
    opts = [] if content_format is None or not payload else [(OPT_CONTENT_FORMAT, _uint(content_format))]
    return Message(mtype, code, mid, request.token, opts, payload)


def _uint(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big") if value else b""
