"""Floods for the hardening tests: cookie-passing ClientHellos (the delegator keeps state for each) from
one source address, and a hand-driven TinyDTLS client whose flights the test releases one at a time."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from tests.ssm.harness_fixtures import CLIENT_ID, CLIENT_KEY


async def prepared_hellos(
    server: tuple[str, int], count: int, source: str = "127.0.0.2", ecdhe: bool = False
) -> list[tuple[socket.socket, bytes]]:
    """`count` (socket on `source`, ClientHello carrying its cookie) pairs, not yet sent: each passes
    the cookie exchange, so the server keeps state for it (and, for `ecdhe`, which offers ECDHE-ECDSA
    only, signs a key share) once it arrives."""
    from harness.tinydtls import binding

    pairs = []
    loop = asyncio.get_running_loop()
    key = binding.EcdsaKey.generate() if ecdhe else None
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((source, 0))
        s.setblocking(False)
        out: list[bytes] = []
        kw: dict[str, Any] = (
            {"ecdsa_key": key, "verify_peer_key": lambda *a: True,
             "cipher_suites": [binding.Cipher.ECDHE_ECDSA_AES_128_CCM_8]}
            if ecdhe else {"psk": binding.PskStore({CLIENT_ID.encode(): CLIENT_KEY.encode()},
                                                   identity=CLIENT_ID.encode())}
        )
        ctx = binding.DtlsContext(lambda a, dgram, out=out: out.append(dgram), **kw)  # type: ignore[misc]
        try:
            ctx.connect(server)
            s.sendto(out.pop(), server)
            hvr = await asyncio.wait_for(loop.sock_recv(s, 2048), 5)
            ctx.handle_message(server, hvr)
            pairs.append((s, out.pop()))
        finally:
            ctx.free()
    return pairs


async def cookie_hellos(
    server: tuple[str, int], count: int, source: str = "127.0.0.2", ecdhe: bool = False
) -> list[socket.socket]:
    """prepared_hellos, each sent at once (then silence); returns the open sockets."""
    pairs = await prepared_hellos(server, count, source, ecdhe)
    for s, hello in pairs:
        s.sendto(hello, server)
    return [s for s, _ in pairs]


class SteppedClient:
    """A TinyDTLS PSK client whose flights leave only when the test says so (a slow client)."""

    def __init__(self, server: tuple[str, int], source: str = "127.0.0.1") -> None:
        from harness.tinydtls import binding

        self.server = server
        self.out: list[bytes] = []
        self.data: list[bytes] = []
        self.events: list[Any] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((source, 0))
        self.sock.setblocking(False)
        self.ctx = binding.DtlsContext(
            lambda a, d: self.out.append(d),
            on_data=lambda a, d: self.data.append(bytes(d)),
            on_event=lambda a, e, lvl: self.events.append(e),
            psk=binding.PskStore({CLIENT_ID.encode(): CLIENT_KEY.encode()}, identity=CLIENT_ID.encode()),
        )
        self.ctx.connect(server)

    def flush(self) -> int:
        """Send every datagram TinyDTLS produced so far (one flight); how many."""
        n = len(self.out)
        for d in self.out:
            self.sock.sendto(d, self.server)
        self.out.clear()
        return n

    async def receive_flight(self, timeout: float = 5.0) -> None:
        """Feed the server's datagrams to TinyDTLS until our next flight is ready, the handshake is
        complete, or data arrived."""
        loop = asyncio.get_running_loop()
        done = self.connected()
        while not self.out and not self.data and self.connected() == done:
            d = await asyncio.wait_for(loop.sock_recv(self.sock, 4096), timeout)
            self.ctx.handle_message(self.server, d)

    def connected(self) -> bool:
        """The handshake is complete on our side."""
        return bool(self.ctx.is_connected(self.server))

    def write(self, data: bytes) -> None:
        """Send application data on the session."""
        self.ctx.write(self.server, data)
        self.flush()

    def close(self) -> None:
        """Free the context and the socket."""
        self.ctx.free()
        self.sock.close()
