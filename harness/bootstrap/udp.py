"""asyncio UDP endpoints for the AS and the controller (one socket each)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import cast

from .controller import Addr, Controller
from .server import AuthServer


class _Endpoint(asyncio.DatagramProtocol):
    def __init__(self, handle: Callable[[bytes, Addr], list[tuple[bytes, Addr]]]) -> None:
        self.handle = handle
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.transport is None:
            return
        for out, dest in self.handle(data, (addr[0], addr[1])):
            self.transport.sendto(out, dest)


async def serve_as(server: AuthServer, host: str = "127.0.0.1", port: int = 0) -> asyncio.DatagramTransport:
    """Bind the AS (port 0: any free port; read it from get_extra_info('sockname'))."""

    def handle(data: bytes, addr: Addr) -> list[tuple[bytes, Addr]]:
        reply = server.handle(data)
        return [] if reply is None else [(reply, addr)]

    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(lambda: _Endpoint(handle), local_addr=(host, port))
    return transport


async def serve_controller(
    controller: Controller, host: str = "127.0.0.1", port: int = 0
) -> asyncio.DatagramTransport:
    """Bind the controller: devices and the AS both talk to this one socket."""
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _Endpoint(controller.handle), local_addr=(host, port)
    )
    return transport
