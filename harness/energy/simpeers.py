"""Host peers on simulated time, in the simulation's process: border router + CCS motes on the radio
medium, and on the host side of the border router's serial line the SSM delegator and an outside
DTLS client, all on the engine's SimClock. No OS socket, no thread, no wall-clock timer.

    net = SimNetwork(seed=1)                    # builds and boots border_router (1) + ccs (2)
    net.wait_for(lambda: net.line.ccs_ready)     # steps the engine until the CCS answers a ping
    ssm = net.start_delegator(clients={b"alice": key})
    client = net.dtls_client(b"alice", key)
    client.connect(); net.wait_for(lambda: client.connected)

The serial line speaks SLIP/IPv6 as `esse bridge` does (harness.bridge.slip / .ipv6); UDP to the
host address goes to in-process handlers by port. The client reaches the SSM over a simulated
Internet hop of CLIENT_DELAY_S each way (no radio). Same seed, same log byte for byte, however
fast the host is: everything that happens is a callback at a simulated instant.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv6Address
from pathlib import Path
from typing import Any

from harness.bridge import ipv6, slip
from harness.bridge.bridge import HOP_LIMIT_TO_MOTES
from harness.build import build_app
from harness.sim.engine import Engine, MoteLine
from harness.sim.medium import RadioEvent, UDGMParams
from harness.sim.runner import provision_mote
from harness.ssm.config import from_dict
from harness.ssm.delegator import Delegator
from harness.ssm.transport import Address, CcsTransport, FrameHandler
from harness.target.drivers import open_target
from harness.target.resources import SimulatedSky
from harness.tinydtls.binding import Cipher, DtlsContext, DtlsEvent, EcdsaKey, PskStore, normalize_address
from harness.wire.ieee802154 import FRAME_TYPE_DATA, SHORT_DATA_HEADER_BYTES, frame_source
from harness.wire.infomem import Identity

PREFIX = ipv6.parse_prefix("fd00:e55e::/64")
BORDER_ROUTER = 1
CCS = 2
SSM_PORT = 61617  # the CCS's port for SSM messages (firmware/apps/ccs/ccs_secure.h)
SSM_HOST_PORT = 61616  # the SSM's port on the host address: both in 0xF0B0..F: one NHC byte (bridge)
MOTE_DTLS_PORT = 61620  # the full-handshake CCS's DTLS server (harness/tinydtls/ccs_full_build.py)
RD_PORT = 5683  # the SSM's resource directory on the host address (firmware/apps/ccs/ccs_rd.h)
CONTROLLER_PORT = 61619  # the bootstrapping controller on the host address (firmware/apps/ccs/ccs_boot.h)
IK_D = bytes.fromhex("0f1e2d3c4b5a69788796a5b4c3d2e1f0")  # the CCS's initial key for bootstrapping runs
ID_C = 7  # the SSM's controller id and the key it shares with its AS (fixed: deterministic runs)
SK_CS = bytes.fromhex("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf")
AS_ADDRESS = ("2001:db8::a5", 61618)  # the AS on the SSM's backbone (in process: no delay)
CLIENT_LINE_PORT = 61619  # client n on the host address talking to it: 61619 + n - 1 (one NHC byte)
CLIENT_DELAY_S = 0.005  # one way between the outside client and the SSM (a nearby Internet hop)
SSM_ADDRESS: Address = ("2001:db8::55", 5684)  # where the client reaches the SSM
PING_EVERY_S = 1.0
PSK_DN = bytes.fromhex("00112233445566778899aabbccddeeff")
CCS_ADC: dict[str | int, int] = {"temperature": 2920, "light": 420}


class SimNetError(RuntimeError):
    """The simulated network did not do what a step waited for; the message says what and when."""


class _Until:
    """A stop condition for Engine.run: satisfied once predicate() is true."""

    def __init__(self, predicate: Callable[[], bool], what: str) -> None:
        self.predicate = predicate
        self.what = what

    def on_line(self, line: MoteLine) -> None:
        """Lines do not matter here."""

    def on_radio(self, ev: RadioEvent) -> None:
        """Radio events do not matter here."""

    @property
    def satisfied(self) -> bool:
        """Whether the predicate holds."""
        return self.predicate()

    @property
    def satisfied_at_us(self) -> int | None:
        """None: a state, not an event, so the run ends at the window end where it holds."""
        return None

    def describe(self) -> str:
        """The awaited state in words."""
        return self.what


def data_frame_info(psdu: bytes) -> tuple[int, int, int, bool] | None:
    """(source, destination, sequence number, is an RFC 4944 fragment) of an intra-PAN data frame
    with short addresses, None for any other frame (acknowledgements)."""
    src = frame_source(psdu)
    if src is None or psdu[0] & 0x7 != FRAME_TYPE_DATA:
        return None
    dst = int.from_bytes(psdu[5:7], "little")
    dispatch = psdu[SHORT_DATA_HEADER_BYTES] if len(psdu) > SHORT_DATA_HEADER_BYTES + 2 else 0
    return src, dst, psdu[2], dispatch & 0xF8 in (0xC0, 0xE0)


class SerialLine:
    """The host end of the border router's SLIP line inside the engine: IPv6/UDP to in-process
    handlers by host port, Router Advertisements on request, echo to tell when a mote is up."""

    def __init__(self, net: SimNetwork) -> None:
        self.net = net
        self.host_address = ipv6.default_host_address(PREFIX, BORDER_ROUTER)
        self.link_local = IPv6Address("fe80::1")
        self._decoder = slip.Decoder()
        self.handlers: dict[int, Callable[[IPv6Address, int, bytes], None]] = {}
        self.answered: set[int] = set()  # motes that answered an echo request
        net.engine.add_uart_tx_listener(BORDER_ROUTER, self._on_bytes)

    @property
    def ccs_ready(self) -> bool:
        """The CCS answered a ping at its global address (it has the prefix)."""
        return CCS in self.answered

    def send_packet(self, packet: bytes, what: str) -> None:
        """One IPv6 packet down the serial line."""
        self.net.note(f"slip> {what} {len(packet)} {packet.hex()}")
        self.net.engine.queue_uart_rx(BORDER_ROUTER, slip.encode(packet))

    def send_udp(self, sport: int, mote: int, dport: int, data: bytes) -> None:
        """A UDP datagram from the host address to a mote."""
        dst = ipv6.mote_address(PREFIX, mote)
        self.send_packet(ipv6.build_udp(self.host_address, dst, sport, dport, data, HOP_LIMIT_TO_MOTES),
                         f"udp {sport}->{mote}:{dport}")

    def send_router_advertisement(self) -> None:
        """The prefix (and its 6LoWPAN context) to every mote."""
        self.send_packet(ipv6.build_router_advertisement(self.link_local, PREFIX), "ra")

    def ping(self, mote: int) -> None:
        """One echo request to a mote's global address."""
        dst = ipv6.mote_address(PREFIX, mote)
        self.send_packet(ipv6.build_echo(self.host_address, dst, 0xE55E, mote, b"esse",
                                         hop_limit=HOP_LIMIT_TO_MOTES), f"ping {mote}")

    def _on_bytes(self, data: bytes) -> None:
        self.net.sync_clock()
        for frame in self._decoder.feed(data):
            try:
                pkt = ipv6.parse(frame)
            except ipv6.PacketError:
                self.net.note(f"slip< text {frame!r}")
                continue
            self.net.note(f"slip< {len(frame)} {frame.hex()}")
            try:
                self._on_packet(pkt)
            except ipv6.PacketError as exc:
                self.net.note(f"slip< dropped: {exc}")

    def _on_packet(self, pkt: ipv6.Packet) -> None:
        if pkt.next_header == ipv6.PROTO_ICMP6:
            msg = ipv6.parse_icmp6(pkt)
            if msg.type == ipv6.ICMP6_ROUTER_SOLICITATION:
                self.send_router_advertisement()
            elif msg.type == ipv6.ICMP6_ECHO_REPLY and len(msg.body) >= 4:
                self.answered.add(int.from_bytes(msg.body[2:4], "big"))
        elif pkt.next_header == ipv6.PROTO_UDP and pkt.dst == self.host_address:
            udp = ipv6.parse_udp(pkt)
            handler = self.handlers.get(udp.dport)
            if handler is not None:
                handler(pkt.src, udp.sport, udp.data)


class LineCcsTransport(CcsTransport):
    """The delegator's CCS side on the serial line: frames to [mote]:61617 from [host]:61616."""

    def __init__(self, line: SerialLine) -> None:
        self.line = line
        self.sent: list[tuple[float, bytes]] = []
        self.received: list[tuple[float, bytes]] = []
        self._mote_of = {str(ipv6.mote_address(PREFIX, m)): m for m in (CCS,)}

    async def start(self, on_frame: FrameHandler) -> None:
        """Take the SSM's host port on the line."""

        def handle(src: IPv6Address, sport: int, data: bytes) -> None:
            self.received.append((self.line.net.clock.now(), data))
            on_frame((str(src), sport), data)

        self.line.handlers[SSM_HOST_PORT] = handle

    def send(self, address: Address, frame: bytes) -> None:
        """One SSM message to a CCS."""
        self.sent.append((self.line.net.clock.now(), frame))
        self.line.send_udp(SSM_HOST_PORT, self._mote_of[str(address[0])], int(address[1]), frame)

    def close(self) -> None:
        """Release the port."""
        self.line.handlers.pop(SSM_HOST_PORT, None)

    @property
    def local_address(self) -> Address:
        """The host address and the SSM's port."""
        return (str(self.line.host_address), SSM_HOST_PORT)


class InternetHop(CcsTransport):
    """Datagrams between the SSM's client side and outside clients, CLIENT_DELAY_S each way on the
    clock. Serves as the delegator's client transport; clients attach by address."""

    def __init__(self, net: SimNetwork) -> None:
        self.net = net
        self._ssm: FrameHandler | None = None
        self._clients: dict[tuple[str, int], Callable[[Address, bytes], None]] = {}
        # observer(direction "c>s" / "s>c", datagram) at each delivery, before the receiver sees it
        self.observers: list[Callable[[str, bytes], None]] = []

    def attach(self, address: Address, deliver: Callable[[Address, bytes], None]) -> None:
        """A client at `address`; deliver(src, datagram) gets what the SSM sends it."""
        self._clients[(str(address[0]), int(address[1]))] = deliver

    def to_ssm(self, src: Address, datagram: bytes) -> None:
        """A client's datagram on its way to the SSM."""
        self.net.note(f"inet c>s {src[0]}:{src[1]} {len(datagram)} {datagram.hex()}")
        self.net.clock.call_at(self.net.clock.now() + CLIENT_DELAY_S, lambda: self._at_ssm(src, datagram))

    def _at_ssm(self, src: Address, datagram: bytes) -> None:
        for fn in self.observers:
            fn("c>s", datagram)
        if self._ssm is not None:
            self._ssm(src, datagram)

    def _at_client(self, deliver: Callable[[Address, bytes], None], datagram: bytes) -> None:
        for fn in self.observers:
            fn("s>c", datagram)
        deliver(SSM_ADDRESS, datagram)

    # -- CcsTransport (the delegator's side)

    async def start(self, on_frame: FrameHandler) -> None:
        """The delegator's handler for client datagrams."""
        self._ssm = on_frame

    def send(self, address: Address, frame: bytes) -> None:
        """The SSM's datagram to a client."""
        key = (str(address[0]), int(address[1]))
        self.net.note(f"inet s>c {key[0]}:{key[1]} {len(frame)} {frame.hex()}")
        deliver = self._clients.get(key)
        if deliver is not None:
            at = self.net.clock.now() + CLIENT_DELAY_S
            self.net.clock.call_at(at, lambda: self._at_client(deliver, frame))

    def close(self) -> None:
        """Forget the delegator."""
        self._ssm = None

    @property
    def local_address(self) -> Address:
        """The SSM's address as clients see it."""
        return SSM_ADDRESS


class SimDtlsClient:
    """An outside DTLS client (host TinyDTLS) on the simulation's clock, behind the Internet hop
    (to the SSM), or with `to_mote` on the host address straight to the mote's DTLS server over the
    serial line (the full-handshake baseline). Its retransmission timer is armed at the instant
    TinyDTLS's timer names."""

    def __init__(self, net: SimNetwork, address: Address, identity: bytes, key: bytes, seed: int,
                 on_data: Callable[[bytes], None] | None = None, to_mote: bool = False,
                 ecdsa: tuple[EcdsaKey, bytes, bytes] | None = None) -> None:
        self.net = net
        self.to_mote = to_mote
        self.address = normalize_address(address)
        mote = (str(ipv6.mote_address(PREFIX, CCS)), MOTE_DTLS_PORT)
        self.server = normalize_address(mote if to_mote else SSM_ADDRESS)
        self.connected = False
        self.closed = False
        self.on_data = on_data
        self.sent: list[tuple[float, bytes]] = []  # datagrams sent (simulated time)
        self.received: list[tuple[float, bytes]] = []  # datagrams received
        self.observers: list[Callable[[str, bytes], None]] = []  # fn("c>s" / "s>c", datagram)
        self._timer: Any = None
        if ecdsa is None:  # TLS_PSK_WITH_AES_128_CCM_8 with (identity, key)
            self.context = DtlsContext(
                self._send, on_data=self._data, on_event=self._event, clock=net.clock, seed=seed,
                psk=PskStore({identity: key}, identity=identity), cipher_suites=[Cipher.PSK_AES_128_CCM_8],
            )
        else:  # TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8: our key, and the one server key (x, y) we accept
            own, server_x, server_y = ecdsa
            self.context = DtlsContext(
                self._send, on_data=self._data, on_event=self._event, clock=net.clock, seed=seed,
                ecdsa_key=own, verify_peer_key=lambda addr, x, y: (x, y) == (server_x, server_y),
                cipher_suites=[Cipher.ECDHE_ECDSA_AES_128_CCM_8],
            )
        if to_mote:
            net.line.handlers[self.address[1]] = lambda src, sport, data: self._receive(self.server, data)
        else:
            net.hop.attach(self.address, self._receive)

    def connect(self) -> None:
        """Start the handshake with the SSM."""
        self.context.connect(self.server)
        self._arm()

    def write(self, data: bytes) -> None:
        """Application data to the SSM's session (relayed to the CCS)."""
        if self.context.write(self.server, data) != len(data):
            raise SimNetError("the client has no established session to write on")

    def _send(self, addr: Address, datagram: bytes) -> None:
        self.sent.append((self.net.clock.now(), datagram))
        for fn in self.observers:
            fn("c>s", datagram)
        if self.to_mote:
            self.net.line.send_udp(int(self.address[1]), CCS, MOTE_DTLS_PORT, datagram)
        else:
            self.net.hop.to_ssm(self.address, datagram)

    def _receive(self, src: Address, datagram: bytes) -> None:
        if self.closed:  # a late datagram for a client that has gone away
            self.net.note("client gone: datagram dropped")
            return
        if self.net.host_delay_s:
            time.sleep(self.net.host_delay_s)  # a slow host (tests): must change nothing simulated
        self.received.append((self.net.clock.now(), datagram))
        for fn in self.observers:
            fn("s>c", datagram)
        self.context.handle_message(src, datagram)
        self._arm()

    def _data(self, addr: Address, data: bytes) -> None:
        if self.on_data is not None:
            self.on_data(data)

    def _event(self, addr: Address, event: Any, level: Any) -> None:
        self.net.note(f"client event {getattr(event, 'name', event)}")
        if event == DtlsEvent.CONNECTED:
            self.connected = True

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.closed:
            return
        when = self.context.retransmit_at()
        if when is not None:
            self._timer = self.net.clock.call_at(when, self._arm)

    def close(self) -> None:
        """Free the TinyDTLS context (no close_notify); what still arrives is dropped."""
        if self._timer is not None:
            self._timer.cancel()
        self.closed = True
        self.context.free()


def _elf(app: str) -> Path:
    """Build an app (incremental) and return its ELF; ccs-full-* are the baseline's TinyDTLS images."""
    if app.startswith("ccs-full-"):
        from harness.tinydtls.ccs_full_build import build_variant

        return Path(build_variant(app).elf)
    return Path(build_app(app).elf)


@dataclass(frozen=True)
class Apps:
    """The firmware of the network: border router and CCS app names."""

    border_router: str = "border_router"
    ccs: str = "ccs"


class SimNetwork:
    """Border router + one CCS on the radio medium and the host peers, stepped by one engine."""

    def __init__(self, *, seed: int = 1, loss: float = 0.0, apps: Apps = Apps(), spacing_m: float = 15.0,
                 psk_dn: bytes = PSK_DN, host_delay_s: float = 0.0, ik_d: bytes | None = None) -> None:
        if not 0.0 <= loss < 1.0:
            raise ValueError(f"loss must be within [0, 1), got {loss}")
        self.seed = seed
        self.psk_dn = psk_dn
        self.host_delay_s = host_delay_s  # wall-clock sleep in the client's receive callback
        br = open_target(SimulatedSky(_elf(apps.border_router), BORDER_ROUTER))
        ccs = open_target(SimulatedSky(_elf(apps.ccs), CCS, adc=dict(CCS_ADC)))
        # ik_d: a fresh mote that holds only its initial key and bootstraps PSK_DN (serve_bootstrap)
        identity = Identity(node_id=CCS, ik=ik_d) if ik_d is not None else Identity(CCS, psk_dn=psk_dn)
        provision_mote(ccs, identity)  # type: ignore[arg-type]
        self.ik_d = ik_d
        self.ccs_mote: Any = ccs
        params = UDGMParams(success_ratio_tx=1.0, success_ratio_rx=1.0 - loss)
        positions = {BORDER_ROUTER: (0.0, 0.0, 0.0), CCS: (spacing_m, 0.0, 0.0)}
        self.engine = Engine([br, ccs], positions, params, seed=seed)  # type: ignore[list-item]
        self.clock = self.engine.clock
        self.log: list[str] = []
        self.engine.add_line_listener(
            lambda ln: self.log.append(f"{ln.time_us:>12} mote{ln.mote_id} {ln.text}"))
        self.engine.add_radio_listener(self._radio)
        self.radio_listeners: list[Callable[[RadioEvent], None]] = []
        self.line = SerialLine(self)
        self.hop = InternetHop(self)
        self.rng = random.Random(f"simpeers/{seed}")
        self._tmp = tempfile.TemporaryDirectory(prefix="esse-simpeers-")
        self.delegator: Delegator | None = None
        self.registrations: list[str] = []  # RD registrations the host answered (serve_rd), query strings
        # fn(direction "mote>host" / "host>mote", message name, UDP payload) for bootstrapping and RD
        # messages, as the host receives or sends them
        self.service_observers: list[Callable[[str, str, bytes], None]] = []
        self.controller: Any = None  # harness.bootstrap.controller.Controller once serve_bootstrap ran

    # -- time and log

    def note(self, text: str) -> None:
        """One log line at the current simulated instant."""
        self.log.append(f"{self.engine.now_us:>12} {text}")

    def sync_clock(self) -> None:
        """Bring the host clock to the engine's time (host code reacting to mote output)."""
        now = self.engine.now_us / 1e6
        if now > self.clock.now():
            self.clock.advance_to(now)

    def _radio(self, ev: RadioEvent) -> None:
        if ev.kind == "tx":
            self.log.append(f"{ev.time_us:>12} radio tx {ev.sender} {ev.frame.hex()}")
        elif ev.kind != "rx":
            self.log.append(f"{ev.time_us:>12} radio {ev.kind} {ev.sender}->{ev.receiver}")
        for fn in self.radio_listeners:
            fn(ev)

    def wait_for(self, predicate: Callable[[], bool], what: str, timeout_s: float = 120.0) -> None:
        """Step the simulation until predicate() holds; SimNetError after timeout_s simulated seconds."""
        if predicate():
            return
        deadline = self.engine.now_us + int(timeout_s * 1e6)
        result = self.engine.run(until_us=deadline, conditions=[_Until(predicate, what)])
        if result.reason != "condition":
            raise SimNetError(f"{what}: not reached within {timeout_s} s of simulated time "
                              f"(stopped at {result.end_us / 1e6:.3f} s: {result.reason})")

    def run_for(self, seconds: float) -> None:
        """Step the simulation for a stretch of simulated time."""
        self.engine.run(until_us=self.engine.now_us + int(seconds * 1e6))

    # -- bring-up

    def serve_rd(self) -> None:
        """Answer the CCS's RD registration (RFC 9176 simple registration: CON POST /.well-known/rd) with
        2.01 Created, as the SSM's RD does, so the mote stops retrying before the measured set-up.

        Not harness.services.rd: its simple registration (aiocoap's) answers through an aiocoap
        Context bound to OS sockets and then fetches the endpoint's /.well-known/core through that
        context; no aiocoap transport runs over this in-process serial line on simulated time. The
        mote's side (its POST, the 2.01, their frames) is what the report measures; the RD's own
        GET /.well-known/core (one more exchange for the mote) is not in it."""
        import aiocoap
        from aiocoap.numbers.codes import Code

        def answer(src: IPv6Address, sport: int, data: bytes) -> None:
            try:
                req = aiocoap.Message.decode(data)
            except (ValueError, aiocoap.error.UnparsableMessage):
                self.note(f"rd: unparsable {data.hex()}")
                return
            if req.code != Code.POST or req.opt.uri_path != (".well-known", "rd"):
                return
            self.registrations.append("&".join(req.opt.uri_query))
            self._service("mote>host", "RD POST", data)
            res = aiocoap.Message(mtype=aiocoap.ACK, mid=req.mid, token=req.token, code=Code.CREATED)
            res.opt.location_path = ("rd", str(len(self.registrations)))
            mote = int(src.packed[-2:].hex(), 16)
            self._service("host>mote", "RD 2.01", res.encode())
            self.line.send_udp(RD_PORT, mote, sport, res.encode())

        self.line.handlers[RD_PORT] = answer

    def _service(self, direction: str, name: str, data: bytes) -> None:
        self.note(f"service {direction} {name} {data.hex()}")
        for fn in self.service_observers:
            fn(direction, name, data)

    def serve_bootstrap(self) -> None:
        """The SSM's bootstrapping controller on the line's CONTROLLER_PORT and its AS (an SQLite
        repository with the CCS enrolled under ik_d), the real harness.bootstrap code on the simulated
        clock. The PSK_DN the controller hands over becomes the delegator's key for the CCS."""
        from harness.bootstrap.controller import Controller, TidStore
        from harness.bootstrap.messages import (
            AS_RESPONSE,
            BOOT_ACK,
            BOOT_CONFIRM,
            BOOT_REQUEST,
            BOOT_RESPONSE,
        )
        from harness.bootstrap.repository import Repository
        from harness.bootstrap.server import AuthServer

        if self.ik_d is None:
            raise SimNetError("serve_bootstrap: the CCS was provisioned with a PSK_DN, not an IK_d")
        repo = Repository(Path(self._tmp.name) / "as.sqlite")
        repo.add_controller(ID_C, SK_CS)
        repo.add_device(CCS, self.ik_d)
        self._repo = repo
        auth = AuthServer(repo, now=self.clock.now)

        def installed(device: int, psk: bytes) -> None:
            self.psk_dn = psk

        controller = self.controller = Controller(
            ID_C, SK_CS, AS_ADDRESS, on_psk=installed, now=self.clock.now, rng=self.rng.randbytes,
            tids=TidStore(Path(self._tmp.name) / "tids.sqlite"))
        names = {BOOT_REQUEST: "BOOT_REQUEST", BOOT_CONFIRM: "BOOT_CONFIRM"}

        def handle(src: IPv6Address, sport: int, data: bytes) -> None:
            self._service("mote>host", names.get(data[0], f"type 0x{data[0]:02x}") if data else "empty", data)
            out = controller.handle(data, (str(src), sport))
            while out:
                datagram, dst = out.pop(0)
                if dst == AS_ADDRESS:  # the backbone: the AS answers at once
                    self._service("ssm>as", "AS_REQUEST", datagram)
                    reply = auth.handle(datagram)
                    if reply is not None:
                        what = "AS_RESPONSE" if reply[0] == AS_RESPONSE else "AS_ERROR"
                        self._service("as>ssm", what, reply)
                        out += controller.handle(reply, AS_ADDRESS)
                    continue
                name = {BOOT_RESPONSE: "BOOT_RESPONSE", BOOT_ACK: "BOOT_ACK"}.get(datagram[0], "BOOT_ERROR")
                self._service("host>mote", name, datagram)
                mote = int(IPv6Address(dst[0]).packed[-2:].hex(), 16)
                self.line.send_udp(CONTROLLER_PORT, mote, int(dst[1]), datagram)

        self.line.handlers[CONTROLLER_PORT] = handle

    def boot(self, timeout_s: float = 60.0) -> None:
        """Until the CCS answers an echo request at its global address (pinging every second)."""

        def ping() -> None:
            if not self.line.ccs_ready:
                self.line.ping(CCS)
                self.clock.call_at(self.clock.now() + PING_EVERY_S, ping)

        self.line.send_router_advertisement()
        self.clock.call_at(self.clock.now() + PING_EVERY_S, ping)
        self.wait_for(lambda: self.line.ccs_ready, "the CCS answers a ping", timeout_s)

    def start_delegator(self, clients: dict[bytes, bytes]) -> Delegator:
        """The SSM on the host side, its CCS side on the serial line, its client side the Internet hop."""
        ccs_addr = ipv6.mote_address(PREFIX, CCS)
        config = from_dict({
            "ssm": {"db": str(Path(self._tmp.name) / "relay.sqlite"), "ack_timeout": 1.0, "ack_retries": 4},
            "ccs": {"mote2": {"address": f"[{ccs_addr}]:{SSM_PORT}", "psk_dn": self.psk_dn.hex()}},
            "clients": {i.decode(): {"key_hex": k.hex(), "ccs": "mote2"} for i, k in clients.items()},
        })
        self.ccs_transport = LineCcsTransport(self.line)
        delegator = Delegator(config, self.ccs_transport, self.clock, client_transport=self.hop,
                              seed=self.seed)
        asyncio.run(delegator.start())  # no awaits on sockets: the transports are in-process
        self.delegator = delegator
        return delegator

    def dtls_client(self, identity: bytes, key: bytes, index: int = 1,
                    on_data: Callable[[bytes], None] | None = None, to_mote: bool = False,
                    ecdsa: tuple[EcdsaKey, bytes, bytes] | None = None) -> SimDtlsClient:
        """An outside client at 2001:db8::c:<index> (to_mote: on the host address, to the mote); with
        `ecdsa` (own key, server's x, y) ECDHE-ECDSA with raw public keys instead of PSK."""
        if to_mote and not 0 < CLIENT_LINE_PORT + index - 1 <= 0xF0BF:
            raise ValueError(f"client {index}: at most {0xF0BF - CLIENT_LINE_PORT + 1} clients on the line")
        address = (str(self.line.host_address), CLIENT_LINE_PORT + index - 1) if to_mote else (
            f"2001:db8::c:{index}", 40000 + index)
        return SimDtlsClient(self, address, identity, key, seed=self.seed * 1000 + 500 + index,
                             on_data=on_data, to_mote=to_mote, ecdsa=ecdsa)

    def close(self) -> None:
        """Stop the SSM and drop the temporary relay table."""
        if self.delegator is not None:
            asyncio.run(self.delegator.stop())
            self.delegator = None
        repo = getattr(self, "_repo", None)
        if repo is not None:
            repo.close()
        self._tmp.cleanup()
