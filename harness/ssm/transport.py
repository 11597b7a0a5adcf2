"""How the delegator reaches CCSs. UDP now; a serial/6LoWPAN bridge to real motes later implements
the same small interface (frames in, frames out, addressed by an opaque CCS address)."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod

from harness.udp import Address, open_udp
from harness.udp import DatagramHandler as FrameHandler

__all__ = ["Address", "CcsTransport", "FrameHandler", "UdpCcsTransport"]


class CcsTransport(ABC):
    """Frames to and from CCSs. `on_frame(address, frame)` is called for every frame received."""

    @abstractmethod
    async def start(self, on_frame: FrameHandler) -> None:
        """Start receiving; frames go to on_frame(address, frame)."""

    @abstractmethod
    def send(self, address: Address, frame: bytes) -> None:
        """Send one frame to a CCS."""

    @abstractmethod
    def close(self) -> None:
        """Stop receiving and release the transport."""

    @property
    @abstractmethod
    def local_address(self) -> Address:
        """The SSM's address on the CCS side."""


class UdpCcsTransport(CcsTransport):
    """One UDP socket on the SSM side of the LLN (the stand-in CCS listens on UDP too)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, reuse_port: bool = False) -> None:
        self.host, self.port, self.reuse_port = host, port, reuse_port
        self._transport: asyncio.DatagramTransport | None = None

    async def start(self, on_frame: FrameHandler) -> None:
        """Bind the socket (shared by the SSM's processes with `reuse_port`) and deliver incoming frames
        to `on_frame`."""
        self._transport = await open_udp(self.host, self.port, on_frame, reuse_port=self.reuse_port)

    def send(self, address: Address, frame: bytes) -> None:
        """Send one frame to a CCS."""
        if self._transport is None:
            raise RuntimeError("CCS transport not started")
        self._transport.sendto(frame, address)

    def close(self) -> None:
        """Close the socket."""
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    @property
    def local_address(self) -> Address:
        """The bound address of the socket."""
        if self._transport is None:
            raise RuntimeError("CCS transport not started")
        return self._transport.get_extra_info("sockname")
