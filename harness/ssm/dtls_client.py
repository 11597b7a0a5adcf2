"""A real DTLS client for tests and benchmarks: TinyDTLS (H2's binding) over an asyncio UDP socket.
It does what OpenSSL cannot here (raw public keys) and lets tests hold a session across an SSM restart."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from harness.tinydtls import binding


class TinyDtlsClient:
    def __init__(
        self,
        server: tuple,
        *,
        identity: bytes | None = None,
        key: bytes | None = None,
        suites: list[Any] | None = None,
        ecdsa_key: Any = None,
        drop: Any = None,
    ) -> None:
        self.drop = drop  # drop(datagram) -> True: lose that incoming datagram (simulated loss)
        self.dropped: list[bytes] = []
        self.server = binding.normalize_address(server)
        self.connected = asyncio.Event()
        self.alerts: list[Any] = []
        self.data: asyncio.Queue[bytes] = asyncio.Queue()
        psk = binding.PskStore({identity: key}, identity=identity) if identity is not None else None
        self.ctx = binding.DtlsContext(
            self._send,
            on_data=lambda a, d: self.data.put_nowait(d),
            on_event=self._event,
            psk=psk,
            ecdsa_key=ecdsa_key,
            verify_peer_key=(lambda a, x, y: True) if ecdsa_key is not None else None,
            cipher_suites=suites,
        )
        self.transport: asyncio.DatagramTransport | None = None
        self.sent: list[bytes] = []
        self._ticker: asyncio.Task[None] | None = None

    def _send(self, addr: Any, data: bytes) -> None:
        self.sent.append(data)
        assert self.transport is not None
        self.transport.sendto(data, self.server[:2] if len(self.server) == 2 else self.server)

    def _event(self, addr: Any, event: Any, level: Any) -> None:
        if event == binding.DtlsEvent.CONNECTED:
            self.connected.set()
        else:
            self.alerts.append(event)

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if ":" in self.server[0] else socket.AF_INET
        client = self

        class Proto(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: Any) -> None:
                if client.drop is not None and client.drop(data):
                    client.dropped.append(data)
                    return
                client.ctx.handle_message(client.server, data)

        self.transport, _ = await loop.create_datagram_endpoint(
            Proto, local_addr=("::1" if family == socket.AF_INET6 else "127.0.0.1", 0), family=family
        )
        self._ticker = loop.create_task(self._tick())

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(0.05)
            self.ctx.check_retransmit()

    async def connect(self, timeout: float = 5.0) -> None:
        if self.transport is None:
            await self.open()
        self.ctx.connect(self.server)
        await asyncio.wait_for(self.connected.wait(), timeout)

    async def request(self, payload: bytes, timeout: float = 5.0) -> bytes:
        assert self.ctx.write(self.server, payload) == len(payload)
        return await asyncio.wait_for(self.data.get(), timeout)

    def close(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
        if self.transport is not None:
            self.transport.close()
        self.ctx.free()
