"""SLIP framing (RFC 1055): END 0xC0 ends a packet, ESC 0xDB escapes END (ESC 0xDC) and ESC (ESC 0xDD).

Packets are sent as END payload END: the leading END flushes whatever line noise came before.
"""

from __future__ import annotations

END = 0xC0
ESC = 0xDB
ESC_END = 0xDC
ESC_ESC = 0xDD

_ENCODE = {END: bytes([ESC, ESC_END]), ESC: bytes([ESC, ESC_ESC])}


def encode(packet: bytes) -> bytes:
    """One packet as it goes on the line."""
    body = (
        b"".join(_ENCODE.get(b, bytes([b])) for b in packet) if (END in packet or ESC in packet) else packet
    )
    return bytes([END]) + body + bytes([END])


class Decoder:
    """Incremental decoder: feed() bytes as they arrive, get back the packets they complete.

    A frame with an invalid escape (ESC followed by anything but ESC_END/ESC_ESC) or longer than
    `max_size` is dropped whole and counted in `errors`; empty frames (back-to-back ENDs) are skipped.
    """

    def __init__(self, max_size: int = 2048) -> None:
        self.max_size = max_size
        self.errors = 0
        self._buf = bytearray()
        self._esc = False
        self._bad = False

    def feed(self, data: bytes) -> list[bytes]:
        """Feed bytes from the line; the complete packets they end."""
        packets: list[bytes] = []
        for b in data:
            if b == END:
                if self._bad or self._esc:
                    self.errors += 1
                elif self._buf:
                    packets.append(bytes(self._buf))
                self._buf.clear()
                self._esc = self._bad = False
                continue
            if self._bad:
                continue
            if self._esc:
                self._esc = False
                if b == ESC_END:
                    b = END
                elif b == ESC_ESC:
                    b = ESC
                else:
                    self._bad = True
                    continue
            elif b == ESC:
                self._esc = True
                continue
            if len(self._buf) >= self.max_size:
                self._bad = True
                continue
            self._buf.append(b)
        return packets
