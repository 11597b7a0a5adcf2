"""DTLS over asyncio UDP sockets, the one home of it: one DtlsContext per socket, retransmissions
scheduled on a clock (harness.clock; the wall clock on the loop by default).

    server = await DtlsServer.create(("127.0.0.1", 0), psk=PskStore({b"id": key}))
    client = await DtlsClient.create(psk=PskStore({b"id": key}, identity=b"id"))
    await client.connect(server.address)
    client.send(server.address, b"ping");  addr, data = await server.recv()
    reply = await client.request(server.address, b"GET ...")     # send, then the next data received

Subclass and override `on_data`/`on_event` to react inside the protocol instead of using the queues.
`drop=` loses chosen incoming datagrams (simulated loss, kept in `dropped`); `restart_context()` gives
the socket a fresh TinyDTLS state (a peer that starts over from the same address). TinyDTLS keeps its
retransmission timer on the endpoint's clock (a SimClock: simulated time, tinydtls_patches/0020);
the endpoint asks it (retransmit_at) exactly when that timer is due.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from harness.clock import Clock, Handle, WallClock
from harness.tinydtls.binding import (
    Address,
    Alert,
    AlertLevel,
    DtlsContext,
    DtlsError,
    DtlsEvent,
    normalize_address,
)

log = logging.getLogger("harness.tinydtls.udp")


class DtlsEndpoint(asyncio.DatagramProtocol):
    """A UDP socket whose datagrams go through one TinyDTLS context (client and server sessions)."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        drop: Callable[[bytes], bool] | None = None,
        **context_kwargs: Any,
    ) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.clock: Clock = clock if clock is not None else WallClock()
        self.drop = drop  # drop(datagram) -> True: lose that incoming datagram
        self.dropped: list[bytes] = []
        self._context_kwargs = context_kwargs
        self.context = self._new_context()
        self.received: asyncio.Queue[tuple[Address, bytes]] = asyncio.Queue()
        self.events: list[tuple[Address, DtlsEvent | Alert, AlertLevel | None]] = []
        self._connected: dict[Address, asyncio.Future[None]] = {}
        self._timer: Handle | None = None
        self._closed = False
        self.datagrams_in = 0
        self.datagrams_out = 0

    def _new_context(self) -> DtlsContext:
        return DtlsContext(self._send_datagram, on_data=self._on_data, on_event=self._on_event,
                           clock=self.clock, **self._context_kwargs)

    @classmethod
    async def create(cls, local_addr: Address = ("127.0.0.1", 0), **kwargs: Any) -> Any:
        """Bind a UDP socket at local_addr (port 0: any free port) with this endpoint on it."""
        loop = asyncio.get_running_loop()
        _, proto = await loop.create_datagram_endpoint(lambda: cls(**kwargs), local_addr=local_addr)
        return proto

    @property
    def address(self) -> Address:
        """The bound socket address."""
        assert self.transport is not None
        return normalize_address(self.transport.get_extra_info("sockname"))

    # -- asyncio.DatagramProtocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport asyncio created."""
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: Address) -> None:
        """Feed a datagram to TinyDTLS."""
        if self._closed:
            return
        if self.drop is not None and self.drop(data):
            self.dropped.append(data)
            return
        self.datagrams_in += 1
        try:
            rc = self.context.handle_message(addr, data)
        except DtlsError:
            log.exception("TinyDTLS failed on a datagram from %r", addr)
            rc = 0
        if rc < 0:
            self._handshake_failed(normalize_address(addr), rc)
        self._reschedule()

    def error_received(self, exc: Exception) -> None:
        """Log a socket error (ICMP unreachable and the like)."""
        log.debug("UDP error: %s", exc)

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the retransmission timer."""
        self._cancel_timer()

    # -- hooks (override in subclasses)

    def on_data(self, addr: Address, data: bytes) -> None:
        """Application data from addr; the default queues it for recv()."""
        self.received.put_nowait((addr, data))

    def on_event(self, addr: Address, event: DtlsEvent | Alert, level: AlertLevel | None) -> None:
        """A session event or alert; the default only records it."""

    # -- operations

    async def connect(self, addr: Address, timeout: float = 10.0) -> None:
        """Handshake as client with addr; returns once TinyDTLS reports the session connected."""
        key = normalize_address(addr)
        if self.context.is_connected(key):
            return
        fut = self._connected.setdefault(key, asyncio.get_running_loop().create_future())
        self.context.connect(key)
        self._reschedule()
        await asyncio.wait_for(asyncio.shield(fut), timeout)

    async def wait_connected(self, addr: Address, timeout: float = 10.0) -> None:
        """Wait until a session with addr (either role) is connected."""
        key = normalize_address(addr)
        if self.context.is_connected(key):
            return
        fut = self._connected.setdefault(key, asyncio.get_running_loop().create_future())
        await asyncio.wait_for(asyncio.shield(fut), timeout)

    def send(self, addr: Address, data: bytes) -> None:
        """Send application data on an established session."""
        n = self.context.write(addr, data)  # the session lookup normalises the address itself
        self._reschedule()
        if n != len(data):
            raise DtlsError(f"no established DTLS session with {addr!r} (dtls_write accepted {n} bytes)")

    async def recv(self, timeout: float = 10.0) -> tuple[Address, bytes]:
        """The next application data received (default on_data), with its sender."""
        return await asyncio.wait_for(self.received.get(), timeout)

    async def request(self, addr: Address, data: bytes, timeout: float = 10.0) -> bytes:
        """Send application data to addr and return the next application data received."""
        self.send(addr, data)
        return (await self.recv(timeout))[1]

    def restart_context(self) -> None:
        """Drop every session without a word (no close_notify) and start from a fresh TinyDTLS state
        on the same socket: what a peer that reboots or starts over looks like."""
        self._cancel_timer()
        self.context.free()
        for fut in self._connected.values():
            if not fut.done():
                fut.cancel()
        self._connected.clear()
        self.context = self._new_context()

    def close_session(self, addr: Address) -> None:
        """Send close_notify on the session with addr."""
        self.context.close(normalize_address(addr))
        self._reschedule()

    def close(self) -> None:
        """Close the socket and free the context (no close_notify; use close_session first)."""
        if self._closed:
            return
        self._closed = True
        self._cancel_timer()
        if self.transport is not None:
            self.transport.close()
        self.context.free()
        for fut in self._connected.values():
            if not fut.done():
                fut.cancel()

    # -- internals

    def _send_datagram(self, addr: Address, data: bytes) -> None:
        if self.transport is None or self._closed:
            raise DtlsError("socket closed")
        self.datagrams_out += 1
        self.transport.sendto(data, addr)

    def _on_data(self, addr: Address, data: bytes) -> None:
        self.on_data(addr, data)

    def _on_event(self, addr: Address, event: DtlsEvent | Alert, level: AlertLevel | None) -> None:
        self.events.append((addr, event, level))
        fut = self._connected.get(addr)
        if event == DtlsEvent.CONNECTED:
            if fut is None:
                fut = self._connected[addr] = asyncio.get_running_loop().create_future()
            if not fut.done():
                fut.set_result(None)
        elif level == AlertLevel.FATAL and fut is not None and not fut.done():
            fut.set_exception(DtlsError(f"handshake with {addr!r} failed: {event.name}"))
        self.on_event(addr, event, level)

    def _handshake_failed(self, addr: Address, rc: int) -> None:
        """TinyDTLS rejected a datagram with a fatal error (it sent the alert itself): fail a waiting
        connect() at once instead of letting it time out."""
        fut = self._connected.get(addr)
        if fut is None or fut.done() or self.context.is_connected(addr):
            return
        code = -rc
        if code >> 8 == int(AlertLevel.FATAL):
            try:
                reason = Alert(code & 0xFF).name
            except ValueError:
                reason = f"alert {code & 0xFF}"
        else:
            reason = f"error {rc}"
        fut.set_exception(DtlsError(f"handshake with {addr!r} failed: {reason}"))

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _reschedule(self) -> None:
        """Arm the loop timer for TinyDTLS's next retransmission."""
        self._cancel_timer()
        if self._closed:
            return
        when = self.context.retransmit_at()
        if when is not None:
            self._timer = self.clock.call_at(when, self._retransmit_due)

    def _retransmit_due(self) -> None:
        self._timer = None
        self._reschedule()


class DtlsServer(DtlsEndpoint):
    """A DTLS server socket (TinyDTLS answers any ClientHello it receives)."""


class DtlsClient(DtlsEndpoint):
    """A DTLS client socket on an ephemeral port."""
