"""The bridge proper: SLIP/IPv6 on a serial line, loopback UDP port mapping, RA, echo.

Port mapping. For every mote id N and every mapped mote port P (CoAP 5683 at `base_port` by default,
more with `port_map`, e.g. the CCS's SSM port 61617), a UDP socket `bind:(base(P) + N)` stands for
`[PREFIX::IID(N)]:P`. A datagram from a host client (addr, port) to that socket goes out over SLIP from
`[host address]:port` (port-preserving; another port only if that one is taken for this mote port),
and the mote's reply comes back to the client from the same socket. A datagram a mote sends on its own
from port P to `[host address]:D` is delivered from the socket standing for (N, P) to `bind:D` (an
ephemeral socket when P is not mapped), and the host service's replies go back to the mote: so a mote
reaches host services (the SSM) as `[host address]:D` and they see it as one loopback address.

Host addressing for a one-frame radio hop (docs/protocol.md, "Size on the air"): the bridge's address
is the one the border router lends it, PREFIX::ff:fe00:BR (`ipv6.default_host_address`); datagrams to
motes leave with hop limit 65, so they cross the radio with 64 (IPHC codes it in 2 bits); and a client
of a mote port in 0xF0B0..0xF0BF (61617, the CCS's SSM port) gets a host-side port in that range too
(61616 = the SSM's first), so UDP NHC carries both ports in one byte.

Threads: one reads the serial port (pyserial has no asyncio API) and hands bytes to the event loop;
everything else runs on the loop. Writes to the serial port happen on the loop (a few hundred bytes,
fast on both a TCP `socket://` URL and a real UART). A line that fails under a running bridge sets
`line_lost` with the reason in `line_error`; `esse bridge` then exits 1 saying so.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from ipaddress import IPv6Address, IPv6Network

import serial

from harness.bridge import ipv6, slip

log = logging.getLogger("esse.bridge")

COAP_PORT = 5683
NAT_FIRST_PORT = 49152
NAT_IDLE_S = 300.0
BAUD = 115200
HOP_LIMIT_TO_MOTES = 65  # the border router's hop leaves 64, which IPHC elides (HLIM = 10)
SHORT_PORTS = range(0xF0B0, 0xF0C0)  # RFC 6282 §4.3.3: both ports in 4 bits each

Client = tuple[str, int]


class BridgeError(RuntimeError):
    """The bridge cannot do what was asked (serial line, ports); the message says why."""


@dataclass
class _NatEntry:
    mote_id: int
    mote_port: int
    client: Client
    v6_port: int  # the host address's port on the IPv6 side
    last_used: float = field(default_factory=time.monotonic)


class _MotePort(asyncio.DatagramProtocol):
    """The loopback UDP socket standing for one (mote, mote port)."""

    def __init__(self, bridge: Bridge, mote_id: int, mote_port: int) -> None:
        self.bridge = bridge
        self.mote_id = mote_id
        self.mote_port = mote_port
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.bridge._from_client(self.mote_id, self.mote_port, data, (addr[0], addr[1]))


class Bridge:
    """Host end of the border router's serial line.

    `motes` are the node ids that get loopback ports (the border router's id excepted: its global
    address is the bridge's own); `port_map` maps mote UDP ports to the base of their loopback ports
    (default {5683: base_port}); a base of 0 lets the OS pick each port (tests). `services` maps a
    port of the host address that motes send to (e.g. 61619, the bootstrapping controller) to the
    loopback port of the service behind it (default: the same port).
    """

    def __init__(
        self,
        serial_url: str,
        prefix: IPv6Network,
        base_port: int = 5700,
        motes: Iterable[int] = range(1, 9),
        host_address: IPv6Address | None = None,
        bind: str = "127.0.0.1",
        ra_interval: float = 30.0,
        baudrate: int = BAUD,
        port_map: Mapping[int, int] | None = None,
        border_router: int = ipv6.BORDER_ROUTER_ID,
        services: Mapping[int, int] | None = None,
    ) -> None:
        if prefix.prefixlen != 64:
            raise BridgeError(f"prefix {prefix} is not a /64")
        if not 0 <= border_router < ipv6.NO_SHORT_ADDRESS:
            raise BridgeError(f"border router id {border_router} is not a short address (0..65533)")
        self.serial_url = serial_url
        self.prefix = prefix
        self.base_port = base_port
        self.port_map = dict(port_map) if port_map else {COAP_PORT: base_port}
        # host services the motes reach at a fixed port of the host address (the bootstrapping
        # controller, the RD): IPv6-side port -> the loopback port the service really listens on
        self.services = dict(services or {})
        self.border_router = border_router
        self.motes = sorted(set(motes) - {border_router})
        self.host_address = host_address or ipv6.default_host_address(prefix, border_router)
        self.link_local = IPv6Address("fe80::1")
        self.bind = bind
        self.ra_interval = ra_interval
        self.baudrate = baudrate
        self.stats = {"rx_frames": 0, "rx_bad": 0, "tx_frames": 0, "to_clients": 0, "from_clients": 0}
        self.mote_text: list[bytes] = []  # frames that were not IPv6 (debug prints on the line)
        self.line_lost = asyncio.Event()  # set when the serial line fails under a running bridge
        self.line_error: str | None = None  # ... and why
        self._serial: serial.SerialBase | None = None
        self._reader: threading.Thread | None = None
        self._stop = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._decoder = slip.Decoder()
        self._ports: dict[tuple[int, int], _MotePort] = {}
        self._opening: dict[tuple[int, int], asyncio.Task[_MotePort]] = {}
        self._nat_by_client: dict[tuple[int, int, Client], _NatEntry] = {}
        self._nat_by_v6: dict[tuple[int, int, int], _NatEntry] = {}
        self._next_port = itertools.count(NAT_FIRST_PORT)
        self._pings: dict[tuple[int, int], asyncio.Future[float]] = {}
        self._ping_seq = itertools.count(1)
        self._ra_task: asyncio.Task[None] | None = None
        self._addr_to_mote = {ipv6.mote_address(prefix, m): m for m in self.motes}

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Open the serial line and the loopback UDP ports, then announce the prefix to the motes."""
        self._loop = asyncio.get_running_loop()
        try:
            self._serial = serial.serial_for_url(self.serial_url, baudrate=self.baudrate, timeout=0.05)
        except (serial.SerialException, ValueError) as exc:
            raise BridgeError(f"cannot open serial line {self.serial_url!r}: {exc}") from exc
        for mote_id in self.motes:
            for mote_port, base in self.port_map.items():
                try:
                    await self._open_port(mote_id, mote_port, base + mote_id if base else 0)
                except OSError as exc:
                    await self.stop()
                    where = f"{self.bind}:{base + mote_id if base else 0} for mote {mote_id} port {mote_port}"
                    raise BridgeError(f"cannot bind UDP {where}: {exc}") from exc
        self._reader = threading.Thread(target=self._read_serial, name="bridge-serial", daemon=True)
        self._reader.start()
        self.send_router_advertisement()  # before anything else the caller sends: motes need the prefix
        self._ra_task = asyncio.create_task(self._advertise())
        log.info(
            "bridge on %s: prefix %s, host %s, motes %s",
            self.serial_url,
            self.prefix,
            self.host_address,
            self.motes,
        )

    async def _open_port(self, mote_id: int, mote_port: int, local_port: int) -> _MotePort:
        assert self._loop is not None
        _, proto = await self._loop.create_datagram_endpoint(
            lambda: _MotePort(self, mote_id, mote_port), local_addr=(self.bind, local_port)
        )
        self._ports[(mote_id, mote_port)] = proto
        return proto

    async def stop(self) -> None:
        """Close the ports, the serial line and the advertising task."""
        self._stop.set()
        if self._ra_task:
            self._ra_task.cancel()
            try:
                await self._ra_task
            except asyncio.CancelledError:
                pass
        for proto in self._ports.values():
            if proto.transport:
                proto.transport.close()
        self._ports.clear()
        if self._reader:
            await asyncio.get_running_loop().run_in_executor(None, self._reader.join, 2.0)
        if self._serial:
            self._serial.close()
            self._serial = None

    async def __aenter__(self) -> Bridge:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def port_of(self, mote_id: int, mote_port: int = COAP_PORT) -> int:
        """The loopback UDP port that stands for the mote's `mote_port` (base 0: the one the OS picked)."""
        base = self.port_map[mote_port]
        if base == 0:
            transport = self._ports[(mote_id, mote_port)].transport
            assert transport is not None, "port_of(): the bridge is not started"
            return int(transport.get_extra_info("sockname")[1])
        return base + mote_id

    def address_of(self, mote_id: int) -> IPv6Address:
        """The mote's global IPv6 address under the bridge's prefix."""
        return ipv6.mote_address(self.prefix, mote_id)

    # ------------------------------------------------------------------ serial line
    def _read_serial(self) -> None:
        assert self._serial is not None and self._loop is not None
        while not self._stop.is_set():
            try:
                data = self._serial.read(self._serial.in_waiting or 1)
            except (serial.SerialException, OSError) as exc:
                if not self._stop.is_set():
                    self._loop.call_soon_threadsafe(self._on_line_lost, str(exc))
                return
            if data:
                self._loop.call_soon_threadsafe(self._on_bytes, data)

    def _on_line_lost(self, reason: str) -> None:
        """The serial line died under us (the simulation ended, the USB mote was unplugged): say so
        once; `line_lost` lets the owner stop instead of serving ports that lead nowhere."""
        if self.line_error is None:
            self.line_error = f"serial line {self.serial_url} lost: {reason}"
            log.error("%s", self.line_error)
        self.line_lost.set()

    def _send(self, packet: bytes) -> None:
        if self._serial is None:
            raise BridgeError("bridge is not started")
        try:
            self._serial.write(slip.encode(packet))
        except (serial.SerialException, OSError) as exc:
            raise BridgeError(
                f"serial line {self.serial_url} failed: {exc} (a simulation's serial socket serves one "
                "client at a time: is another bridge connected?)"
            ) from exc
        self.stats["tx_frames"] += 1

    def send_router_advertisement(self) -> None:
        """Send a Router Advertisement carrying the prefix down the serial line."""
        self._send(ipv6.build_router_advertisement(self.link_local, self.prefix))

    async def _advertise(self) -> None:
        while True:
            await asyncio.sleep(self.ra_interval)
            self.send_router_advertisement()

    def _on_bytes(self, data: bytes) -> None:
        for frame in self._decoder.feed(data):
            self.stats["rx_frames"] += 1
            try:
                pkt = ipv6.parse(frame)
            except ipv6.PacketError:
                self.mote_text.append(frame)
                log.debug("non-IPv6 frame from the line: %r", frame[:80])
                continue
            try:
                self._on_packet(pkt)
            except ipv6.PacketError as exc:
                self.stats["rx_bad"] += 1
                log.debug("dropped datagram %s -> %s: %s", pkt.src, pkt.dst, exc)

    def _on_packet(self, pkt: ipv6.Packet) -> None:
        if pkt.next_header == ipv6.PROTO_ICMP6:
            self._on_icmp(pkt, ipv6.parse_icmp6(pkt))
        elif pkt.next_header == ipv6.PROTO_UDP and pkt.dst == self.host_address:
            self._from_mote(pkt, ipv6.parse_udp(pkt))

    def _on_icmp(self, pkt: ipv6.Packet, msg: ipv6.Icmp6) -> None:
        if msg.type == ipv6.ICMP6_ROUTER_SOLICITATION:
            self.send_router_advertisement()
        elif msg.type == ipv6.ICMP6_ECHO_REQUEST and pkt.dst in (self.host_address, self.link_local):
            self._send(ipv6.build_icmp6(pkt.dst, pkt.src, ipv6.ICMP6_ECHO_REPLY, 0, msg.body))
        elif msg.type == ipv6.ICMP6_ECHO_REPLY and len(msg.body) >= 4:
            key = (int.from_bytes(msg.body[0:2], "big"), int.from_bytes(msg.body[2:4], "big"))
            fut = self._pings.pop(key, None)
            if fut and not fut.done():
                fut.set_result(time.monotonic())

    # ------------------------------------------------------------------ UDP port mapping
    def _nat_add(self, mote_id: int, mote_port: int, client: Client, v6_port: int) -> _NatEntry:
        entry = _NatEntry(mote_id, mote_port, client, v6_port)
        self._nat_by_client[(mote_id, mote_port, client)] = entry
        self._nat_by_v6[(mote_id, mote_port, v6_port)] = entry
        return entry

    def _nat_for_client(self, mote_id: int, mote_port: int, client: Client) -> _NatEntry:
        entry = self._nat_by_client.get((mote_id, mote_port, client))
        if entry is None:
            self._expire_nat()
            entry = self._nat_add(mote_id, mote_port, client, self._host_port(mote_id, mote_port, client[1]))
        entry.last_used = time.monotonic()
        return entry

    def _host_port(self, mote_id: int, mote_port: int, client_port: int) -> int:
        """The host-side port for a new client: its own (port-preserving) unless taken; for a mote
        port in SHORT_PORTS one in that range first (61616 first), so the frames carry one port byte."""
        wanted = [client_port]
        if mote_port in SHORT_PORTS:
            wanted = [p for p in (client_port, *SHORT_PORTS) if p in SHORT_PORTS]
        for port in wanted:
            if (mote_id, mote_port, port) not in self._nat_by_v6:
                return port
        return self._allocate_port(mote_id, mote_port)

    def _allocate_port(self, mote_id: int, mote_port: int) -> int:
        for _ in range(65536 - NAT_FIRST_PORT):
            port = next(self._next_port)
            if port > 65535:
                self._next_port = itertools.count(NAT_FIRST_PORT + 1)
                port = NAT_FIRST_PORT
            if (mote_id, mote_port, port) not in self._nat_by_v6:
                return port
        raise BridgeError("no free UDP port left in the bridge's mapping table")

    def _expire_nat(self) -> None:
        now = time.monotonic()
        for key, entry in list(self._nat_by_client.items()):
            if now - entry.last_used > NAT_IDLE_S:
                del self._nat_by_client[key]
                self._nat_by_v6.pop((entry.mote_id, entry.mote_port, entry.v6_port), None)

    def _from_client(self, mote_id: int, mote_port: int, data: bytes, client: Client) -> None:
        entry = self._nat_for_client(mote_id, mote_port, client)
        self.stats["from_clients"] += 1
        self._send(
            ipv6.build_udp(
                self.host_address,
                self.address_of(mote_id),
                entry.v6_port,
                mote_port,
                data,
                HOP_LIMIT_TO_MOTES,
            )
        )

    def _from_mote(self, pkt: ipv6.Packet, udp: ipv6.Udp) -> None:
        mote_id = self._addr_to_mote.get(pkt.src)
        if mote_id is None:
            log.debug("datagram from %s, which is not a mapped mote", pkt.src)
            return
        entry = self._nat_by_v6.get((mote_id, udp.sport, udp.dport))
        if entry is None:  # the mote starts the exchange: towards the host service on port dport
            service = (self.bind, self.services.get(udp.dport, udp.dport))
            entry = self._nat_add(mote_id, udp.sport, service, udp.dport)
        entry.last_used = time.monotonic()
        key = (mote_id, udp.sport)
        proto = self._ports.get(key)
        if proto is not None:
            self._deliver(proto, udp.data, entry.client)
            return
        # An unmapped mote port: an ephemeral socket carries its exchanges (opened once).
        assert self._loop is not None
        opening = self._opening.get(key)
        if opening is None:
            opening = self._opening[key] = self._loop.create_task(self._open_port(mote_id, udp.sport, 0))
        opening.add_done_callback(lambda t: self._deliver(t.result(), udp.data, entry.client))

    def _deliver(self, proto: _MotePort, data: bytes, client: Client) -> None:
        if proto.transport is None:
            return
        proto.transport.sendto(data, client)
        self.stats["to_clients"] += 1

    # ------------------------------------------------------------------ ping
    async def ping(self, target: int | IPv6Address, data: bytes = b"esse", timeout: float = 5.0) -> float:
        """ICMPv6 echo to a mote (node id) or an address; returns the round-trip time in seconds. The
        border router (its global address is ours) is pinged at its link-local address."""
        if isinstance(target, IPv6Address):
            dst = target
        elif target == self.border_router:
            dst = ipv6.mote_link_local(target)
        else:
            dst = self.address_of(target)
        ident, seq = 0xE55E, next(self._ping_seq) & 0xFFFF
        fut: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._pings[(ident, seq)] = fut
        sent = time.monotonic()
        self._send(ipv6.build_echo(self.host_address, dst, ident, seq, data, hop_limit=HOP_LIMIT_TO_MOTES))
        try:
            return await asyncio.wait_for(fut, timeout) - sent
        except TimeoutError as exc:
            raise BridgeError(f"no echo reply from {dst} within {timeout} s") from exc
        finally:
            self._pings.pop((ident, seq), None)
