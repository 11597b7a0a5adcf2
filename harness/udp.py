"""asyncio UDP sockets and host:port text: what the SSM, the stand-in CCS and the tools share."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any

Address = tuple[Any, ...]
DatagramHandler = Callable[[Address, bytes], None]


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


def check_hostport(value: str, *, port_zero: bool = True) -> str:
    """`value` if it is HOST:PORT or [IPv6]:PORT (port 0, "any free port", only if port_zero), else a
    ValueError saying so: the check of every listen / address key of the config files."""
    try:
        host, port = parse_hostport(value)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not HOST:PORT ({exc})") from None
    if not host or not 0 <= port <= 65535 or (port == 0 and not port_zero):
        raise ValueError(f"{value!r} is not HOST:PORT with a port {0 if port_zero else 1}..65535")
    return value


def resolve(host: str, port: int) -> Address:
    """A socket address tuple for (host, port), numeric hosts kept as they are."""
    info = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
    return tuple(info[4])


class _Proto(asyncio.DatagramProtocol):
    def __init__(self, on_datagram: DatagramHandler, on_error: Callable[[Exception], None] | None) -> None:
        self.on_datagram = on_datagram
        self.on_error = on_error

    def datagram_received(self, data: bytes, addr: Address) -> None:
        self.on_datagram(addr, data)

    def error_received(self, exc: Exception) -> None:
        if self.on_error is not None:
            self.on_error(exc)


async def open_udp(
    host: str,
    port: int,
    on_datagram: DatagramHandler,
    on_error: Callable[[Exception], None] | None = None,
    *,
    reuse_port: bool = False,
) -> asyncio.DatagramTransport:
    """A UDP socket bound to host:port (IPv6: v6-only) whose datagrams go to on_datagram(addr, data);
    with `reuse_port`, other processes of this user may bind it too (SO_REUSEPORT: the kernel gives
    each peer address and port to one of them)."""
    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind((host, port))
    transport, _ = await loop.create_datagram_endpoint(lambda: _Proto(on_datagram, on_error), sock=sock)
    return transport
