"""How the delegator reaches CCSs. UDP now; a serial/6LoWPAN bridge to real motes later implements
the same small interface (frames in, frames out, addressed by an opaque CCS address)."""

from __future__ import annotations

import asyncio
import socket
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

Address = tuple[Any, ...]
FrameHandler = Callable[[Address, bytes], None]


def parse_hostport(text: str, default_port: int | None = None) -> tuple[str, int]:
    """'127.0.0.1:5684', '[::1]:5684', 'localhost:5684' (or a bare host with default_port)."""
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        host, port = text.split(":")
    else:
        host, port = text, ""
    if not port:
        if default_port is None:
            raise ValueError(f"address {text!r} has no port (want host:port or [v6]:port)")
        return host, default_port
    return host, int(port)


def resolve(host: str, port: int) -> Address:
    """A socket address tuple for (host, port), numeric hosts kept as they are."""
    info = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
    return info[4]


class CcsTransport(ABC):
    """Frames to and from CCSs. `on_frame(address, frame)` is called for every frame received."""

    @abstractmethod
    async def start(self, on_frame: FrameHandler) -> None: ...

    @abstractmethod
    def send(self, address: Address, frame: bytes) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    @property
    @abstractmethod
    def local_address(self) -> Address: ...


class _Proto(asyncio.DatagramProtocol):
    def __init__(
        self, on_datagram: FrameHandler, on_error: Callable[[Exception], None] | None = None
    ) -> None:
        self.on_datagram = on_datagram
        self.on_error = on_error

    def datagram_received(self, data: bytes, addr: Address) -> None:
        self.on_datagram(addr, data)

    def error_received(self, exc: Exception) -> None:
        if self.on_error is not None:
            self.on_error(exc)


async def open_udp(
    host: str, port: int, on_datagram: FrameHandler, on_error: Callable[[Exception], None] | None = None
) -> asyncio.DatagramTransport:
    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind((host, port))
    transport, _ = await loop.create_datagram_endpoint(lambda: _Proto(on_datagram, on_error), sock=sock)
    return transport


class UdpCcsTransport(CcsTransport):
    """One UDP socket on the SSM side of the LLN (the stand-in CCS listens on UDP too)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port
        self._transport: asyncio.DatagramTransport | None = None

    async def start(self, on_frame: FrameHandler) -> None:
        self._transport = await open_udp(self.host, self.port, on_frame)

    def send(self, address: Address, frame: bytes) -> None:
        if self._transport is None:
            raise RuntimeError("CCS transport not started")
        self._transport.sendto(frame, address)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    @property
    def local_address(self) -> Address:
        if self._transport is None:
            raise RuntimeError("CCS transport not started")
        return self._transport.get_extra_info("sockname")
