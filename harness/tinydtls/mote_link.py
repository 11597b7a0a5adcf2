"""A datagram link between an emulated mote running a TinyDTLS profile and a host DtlsContext.

The `psk`/`ecc` profile apps (firmware/tinydtls_platform/profiles/handshake_main.c) carry DTLS
datagrams over UART1 as frames: a 2-byte big-endian length, then the datagram. Text lines the app
prints before its first frame are skipped by starting after a marker. The app holds one received
frame at a time (`rx_ready`), so host frames are pushed only when the mote has taken the last one.

    link = UartDatagramLink(mote, start=run.match.end())
    host = DtlsContext(link.to_mote, psk=...)
    link.attach(host)
    link.run_until(lambda: host.is_connected(link.mote_address), max_cycles=50_000_000)
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.energy.flights import Flight, split_flights
from harness.tinydtls.binding import Address, DtlsContext

MOTE_ADDRESS: Address = ("fe80::1", 5684)  # the peer address the profile app uses for the host


@dataclass
class LinkEvent:
    """One datagram crossing the mote's UART, with its CPU cycle."""
    cycle: int
    direction: str  # "mote->host" or "host->mote"
    datagram: bytes
    active_ns: int = 0  # the mote's CPU-active time then, the core's ns tracker (harness.energy.flights)


@dataclass
class UartDatagramLink:
    """Datagrams framed over an emulated mote's UART, exchanged with a host DTLS context."""
    mote: Any  # harness.emulator.mote.Mote
    start: int = 0  # UART output offset where frames begin
    mote_address: Address = MOTE_ADDRESS
    rx_flag_symbol: str = "rx_ready"
    log: list[LinkEvent] = field(default_factory=list)

    def __post_init__(self) -> None:
        from harness.emulator.mote import lib

        self._lib = lib
        self._pos = self.start
        self._to_mote: list[bytes] = []
        self._host: DtlsContext | None = None
        symbols = self.mote.image.symbols if self.mote.image is not None else {}
        self._rx_flag = symbols.get(self.rx_flag_symbol)
        self._settled_at = 0  # cycle after which the last pushed frame has surely been received

    def attach(self, host: DtlsContext) -> None:
        """Connect the host DTLS context that receives the mote's datagrams."""
        self._host = host

    def to_mote(self, addr: Address, datagram: bytes) -> None:
        """The host context's send callback."""
        self._to_mote.append(datagram)

    def _mote_ready(self) -> bool:
        """The app has taken the last frame: every byte of it went through the UART, its receive
        interrupt had a character time to run (and would have set rx_ready), and rx_ready is clear.
        Pushing earlier would make the app drop the next frame's bytes."""
        if self._lib.uart_rx_queued(self.mote.ptr, 1):
            return False
        if self.mote.now < self._settled_at:
            return False
        return self._rx_flag is None or self.mote.read8(self._rx_flag) == 0

    def poll(self) -> None:
        """Move complete frames mote->host, and one queued datagram host->mote if the mote is ready."""
        out = self.mote.uart_output()
        while len(out) - self._pos >= 2:
            (n,) = struct.unpack("!H", out[self._pos:self._pos + 2])
            if len(out) - self._pos - 2 < n:
                break
            frame = out[self._pos + 2:self._pos + 2 + n]
            self._pos += 2 + n
            self.log.append(LinkEvent(self.mote.now, "mote->host", frame, self.mote.active_ns))
            if self._host is not None:
                self._host.handle_message(self.mote_address, frame)
        if self._to_mote and self._mote_ready():
            datagram = self._to_mote.pop(0)
            frame = struct.pack("!H", len(datagram)) + datagram
            pushed = self._lib.uart_rx_push(self.mote.ptr, 1, frame, len(frame))
            if pushed != len(frame):
                raise RuntimeError(f"mote UART receive queue full ({pushed} of {len(frame)} bytes taken)")
            char = self._lib.uart_char_cycles(self.mote.ptr, 1) or 1
            self._settled_at = self.mote.now + (len(frame) + 1) * char
            self.log.append(LinkEvent(self.mote.now, "host->mote", datagram, self.mote.active_ns))

    def run_until(self, done: Callable[[], bool], max_cycles: int, step: int = 200_000) -> bool:
        """Run the mote in `step`-cycle slices, polling the link, until done() or max_cycles."""
        limit = self.mote.now + max_cycles
        while self.mote.now < limit:
            self.mote.run(step)
            self.poll()
            if self._host is not None:
                self._host.check_retransmit()
            if done():
                return True
        return False


@dataclass
class MoteHandshake:
    """Outcome of one mote-as-client handshake against a host TinyDTLS context."""

    profile: str
    link: UartDatagramLink
    connected_cycle: int  # mote cycle at which the host saw the session connected
    start_cycle: int  # mote cycle when the mote's first datagram was on the UART
    echoed: list[bytes]
    active_cycles: int  # CPU active cycles of the mote over the whole run
    start_active_ns: int = 0  # CPU-active time (ns, the core's tracker) when the handshake started
    end_active_ns: int = 0  # ... at the end of the run

    @property
    def handshake_cycles(self) -> int:
        """CPU cycles the mote spent from start to connected."""
        return self.connected_cycle - self.start_cycle

    def datagrams(self, direction: str) -> list[bytes]:
        """The datagrams logged in one direction."""
        return [e.datagram for e in self.link.log if e.direction == direction]

    def flights(self) -> list[Flight]:
        """The handshake's flights with the mote's CPU and radio energy for each."""
        return split_flights(self.link.log, start_active_ns=self.start_active_ns,
                             end_active_ns=self.end_active_ns)


def handshake_with_host(
    elf: Any,
    profile: str,
    *,
    max_cycles: int,
    node_id: int = 5,
    payload: bytes = b"ping",
    step: int = 200_000,
    **host_kwargs: Any,
) -> MoteHandshake:
    """Boot a psk/ecc profile ELF on the emulator, let it handshake (as client) with a host
    DtlsContext built from host_kwargs, then send `payload` and wait for the app's echo.
    `step` is the polling slice in cycles: the resolution of the link log's cycle stamps.
    Raises TimeoutError if either step does not finish within its cycle budget."""
    from harness.emulator.mote import Mote

    mote = Mote(elf, node_id=node_id)
    run = mote.run_until_uart(rb"changed\n", max_cycles=300_000_000)
    if run.reason != "uart" or run.match is None:
        raise TimeoutError(f"{profile}: the app never started: {mote.uart_text()!r}")
    link = UartDatagramLink(mote, start=run.match.end())
    echoed: list[bytes] = []
    host = DtlsContext(link.to_mote, on_data=lambda addr, data: echoed.append(data), **host_kwargs)
    link.attach(host)
    try:
        start, start_active = mote.now, mote.active_ns
        if not link.run_until(lambda: host.is_connected(link.mote_address), max_cycles, step):
            raise TimeoutError(f"{profile}: no handshake within {max_cycles} cycles; link log: {link.log}")
        connected = mote.now
        host.write(link.mote_address, payload)
        if not link.run_until(lambda: bool(echoed), 50_000_000, step):
            raise TimeoutError(f"{profile}: the app did not echo application data")
        return MoteHandshake(profile, link, connected, start, echoed, mote.active_cycles, start_active,
                             mote.active_ns)
    finally:
        host.free()
