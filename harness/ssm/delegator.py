"""The DTLS handshake delegator (paper 3.2.3, 5): handshakes with outside peers, hands the negotiated
record state to the CCS encrypted with PSK_DN, then only relays records it cannot read.

    async with Delegator(config) as d:        # also what `esse ssm run --config FILE` runs
        ...d.client_addresses...              # where outside clients connect (coaps://...)

After a hand-off the delegator holds no key material: TinyDTLS's peer is wiped and dropped (it never
sends on that session again), the exported state lives only in bytearrays zeroed right after the
key-material message is sealed, and the relay table stores routing facts only.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import fcntl
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.clock import Clock, Handle, WallClock
from harness.ssm import handshake, protocol
from harness.ssm.config import CcsEntry, SsmConfig
from harness.ssm.droplog import BurstFilter, DropCounter, malformed_reason
from harness.ssm.halfopen import FairHalfOpen
from harness.ssm.ratelimit import SourceRateLimit
from harness.ssm.relay_table import RelayEntry, RelayTable, address_from_text, address_key, address_text
from harness.ssm.transport import CcsTransport, UdpCcsTransport
from harness.ssm.workers import Result, WorkerPool, finished_undecryptable
from harness.udp import Address, open_udp
from harness.wire.dtls import CT_APPLICATION_DATA, RecordHeader, is_client_hello, split_records
from harness.wire.ssm import KeyState

log = logging.getLogger("harness.ssm.delegator")

PSK_SUITES = {0xC0A4, 0xC0A8}
TICK = 0.1  # housekeeping period (s)
# A fatal bad_record_mac alert (RFC 5246 §7.2.2) in plaintext epoch 0, the epoch a client that has sent
# its ChangeCipherSpec still reads until ours arrives; its sequence number lies above any we used in epoch 0.
ALERT_BAD_RECORD_MAC = bytes.fromhex("15fefd" "0000" "000100000000" "0002" "02" "14")
FINAL_FLIGHT_KEEP = 60.0  # how long the last flight of a handed-off handshake is kept for resending
FINAL_FLIGHT_RESEND_GAP = 0.2  # at most one resend of it per this many seconds
CLOSING_KEEP = 10.0  # how long a closed session's route stays open for the CCS's close_notify to its client
LOG_INTERVAL = 10.0  # at most one summary line of dropped datagrams / suppressed log lines per this (s)
STANDBY_POLL = 0.02  # how often a standby SSM tries the active one's lock (s): the takeover delay
TINYDTLS_LOG_BURST = 20  # TinyDTLS warnings passed to the log per interval, the rest only counted
# With several delegator processes a CCS's messages may be handled out of order (one process receives
# them all and forwards those of the others' sessions): each CCS counter is then accepted once within
# this window below the highest (as the CCS does with ours, ESSE_RX_WINDOW); one process: strictly above.
# 63: the widest the mask of a signed 64-bit integer holds (as it was in SQLite); a KEY_ACK forwarded
# to its owner can wait a group's time behind the others (32 lost 3-15 of 2 000 hand-offs at 128 clients)
CCS_RX_WINDOW = 63
FORWARD_BATCH = 64  # forwarded datagrams read per wake-up
# group commit: a group of hand-offs and KEY_ACKs closes at the first event-loop turn that received no
# datagram (asyncio reads one datagram per socket per turn, so under load a group spans several turns;
# an idle SSM commits at once), or when it is this old (s) or this large; a message's datagrams wait at
# most that long for its commit
GROUP_MAX_WAIT = 0.002
GROUP_MAX = 64
# forwarded datagrams waiting for room in another process's queue (a Unix datagram socket queues only
# net.unix.max_dgram_qlen = 10 of them by default); beyond this many they are dropped and counted
FORWARD_BACKLOG = 4096
# where the session id sits in a CCS frame, by type (docs/protocol.md, "Messages"): routing only, the
# owner authenticates
_SID_AT = {protocol.MSG_RELAY: 1, protocol.MSG_HANDBACK: 1, protocol.MSG_KEY_ACK: 9, protocol.MSG_ERROR: 6}


@dataclass(slots=True)
class PendingAck:
    """A sealed key-material message awaiting the CCS's KEY_ACK."""
    message: bytearray  # the sealed key-material message, wiped once acknowledged or given up
    counter: int
    ccs: CcsEntry
    session_id: bytes
    deadline: float
    tries: int = 1
    held: list[bytes] = field(default_factory=list)  # client records that arrived before the KEY_ACK


@dataclass(slots=True)
class GroupHandoff:
    """A hand-off waiting for this turn's group commit: sealed (and its counter taken) in it."""
    ccs: CcsEntry
    address: Address
    session_id: bytes
    body: bytearray  # the encoded key state, wiped by sealing (or on failure)
    now: float
    hs: Handshake | None
    old: RelayEntry | None
    foreign: list[RelayEntry]
    cipher_suite: int
    counter: int = 0
    message: bytearray | None = None
    # a copy of body until the key material has left: with several processes a message whose counter
    # fell too far behind the others' by its send is sealed again under a fresh one (never sent twice)
    plain: bytearray | None = None


@dataclass(slots=True)
class GroupAck:
    """An authenticated KEY_ACK waiting for this turn's group commit (its counter, the forgotten key
    material)."""
    ccs: CcsEntry
    counter: int
    acked: int
    session_id: bytes


@dataclass(slots=True)
class Handshake:
    """A half-open handshake with an outside peer and its last flight."""
    address: Address
    started: float
    last_flight: list[bytes] = field(default_factory=list)
    ccs_name: str | None = (
        None  # from the PSK identity or the verified raw public key; outbound: the requester
    )
    outbound: bool = False
    identity: bytes | None = None  # PSK identity, or b"rpk:" + the raw public key's x


@dataclass(slots=True)
class FinalFlight:
    """The last flight of a handed-off handshake, kept for resending."""
    datagrams: list[bytes]
    expires: float
    last_sent: float = 0.0


@dataclass(slots=True)
class Closing:
    """A session the SSM closed whose CCS still owes its client a close_notify (relayed once)."""
    client: Address
    outbound: bool
    ccs: CcsEntry
    until: float
    stat: str  # the counter its relay increments (revocation or quota)


def _routing_psk_store_class() -> type:
    from harness.tinydtls.binding import PskStore

    class RoutingPskStore(PskStore):
        """Looks up client PSKs and notes which CCS the identity routes to on the handshake that
        TinyDTLS is processing (TinyDTLS frees the identity with the handshake state at CONNECTED)."""

        def __init__(self, keys: dict[bytes, bytes], delegator: Delegator) -> None:
            super().__init__(keys)
            self.delegator = delegator

        def key_for(self, identity: bytes) -> bytes | None:
            client = self.delegator.config.clients.get(bytes(identity))
            if client is None:  # unknown or revoked at run time (Delegator.revoke_client)
                return None
            key = super().key_for(identity)
            hs = self.delegator._sending_for
            if key is not None and hs is not None and client is not None:
                hs.ccs_name = client.ccs
                hs.identity = bytes(identity)
            return key

    return RoutingPskStore


def _RoutingPskStore(keys: dict[bytes, bytes], delegator: Delegator) -> Any:  # noqa: N802
    return _routing_psk_store_class()(keys, delegator)


class Delegator:
    """The SSM daemon: DTLS server (and outbound client) for outside peers, relay for handed-off sessions.
    Every timeout (handshakes, KEY_MATERIAL retransmission, idle sessions) runs on `clock`: the wall
    clock by default, simulated time when the simulation engine or a test owns it; TinyDTLS runs on
    it too. `client_transport` replaces the client sockets (in-process peers of a simulation, which
    also pass `seed` for reproducible TinyDTLS randoms)."""

    def __init__(
        self,
        config: SsmConfig,
        ccs_transport: CcsTransport | None = None,
        clock: Clock | None = None,
        *,
        client_transport: CcsTransport | None = None,
        seed: int | None = None,
        shard: int = 0,
        forward_dir: Path | None = None,
    ) -> None:
        self.config = config
        self.clock: Clock = clock if clock is not None else WallClock()
        # several processes ([ssm] processes, harness/ssm/shards.py): this one's index, and the directory
        # of the processes' forwarding sockets (None: one process)
        self.shard, self.shards = shard, config.processes
        self._forward_dir = forward_dir
        self._fwd_sock: socket.socket | None = None
        self._fwd_out: dict[int, tuple[socket.socket, collections.deque[bytes]]] = {}
        self.ccs_transport = ccs_transport or UdpCcsTransport(*config.ccs_listen, reuse_port=self.shards > 1)
        self.client_transport = client_transport
        self._seed = seed
        self._contexts_made = 0
        self.table: RelayTable | None = None
        self.stats: collections.Counter[str] = collections.Counter()
        self.relay_latency_ns: collections.deque[int] = collections.deque(maxlen=200_000)
        self._sockets: list[asyncio.DatagramTransport] = []
        self._socket_v6: dict[asyncio.DatagramTransport, bool] = {}  # family of each client socket
        # outbound handshakes and relaying (paper 5.2) use sockets of their own, so that a server that is
        # this SSM's own DTLS endpoint (sensor to sensor behind one SSM) is a different peer address
        self._out_sockets: list[asyncio.DatagramTransport] = []
        self._outbound_sessions: set[bytes] = set()
        self._ctx: Any = None
        self._outbound_ctx: dict[tuple[str, int], Any] = {}
        self._handshakes: FairHalfOpen[Handshake] = FairHalfOpen(
            config.source_prefix_v4, config.source_prefix_v6
        )
        self._connected: list[Address] = []
        self._pool: WorkerPool | None = None
        self._lock_fd: int | None = None
        self._hello_limit = SourceRateLimit(
            config.hello_rate_per_source, config.hello_burst_per_source,
            config.source_prefix_v4, config.source_prefix_v6,
        )
        self._sending_for: Handshake | None = None
        # datagrams TinyDTLS produced during one _feed: they leave after any hand-off they complete is
        # durable (the client must not hold a session the SSM could forget in a crash)
        self._outbox: list[tuple[Address, bytes, bool]] | None = None
        self._pending_acks: dict[bytes, PendingAck] = {}
        # group commit: the hand-offs and KEY_ACKs of one event-loop turn, written in one transaction
        # under one writer-lock acquisition at the end of the turn (_commit_group); the datagrams that
        # depend on them (key material, Finished flights, held records) leave only after that commit
        self._group: list[GroupHandoff | GroupAck] = []
        self._group_sids: set[bytes] = set()
        self._group_sends: list[tuple[Address, bytes, bool]] = []
        self._group_handle: asyncio.Handle | None = None
        self._group_seen, self._group_opened = 0, 0.0  # datagrams in at the last turn, when it opened
        self._datagrams_in = 0  # datagrams handled (from clients, CCSs, workers): is the loop busy?
        self._final_flights: dict[bytes, FinalFlight] = {}
        # sessions the SSM closed (revocation, quota) whose CCS still owes the client its close_notify,
        # relayed once: session id -> Closing
        self._closing: dict[bytes, Closing] = {}
        self._ccs_by_addr = {address_key(c.address): c for c in config.ccs.values()}
        self._ecdsa_routes = {(c.public_x, c.public_y): c.ccs for c in config.ecdsa_clients}
        self._ticker: Handle | None = None
        self._last_flush = float("-inf")  # the first tick flushes
        self.drops = DropCounter()
        self._tinydtls_filter = BurstFilter(TINYDTLS_LOG_BURST)
        self._last_summary = 0.0
        self.metrics: Any = None  # MetricsServer when [ssm] metrics is set
        self._identity_of: dict[bytes, bytes] = {}  # session id -> identity (sessions handed off by us)

    # -- lifecycle

    async def _take_lock(self) -> None:
        """Become the active SSM of this relay table: an exclusive lock on `<db>.lock`. A second SSM on
        the same table waits here as a standby and takes over the moment the active one dies (the
        kernel drops a dead process's lock), resuming from the durable relay state."""
        path = self.config.db.with_name(self.config.db.name + ".lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("standby: another SSM holds %s; taking over when it stops", path)
            print(f"esse ssm: standby for {path}", flush=True)
            try:
                while True:  # polled, not a blocked thread: a standby stops at once when told to
                    await asyncio.sleep(STANDBY_POLL)
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        continue
            except BaseException:
                os.close(fd)
                raise
            log.warning("standby: the active SSM is gone; taking over")
        self._lock_fd = fd

    async def start(self) -> None:
        """Open the relay table, the TinyDTLS context, the sockets and the metrics endpoint."""
        if self.shard == 0:  # the group's first process holds the active lock for all of them
            await self._take_lock()
        binding = handshake._binding()
        self.table = RelayTable(
            self.config.db, self.clock, owner=self.shard, shards=self.shards,
            rx_window=CCS_RX_WINDOW if self.shards > 1 else 0,
        )
        self._identity_of.update(
            (e.session_id, e.identity) for e in self.table.by_sid.values() if e.identity is not None
        )
        if self._forward_dir is not None:
            self._open_forwarding(self._forward_dir)
        self._ctx = self._new_context(binding, server=True)
        if self.config.workers:
            self._pool = WorkerPool(self.config, self.config.workers, self._on_worker_result, self._send_all)
            self._pool.start()
        if self.client_transport is not None:
            await self.client_transport.start(self._on_client_datagram)
        for host, port in self.config.listen if self.client_transport is None else []:
            self._sockets.append(await open_udp(
                host, port, self._on_client_datagram, self._on_socket_error, reuse_port=self.shards > 1
            ))
        for host in sorted({"::" if ":" in h else "0.0.0.0" for h, _ in self.config.listen}
                           if self.client_transport is None else []):
            try:
                self._out_sockets.append(
                    await open_udp(host, 0, self._on_outbound_datagram, self._on_socket_error)
                )
            except OSError as exc:  # e.g. no IPv6 on this host: outbound to that family is unavailable
                log.warning("no outbound socket on %s: %s", host, exc)
        await self.ccs_transport.start(self._on_ccs_frame)
        self._resume_pending_acks()
        logging.getLogger("harness.tinydtls").addFilter(self._tinydtls_filter)
        self._last_summary = self.clock.now()
        if self.config.metrics is not None and self.shard == 0:  # one endpoint per group
            from harness.ssm.metrics import DelegatorCollector, MetricsServer

            self.metrics = MetricsServer(*self.config.metrics, DelegatorCollector(self._metrics_snapshot))
            log.info("metrics on http://%s:%d/metrics", *self.metrics.address)
        self._schedule_tick()
        log.info(
            "SSM delegator on %s, CCS side %s, %d relay sessions restored",
            self.client_addresses,
            self.ccs_transport.local_address,
            len(self.table),
        )

    def _resume_pending_acks(self) -> None:
        """After a restart: resend the key material of hand-offs never acknowledged (the same bytes, so
        a CCS that installed it only acknowledges again), in counter order."""
        assert self.table is not None
        now = self.clock.now()
        for sid, counter, message in self.table.pending_key_material():
            entry = self.table.get(sid)
            ccs = self.config.ccs.get(entry.ccs_name) if entry is not None else None
            if ccs is None:
                protocol.wipe(message)
                self.table.remove(sid)
                continue
            self._pending_acks[sid] = PendingAck(message, counter, ccs, sid, now + self.config.ack_timeout)
            with self.table.locked():  # the same bytes (they may have left before the crash)
                self.table.counters.sent(ccs.name, counter)
                self.ccs_transport.send(ccs.address, bytes(message))
            self.stats["key_material_resumed"] += 1
        if self._pending_acks:
            log.info("resent %d unacknowledged key-material messages", len(self._pending_acks))

    async def stop(self) -> None:
        """Close sockets, contexts and the relay table; wipe unacknowledged key material."""
        self._commit_group()  # what this turn handed off becomes durable and leaves
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        for p in self._pending_acks.values():
            protocol.wipe(p.message)
        self._pending_acks.clear()
        logging.getLogger("harness.tinydtls").removeFilter(self._tinydtls_filter)
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        if self.metrics is not None:
            self.metrics.close()
            self.metrics = None
        for s in [*self._sockets, *self._out_sockets]:
            s.close()
        self._sockets.clear()
        self._out_sockets.clear()
        self.ccs_transport.close()
        if self.client_transport is not None:
            self.client_transport.close()
        if self._fwd_sock is not None:
            asyncio.get_running_loop().remove_reader(self._fwd_sock.fileno())
            self._fwd_sock.close()
            self._fwd_sock = None
        for owner in list(self._fwd_out):
            self._forget_peer(owner)
        await asyncio.sleep(0)  # let the transports release their sockets (a restart binds them again)
        for ctx in [self._ctx, *self._outbound_ctx.values()]:
            if ctx is not None:
                ctx.free()
        self._ctx = None
        self._outbound_ctx.clear()
        if self.table is not None:
            self.table.close()
            self.table = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the lock: a standby takes over
            self._lock_fd = None

    async def __aenter__(self) -> Delegator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def client_addresses(self) -> list[Address]:
        """The bound addresses outside clients connect to."""
        if self.client_transport is not None:
            return [self.client_transport.local_address]
        return [s.get_extra_info("sockname") for s in self._sockets]

    def client_port(self, family: int = 4) -> int:
        """The bound client port of the IPv4 (4) or IPv6 (6) listener."""
        for addr in self.client_addresses:
            if (":" in addr[0]) == (family == 6):
                return int(addr[1])
        raise LookupError(f"no IPv{family} listener")

    @property
    def ccs_address(self) -> Address:
        """The bound address of the socket towards the CCSs."""
        return self.ccs_transport.local_address

    def handshakes_in_progress(self) -> int:
        """Number of half-open handshakes."""
        return len(self._handshakes)

    def tinydtls_peers(self) -> int:
        """Number of peers TinyDTLS holds state for."""
        return handshake.peer_count(self._ctx)

    # -- TinyDTLS

    def _new_context(self, binding: Any, *, server: bool, identity: bytes | None = None) -> Any:
        cfg = self.config
        suites = None
        if cfg.cipher_suites:
            suites = [binding.Cipher[name] for name in cfg.cipher_suites]
        ecdsa = None
        if cfg.ecdsa_private is not None and cfg.ecdsa_public is not None:
            ecdsa = binding.EcdsaKey(cfg.ecdsa_private, *cfg.ecdsa_public)
        if server:
            keys = {ident: c.key for ident, c in cfg.clients.items()}
            psk = _RoutingPskStore(keys, delegator=self)
        else:
            psk = binding.PskStore(dict(cfg.outbound), identity=identity)
        seed = None if self._seed is None else self._seed * 1000 + self._contexts_made
        self._contexts_made += 1
        return binding.DtlsContext(
            self._send_to_peer,
            on_event=self._on_dtls_event,
            psk=psk,
            ecdsa_key=ecdsa,
            verify_peer_key=self._verify_peer_key if (server and self._ecdsa_routes) or not server else None,
            cipher_suites=suites,
            clock=self.clock,
            seed=seed,
        )

    def _send_to_peer(self, addr: Address, data: bytes) -> None:
        hs = self._sending_for
        if hs is not None:
            hs.last_flight.append(data)
        outbound = hs is not None and hs.outbound
        if self._outbox is not None:
            self._outbox.append((addr, data, outbound))
        else:
            self._sendto_client(addr, data, outbound=outbound)

    def _sendto_client(self, addr: Address, data: bytes, *, outbound: bool = False) -> None:
        if self.client_transport is not None:
            self.client_transport.send(addr, data)
            return
        v6 = ":" in str(addr[0])
        for s in self._out_sockets if outbound else self._sockets:
            s_v6 = self._socket_v6.get(s)
            if s_v6 is None:  # asked once per socket, not per datagram
                s_v6 = self._socket_v6[s] = s.get_extra_info("socket").family == socket.AF_INET6
            if s_v6 == v6:
                s.sendto(data, addr[:2] if not v6 else addr)
                return
        self.stats["no_socket_for_family"] += 1

    def _on_socket_error(self, exc: Exception) -> None:
        self.stats["socket_errors"] += 1
        log.debug("client socket error: %s", exc)

    def _on_dtls_event(self, addr: Address, event: Any, level: Any) -> None:
        binding = handshake._binding()
        if event == binding.DtlsEvent.CONNECTED:
            self._connected.append(addr)
        elif isinstance(event, binding.Alert):
            self.stats["alerts"] += 1
            log.info("alert %s (%s) with %r", event.name, level, addr)

    def _verify_peer_key(self, addr: Address, x: bytes, y: bytes) -> bool:
        hs = self._handshakes.get(address_key(addr))
        if hs is not None and hs.outbound:
            return True  # outbound: the CCS chose the server; TinyDTLS has verified possession
        ccs = self._ecdsa_routes.get((bytes(x), bytes(y)))
        if ccs is None:
            self.stats["unknown_raw_public_key"] += 1
            return False
        if hs is not None:
            hs.ccs_name = ccs
            hs.identity = b"rpk:" + bytes(x)
        return True

    def _feed(self, ctx: Any, addr: Address, data: bytes, *, outbound: bool = False) -> None:
        self._outbox = []
        try:
            self._feed_held(ctx, addr, data, outbound)
        finally:
            out, self._outbox = self._outbox, None
            if self._group:  # a hand-off waits for its commit: our Finished leaves after it
                self._group_sends.extend(out)
            else:
                for a, d, ob in out:
                    self._sendto_client(a, d, outbound=ob)

    def _feed_held(self, ctx: Any, addr: Address, data: bytes, outbound: bool) -> None:
        key = address_key(addr)
        hs = self._handshakes.get(key)
        fresh = hs is None
        if hs is None:
            hs = Handshake(addr, self.clock.now(), outbound=outbound)
            self._handshakes[key] = hs  # provisional: kept only if TinyDTLS created a peer
        self._sending_for = hs
        sent_before = len(hs.last_flight)
        try:
            ctx.handle_message(addr, data)
        finally:
            self._sending_for = None
        if len(hs.last_flight) > sent_before:  # this call sent a flight: it is now the last one
            del hs.last_flight[:sent_before]
        if not outbound and self._finished_undecryptable(ctx, addr, data):
            self._refuse_handshake(key, hs)
            return
        if ctx.raw_peer(addr) is None and not self._connected:
            self._handshakes.pop(key, None)  # stateless exchange (HelloVerifyRequest) or peer dropped
        elif fresh:
            self.stats["handshakes_started"] += 1
            self._bound_handshakes()
        self._complete_connected(ctx)

    _finished_undecryptable = staticmethod(finished_undecryptable)

    # -- handshakes in worker processes ([ssm] workers)

    def _send_all(self, outs: list[tuple[Address, bytes]]) -> None:
        for a, d in outs:
            self._sendto_client(a, d)

    def _on_worker_result(self, result: Result) -> None:
        """A worker handled one datagram: book-keep the handshake, hand off what completed, and only
        then let its datagrams out (the same order as _feed)."""
        addr, outs, peer, bad, err, done = result
        self._datagrams_in += 1
        key = address_key(addr)
        hs = self._handshakes.get(key)
        fresh = hs is None
        if hs is None:
            hs = Handshake(addr, self.clock.now())
        mine = [d for a, d in outs if address_key(a) == key]
        if mine:
            hs.last_flight = mine
        if err:
            self.stats["tinydtls_errors"] += 1
        if bad:
            self._send_all(outs)
            self._handshakes.pop(key, None)
            self._sendto_client(addr, ALERT_BAD_RECORD_MAC)
            self.stats["bad_finished"] += 1
            log.info("handshake with %r failed: its Finished did not decrypt (wrong PSK?)", addr)
            return
        if peer and fresh:
            self._handshakes[key] = hs
            self.stats["handshakes_started"] += 1
            self._bound_handshakes()
        try:
            for a, route, body in done:
                h = self._handshakes.pop(address_key(a), None) or (hs if address_key(a) == key else None)
                if h is not None and route is not None:
                    if route[0] == "psk":
                        client = self.config.clients.get(route[1])
                        h.ccs_name, h.identity = (client.ccs if client else None), route[1]
                    else:
                        h.ccs_name = self._ecdsa_routes.get((route[1], route[2]))
                        h.identity = b"rpk:" + route[1]
                ks = KeyState.decode(body)
                protocol.wipe(body)
                self._hand_off_keys(None, a, h, ks)
        finally:
            if not peer and not done:
                self._handshakes.pop(key, None)
            if self._group:  # a hand-off waits for its commit: these datagrams leave after it
                self._group_sends.extend((a, d, False) for a, d in outs)
            else:
                self._send_all(outs)

    def _refuse_handshake(self, key: tuple[str, int], hs: Handshake) -> None:
        """End a handshake whose Finished failed: a fatal bad_record_mac alert, then forget the peer."""
        self._handshakes.pop(key, None)
        self._sendto_client(hs.address, ALERT_BAD_RECORD_MAC)
        self.stats["bad_finished"] += 1
        self._drop_handshake(hs, "failed: its Finished did not decrypt (wrong PSK?); bad_record_mac sent")

    def _bound_handshakes(self) -> None:
        while len(self._handshakes) > self.config.max_handshakes:
            # the heaviest source pays: a flood from one source evicts its own handshakes first
            key, hs = self._handshakes.evict_heaviest()
            self._drop_handshake(hs, "evicted (too many half-open handshakes; its source holds the most)")
            self.stats["handshakes_evicted"] += 1

    def _drop_handshake(self, hs: Handshake, why: str) -> None:
        ctx = self._outbound_ctx.pop(address_key(hs.address), None) if hs.outbound else self._ctx
        if self._pool is not None and not hs.outbound:
            self._pool.retire(hs.address)
        elif ctx is not None:
            handshake.retire(ctx, hs.address)
            if hs.outbound:
                ctx.free()
        log.info("handshake with %r %s", hs.address, why)

    def _complete_connected(self, ctx: Any) -> None:
        while self._connected:
            addr = self._connected.pop(0)
            hs = self._handshakes.pop(address_key(addr), None)
            try:
                self._hand_off(ctx, addr, hs)
            finally:
                handshake.retire(ctx, addr)  # whatever happened: TinyDTLS never sends on it again

    # -- hand-off

    def _route(self, ctx: Any, addr: Address, suite: int, hs: Handshake | None) -> CcsEntry | None:
        if hs is not None and hs.ccs_name is not None:
            return self.config.ccs.get(hs.ccs_name)
        return None

    def _hand_off(self, ctx: Any, addr: Address, hs: Handshake | None) -> None:
        assert self.table is not None
        ks = handshake.export_keys(ctx, addr)
        if ks is None:
            self.stats["export_failed"] += 1
            log.error("key export failed for %r", addr)
            return
        self._hand_off_keys(ctx, addr, hs, ks)

    def _hand_off_keys(self, ctx: Any, addr: Address, hs: Handshake | None, ks: KeyState) -> None:
        """Seal the exported state for the CCS, make the session durable, send the key material."""
        assert self.table is not None
        if self.table.get(ks.session_id) is not None or ks.session_id in self._group_sids:
            # both ends of one DTLS session behind this SSM (sensor to sensor): the id is only a label
            # between SSM and CCS, so the second end gets it with the top bit flipped
            ks.session_id = bytes([ks.session_id[0] ^ 0x80]) + ks.session_id[1:]
            self.stats["session_id_relabelled"] += 1
        try:
            ccs = self._route(ctx, addr, ks.cipher_suite, hs)
            body = ks.encode()
            if hs is not None and hs.outbound:
                self._outbound_sessions.add(ks.session_id)
        finally:
            ks.wipe()
        if ccs is None:
            protocol.wipe(body)
            self.stats["no_route"] += 1
            log.warning("no CCS configured for the session with %r; dropped", addr)
            return
        if ctx is not None:
            handshake.retire(ctx, addr)
        old = self.table.for_client(addr)
        # the client's earlier session held by another of our processes (it handshook there before
        # the kernel's choice of process for its address changed)
        foreign = self.table.foreign_for_client(addr) if self.shards > 1 else []
        self._group_sids.add(ks.session_id)
        self._join_group(GroupHandoff(
            ccs, addr, ks.session_id, body, self.clock.now(), hs, old, foreign, ks.cipher_suite
        ))

    # -- group commit: one transaction, one lock acquisition per event-loop turn

    def _join_group(self, op: GroupHandoff | GroupAck) -> None:
        """Queue a hand-off or KEY_ACK for the group commit at the end of the event-loop turn (at once on
        a simulated clock or outside an event loop: the simulation's order stays as it was)."""
        self._group.append(op)
        if self._group_handle is not None:
            return
        loop = None
        if isinstance(self.clock, WallClock):
            with contextlib.suppress(RuntimeError):
                loop = asyncio.get_running_loop()
        if loop is None:
            self._commit_group()
            return
        self._group_seen, self._group_opened = self._datagrams_in, time.perf_counter()
        self._group_handle = loop.call_soon(self._group_turn)

    def _group_turn(self) -> None:
        """End of an event-loop turn with a group open: commit it unless this turn received datagrams
        (then it waits one more turn, up to GROUP_MAX_WAIT and GROUP_MAX)."""
        if (self._group_seen < self._datagrams_in and len(self._group) < GROUP_MAX
                and time.perf_counter() - self._group_opened < GROUP_MAX_WAIT):
            self._group_seen = self._datagrams_in
            self._group_handle = asyncio.get_running_loop().call_soon(self._group_turn)
            return
        self._commit_group()

    def _commit_group(self) -> None:
        """Write the queued hand-offs and KEY_ACKs in one transaction of this process's file (in parallel
        with the other processes'); after the commit, under the counter lock, send the key material
        (`_send_key_material`); then the datagrams that waited for the commit and the bookkeeping.
        Write-ahead holds for each of them."""
        if self._group_handle is not None:
            self._group_handle.cancel()
            self._group_handle = None
        group, self._group = self._group, []
        sends, self._group_sends = self._group_sends, []
        self._group_sids.clear()
        table = self.table
        done: list[GroupHandoff | GroupAck] = []
        if group and table is not None:
            try:
                with table.transaction():
                    for op in group:
                        try:
                            with table.savepoint():
                                self._group_write(op)
                            done.append(op)
                        except protocol.ProtocolError as exc:
                            self.stats[f"ccs_rejected_{exc.reason}"] += 1
                            log.warning("frame from CCS %s rejected: %s", op.ccs.name, exc)
                        except Exception:  # noqa: BLE001 - one failed message must not stop the others
                            self._group_failed(op)
                            log.exception("hand-off or KEY_ACK of session %s failed", op.session_id.hex())
            except Exception:  # noqa: BLE001 - the commit itself failed: nothing of it happened
                for op in done:
                    self._group_failed(op)
                done = []
                log.exception("group commit of %d messages failed", len(group))
            else:
                self.stats["group_commits"] += 1
                self._send_key_material([op for op in done if isinstance(op, GroupHandoff)])
        for a, d, ob in sends:
            self._sendto_client(a, d, outbound=ob)
        for op in done:
            if isinstance(op, GroupHandoff):
                self._handed_off(op)
            else:
                self._acked(op)

    def _send_key_material(self, ops: list[GroupHandoff]) -> None:
        """Send the committed key material under the counter lock, each message only while its counter
        is still well inside the CCS's window (the other processes' blocks interleave with ours): one
        that fell behind is sealed again under a fresh counter, stored (a commit under the lock, rare),
        then sent; its first counter is never used."""
        table = self.table
        assert table is not None
        if not ops:
            return
        with table.locked():
            for op in ops:
                if op.message is None:
                    continue
                counter = table.counters.send_counter(op.ccs.name, op.counter)
                if counter != op.counter and op.plain is not None:  # (one process: never, in order)
                    message = protocol.seal_key_material(op.ccs.psk_dn, counter, bytearray(op.plain))
                    try:
                        with table.transaction():
                            table.store_key_material(op.session_id, counter, message)
                    except Exception:  # noqa: BLE001 - not stored: not sent; the retransmission tries
                        protocol.wipe(message)
                        log.exception("key material of session %s not sealed again", op.session_id.hex())
                        continue
                    protocol.wipe(op.message)
                    op.counter, op.message = counter, message
                    self.stats["key_material_resealed"] += 1
                self.ccs_transport.send(op.ccs.address, bytes(op.message))
        for op in ops:
            if op.plain is not None:
                protocol.wipe(op.plain)
                op.plain = None

    def _group_write(self, op: GroupHandoff | GroupAck) -> None:
        """The writes of one hand-off (counter, sealed key material, row) or KEY_ACK (counter,
        forgotten key material), in the group's transaction."""
        assert self.table is not None
        if isinstance(op, GroupAck):
            pending = self._pending_acks.get(op.session_id)
            self._accepted(op.ccs, op.counter, "KEY_ACK")
            if pending is not None and pending.counter == op.acked:
                self.table.acknowledged(op.session_id)
            return
        try:
            op.counter = self.table.next_tx_counter(op.ccs.name)
            if self.shards > 1:
                op.plain = bytearray(op.body)
            op.message = protocol.seal_key_material(op.ccs.psk_dn, op.counter, op.body)  # wipes body
            for f in op.foreign:
                self.table.drop_foreign(f.session_id)
            self.table.add(
                RelayEntry(op.session_id, op.ccs.name, op.ccs.address, op.address, op.now, op.now,
                           op.hs.identity if op.hs is not None else None),
                (op.counter, op.message),
            )
        finally:
            protocol.wipe(op.body)

    def _group_failed(self, op: GroupHandoff | GroupAck) -> None:
        """A message whose writes were rolled back: a hand-off's session is gone from memory too."""
        if isinstance(op, GroupHandoff):
            protocol.wipe(op.body)
            if op.plain is not None:
                protocol.wipe(op.plain)
                op.plain = None
            if op.message is not None:
                protocol.wipe(op.message)
                op.message = None
            assert self.table is not None
            self.table.forget(op.session_id)
            self._outbound_sessions.discard(op.session_id)
            self.stats["handoff_failed"] += 1

    def _handed_off(self, op: GroupHandoff) -> None:
        """After a hand-off's commit and its key material's sendto: wait for the KEY_ACK, keep our last
        flight, close the client's earlier sessions."""
        assert op.message is not None
        sid, hs, ccs, addr = op.session_id, op.hs, op.ccs, op.address
        self._pending_acks[sid] = PendingAck(
            op.message, op.counter, ccs, sid, op.now + self.config.ack_timeout
        )
        if hs is not None and hs.last_flight:
            self._final_flights[sid] = FinalFlight(list(hs.last_flight), op.now + FINAL_FLIGHT_KEEP)
        for f in op.foreign:
            self._close_at_ccs(f)
            self.stats["replaced_foreign"] += 1
        old = op.old
        if old is not None and old.session_id != sid:
            # the peer started over, its previous session is dead; sent after the key material
            # so that the CCS gets our counters in increasing order
            self._close_at_ccs(old)
            self._identity_of.pop(old.session_id, None)
        if hs is not None and hs.identity is not None:
            self._identity_of[sid] = hs.identity
        self._enforce_quotas(sid, addr)
        self.stats["handoffs"] += 1
        self.stats[f"suite_{op.cipher_suite:04X}"] += 1
        log.info("session %s with %r handed off to CCS %s", sid.hex(), addr, ccs.name)

    def _enforce_quotas(self, sid: bytes, addr: Address) -> None:
        """Beyond a quota, close the oldest other sessions of the new session's identity / client IP,
        counted over every process of the group (each process's file; another process's session is
        closed by that process, asked over the forwarding socket)."""
        assert self.table is not None
        ident = self._identity_of.get(sid)
        for limit, same, why in (
            (self.config.max_sessions_per_identity,
             lambda e: ident is not None and self._identity_of.get(e.session_id) == ident, "identity"),
            (self.config.max_sessions_per_address, lambda e: e.client_address[0] == addr[0], "address"),
        ):
            if limit is None or (why == "identity" and ident is None):
                continue
            every = [(e.created, self.shard, e.session_id) for e in self.table.by_sid.values() if same(e)]
            if self.shards > 1 and self._fwd_sock is not None:
                every += self.table.foreign_sessions_of(
                    ident if why == "identity" else None, str(addr[0]) if why == "address" else None
                )
            every.sort()
            for _, owner, other in every[: max(0, len(every) - limit)]:
                if other == sid:
                    continue
                if owner != self.shard:  # that process holds it: it closes it (and counts it)
                    self._forward(owner, b"q", addr, why.encode() + b"\0" + other)
                    self.stats["quota_forwarded"] += 1
                    continue
                e = self.table.get(other)
                if e is not None:
                    self._quota_close(e, why)

    def _quota_close(self, e: RelayEntry, why: str) -> None:
        self._close_and_alert(e, f"quota of sessions per {why} reached; oldest closed")
        self.stats[f"quota_evicted_{why}"] += 1

    # -- datagrams from outside peers

    def _on_client_datagram(self, addr: Address, data: bytes, forwarded: bool = False) -> None:
        t0 = time.perf_counter_ns()
        self._datagrams_in += 1
        records = split_records(data)  # once: the checks below and the relay read the same headers
        why = malformed_reason(data, records)
        if why is not None:  # not DTLS at all: counted, summarised once per LOG_INTERVAL
            self.drops.note(addr[0], why)
            self.stats[f"malformed_{why}"] += 1
            return
        key = address_key(addr)
        entry = self.table.for_client(addr) if self.table is not None else None
        if entry is not None and not is_client_hello(data) and key not in self._handshakes:
            self._relay_from_client(entry, data, records)
            self.relay_latency_ns.append(time.perf_counter_ns() - t0)
            return
        if (self._fwd_sock is not None and not forwarded and entry is None and key not in self._handshakes
                and not is_client_hello(data)):
            owner = self.table.owner_of_client(addr) if self.table is not None else None
            if owner is not None and owner != self.shard:  # the kernel moved this client to us
                self._forward(owner, b"c", addr, data)
                return
        if not self._hello_limit.allow(str(addr[0]), data, self.clock.now()):
            self.stats["rate_limited"] += 1  # a cookie-carrying hello over its source's rate: no work
            return
        if self._pool is not None:
            if not self._pool.submit(addr, data):
                self.stats["handshake_queue_full"] += 1
            return
        try:
            self._feed(self._ctx, addr, data)
        except Exception:  # noqa: BLE001 - one bad datagram must not stop the daemon
            self.stats["tinydtls_errors"] += 1
            log.exception("TinyDTLS failed on a datagram from %r", addr)

    def _on_outbound_datagram(self, addr: Address, data: bytes) -> None:
        """From a server this SSM handshakes with for a CCS (outbound socket)."""
        self._datagrams_in += 1
        key = address_key(addr)
        out_ctx = self._outbound_ctx.get(key)
        if out_ctx is not None:
            self._feed(out_ctx, addr, data, outbound=True)
            if out_ctx.raw_peer(addr) is None and key not in self._handshakes:
                self._outbound_ctx.pop(key, None)
                out_ctx.free()
            return
        entry = self.table.for_client(addr) if self.table is not None else None
        if entry is not None and entry.session_id in self._outbound_sessions:
            self._relay_from_client(entry, data)
        else:
            self.stats["outbound_socket_unknown_peer"] += 1

    def _relay_from_client(
        self, entry: RelayEntry, data: bytes, records: list[RecordHeader] | None = None
    ) -> None:
        if records is None:
            records = split_records(data)
        if records and all(r.epoch > 0 for r in records):
            payload = data if records[-1].end == len(data) else data[: records[-1].end]
        else:
            payload = b"".join(data[r.offset : r.end] for r in records if r.epoch > 0)
            if any(r.epoch == 0 for r in records):
                self._resend_final_flight(entry)  # the peer retransmits its last flight
        if not payload:
            return
        if entry.session_id in self._final_flights and any(
            r.content_type == CT_APPLICATION_DATA for r in records
        ):
            del self._final_flights[entry.session_id]  # the peer has our Finished
        pending = self._pending_acks.get(entry.session_id)
        if pending is not None:
            # the CCS has not installed the session yet (key material lost or still on its way over
            # the LLN): a record relayed now would meet "unknown session"; it follows the KEY_ACK
            pending.held.append(payload)
            self.stats["held_until_ack"] += 1
            return
        self.ccs_transport.send(
            entry.ccs_address, protocol.build_relay(protocol.MSG_RELAY, entry.session_id, payload)
        )
        self.table.touch(entry) if self.table is not None else None
        self.stats["relayed_to_ccs"] += 1

    def _resend_final_flight(self, entry: RelayEntry) -> None:
        ff = self._final_flights.get(entry.session_id)
        now = self.clock.now()
        if ff is None or now - ff.last_sent < FINAL_FLIGHT_RESEND_GAP:
            return
        ff.last_sent = now
        for d in ff.datagrams:
            self._sendto_client(entry.client_address, d)
        self.stats["final_flight_resent"] += 1

    # -- several processes: datagrams and frames for another process's sessions

    def _open_forwarding(self, directory: Path) -> None:
        """This process's forwarding socket (a Unix datagram socket in the group's private directory)."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        path = directory / str(self.shard)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # left by this shard's previous life
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        sock.bind(str(path))
        sock.setblocking(False)
        asyncio.get_running_loop().add_reader(sock.fileno(), self._on_forwarded)
        self._fwd_sock = sock

    def _owner_elsewhere(self, frame: bytes) -> int | None:
        """The other process holding the session a CCS frame names, or None (ours, none, no session)."""
        at = _SID_AT.get(frame[0])
        if at is None or self.table is None:
            return None
        sid = bytes(frame[at : at + protocol.SESSION_ID_LEN])
        if len(sid) != protocol.SESSION_ID_LEN or sid in self.table.by_sid or sid in self._pending_acks:
            return None
        owner = self.table.owner_of_session(sid)
        return owner if owner is not None and owner != self.shard else None

    def _forward(self, owner: int, kind: bytes, addr: Address, data: bytes) -> None:
        """Pass a datagram (kind c: from a client, f: a CCS frame) to the process that holds its session,
        in order; while its queue is full they wait here (up to FORWARD_BACKLOG)."""
        peer = self._fwd_out.get(owner)
        if peer is None:
            sock = self._connect_peer(owner)
            if sock is None:  # that process is gone (being restarted): as if lost on the way
                self.stats["forward_failed"] += 1
                return
            peer = self._fwd_out[owner] = (sock, collections.deque())
        sock, backlog = peer
        if len(backlog) >= FORWARD_BACKLOG:
            self.stats["forward_failed"] += 1
            return
        backlog.append(kind + address_text(addr).encode() + b"\0" + data)
        self.stats["forwarded"] += 1
        if len(backlog) == 1:
            self._flush_forward(owner)

    def _connect_peer(self, owner: int) -> socket.socket | None:
        """A socket connected to another process's forwarding socket (connected: poll then tells when
        its queue has room), or None when it is not there."""
        assert self._forward_dir is not None
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.setblocking(False)
        try:
            sock.connect(str(self._forward_dir / str(owner)))
        except OSError:
            sock.close()
            return None
        return sock

    def _flush_forward(self, owner: int) -> None:
        sock, backlog = self._fwd_out[owner]
        loop = asyncio.get_running_loop()
        reconnected = False
        while backlog:
            try:
                sock.send(backlog[0])
            except BlockingIOError:  # its queue is full: go on when it has room
                loop.add_writer(sock.fileno(), self._on_forward_room, owner)
                return
            except OSError:  # the process we were connected to died; its successor may be there
                loop.remove_writer(sock.fileno())
                sock.close()
                fresh = None if reconnected else self._connect_peer(owner)
                if fresh is None:
                    self.stats["forward_failed"] += len(backlog)
                    del self._fwd_out[owner]
                    return
                sock, reconnected = fresh, True
                self._fwd_out[owner] = (sock, backlog)
                continue
            backlog.popleft()
        loop.remove_writer(sock.fileno())

    def _on_forward_room(self, owner: int) -> None:
        if owner in self._fwd_out:
            self._flush_forward(owner)

    def _forget_peer(self, owner: int) -> None:
        sock, _ = self._fwd_out.pop(owner)
        asyncio.get_running_loop().remove_writer(sock.fileno())
        sock.close()

    def _on_forwarded(self) -> None:
        assert self._fwd_sock is not None
        for _ in range(FORWARD_BATCH):
            try:
                msg = self._fwd_sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                return
            text, _, data = msg[1:].partition(b"\0")
            addr = address_from_text(text.decode())
            self.stats["forwarded_in"] += 1
            if msg[:1] == b"c":
                self._on_client_datagram(addr, data, forwarded=True)
            elif msg[:1] == b"f":
                self._on_ccs_frame(addr, data, forwarded=True)
            elif msg[:1] == b"q":  # another process's quota: close this session of ours, if still held
                why, _, sid = data.partition(b"\0")
                e = self.table.get(sid) if self.table is not None else None
                if e is not None and why in (b"identity", b"address"):
                    self._quota_close(e, why.decode())

    # -- frames from CCSs

    def _on_ccs_frame(self, src: Address, frame: bytes, forwarded: bool = False) -> None:
        self._datagrams_in += 1
        ccs = self._ccs_by_addr.get(address_key(src))
        if self._closing and frame and frame[0] == protocol.MSG_RELAY and self._relay_closing(src, frame):
            return
        if self._fwd_sock is not None and not forwarded and frame:
            owner = self._owner_elsewhere(frame)
            if owner is not None:
                self._forward(owner, b"f", src, frame)
                return
        if ccs is None or not frame:
            self.stats["frames_from_unknown_ccs"] += 1
            return
        kind = frame[0]
        try:
            if kind in (protocol.MSG_RELAY, protocol.MSG_HANDBACK):
                self._relay_from_ccs(ccs, frame)
            elif kind == protocol.MSG_KEY_ACK:
                self._on_ack(ccs, frame)
            elif kind == protocol.MSG_ERROR:
                self._on_ccs_error(ccs, frame)
            elif kind == protocol.MSG_DELEGATE:
                self._on_delegate(ccs, frame)
            else:
                self.stats["ccs_bad_type"] += 1
        except protocol.ProtocolError as exc:
            self.stats[f"ccs_rejected_{exc.reason}"] += 1
            log.warning("frame from CCS %s rejected: %s", ccs.name, exc)

    def _relay_from_ccs(self, ccs: CcsEntry, frame: bytes) -> None:
        t0 = time.perf_counter_ns()
        kind, sid, records = protocol.parse_relay(frame)
        entry = self.table.get(sid) if self.table is not None else None
        if entry is None or entry.ccs_name != ccs.name:
            self.stats["unknown_session"] += 1
            log.info("record for unknown session %s from CCS %s dropped", sid.hex(), ccs.name)
            self._send_error(ccs, protocol.ECODE_UNKNOWN_SESSION, sid)
            return
        if kind == protocol.MSG_HANDBACK:
            self.stats["handbacks"] += 1
            ff = self._final_flights.get(sid)
            if ff is not None:
                ff.last_sent = 0.0
            self._resend_final_flight(entry)
            return
        self._sendto_client(entry.client_address, records, outbound=sid in self._outbound_sessions)
        assert self.table is not None
        self.table.touch(entry)
        self.stats["relayed_to_client"] += 1
        self.relay_latency_ns.append(time.perf_counter_ns() - t0)

    def _on_ack(self, ccs: CcsEntry, frame: bytes) -> None:
        assert self.table is not None
        counter, acked, sid = protocol.open_ack(ccs.psk_dn, frame, self.table.rx_floor(ccs.name))
        self._join_group(GroupAck(ccs, counter, acked, sid))  # counter and forgotten key material

    def _acked(self, op: GroupAck) -> None:
        """After a KEY_ACK's commit: the key material is wiped, the held client records follow."""
        pending = self._pending_acks.get(op.session_id)
        if pending is not None and pending.counter == op.acked:
            protocol.wipe(pending.message)
            del self._pending_acks[op.session_id]
            self.stats["acks"] += 1
            for payload in pending.held:
                self.ccs_transport.send(
                    op.ccs.address, protocol.build_relay(protocol.MSG_RELAY, op.session_id, payload)
                )
                self.stats["relayed_to_ccs"] += 1

    def _on_ccs_error(self, ccs: CcsEntry, frame: bytes) -> None:
        assert self.table is not None
        self._commit_group()  # the CCS's earlier counters (KEY_ACKs of this turn) are accepted first
        counter, code, sid = protocol.open_error(
            ccs.psk_dn, protocol.SENDER_CCS, frame, self.table.rx_floor(ccs.name)
        )
        self._accepted(ccs, counter, "ERROR")
        entry = self.table.get(sid)
        if entry is not None and entry.ccs_name == ccs.name:
            self._free_session(sid, f"CCS {ccs.name} reported error {code}")

    def _accepted(self, ccs: CcsEntry, counter: int, what: str) -> None:
        """A CCS message authenticated: its counter is durable before anything acts on the message
        (ProtocolError "replay" if it was used: the file, shared by our processes, decides)."""
        assert self.table is not None
        self.table.accept_rx(ccs.name, counter)
        log.debug("CCS %s: %s counter %d accepted", ccs.name, what, counter)

    def _send_error(self, ccs: CcsEntry, code: int, sid: bytes) -> None:
        assert self.table is not None
        if self._group:
            self._commit_group()  # this turn's key material first, in counter order
        with self.table.locked():  # the counter is stored, and sent in order, before another is taken
            counter = self.table.counters.fresh(ccs.name)
            self.ccs_transport.send(
                ccs.address, protocol.build_error(ccs.psk_dn, protocol.SENDER_SSM, counter, code, sid)
            )

    def _close_at_ccs(self, entry: RelayEntry) -> None:
        """Tell the CCS (authenticated ERROR) to drop a session the SSM no longer relays."""
        ccs = self.config.ccs.get(entry.ccs_name)
        if ccs is not None:
            self._send_error(ccs, protocol.ECODE_SESSION_CLOSED, entry.session_id)
        self._final_flights.pop(entry.session_id, None)

    def _close_and_alert(self, entry: RelayEntry, why: str) -> None:
        """Close a relay session whose client is still there: ERROR close-alert makes the CCS (which
        holds the keys) seal a close_notify to the client, relayed once, before it drops the session."""
        ccs = self.config.ccs.get(entry.ccs_name)
        if ccs is not None:
            self._expect_close_notify(entry, ccs, "close_alerts_relayed")
            self._send_error(ccs, protocol.ECODE_CLOSE_ALERT, entry.session_id)
        self._free_session(entry.session_id, why)

    def _free_session(self, sid: bytes, why: str) -> None:
        assert self.table is not None
        self.table.remove(sid)
        self._identity_of.pop(sid, None)
        self._final_flights.pop(sid, None)
        self._outbound_sessions.discard(sid)
        p = self._pending_acks.pop(sid, None)
        if p is not None:
            protocol.wipe(p.message)
        log.warning("relay session %s freed: %s", sid.hex(), why)

    # -- outbound (paper 5.2): the CCS asks us to handshake with a server for it

    def _on_delegate(self, ccs: CcsEntry, frame: bytes) -> None:
        assert self.table is not None
        req = protocol.open_delegate(ccs.psk_dn, frame, self.table.rx_floor(ccs.name))
        self._commit_group()  # the CCS's earlier counters (KEY_ACKs of this turn) are accepted first
        self._accepted(ccs, req.counter, "DELEGATE")
        if req.identity not in self.config.outbound:
            self.stats["outbound_unknown_identity"] += 1
            self._send_error(ccs, protocol.ECODE_HANDSHAKE_FAILED, bytes(8))
            return
        binding = handshake._binding()
        addr: Address = (req.host, req.port) if ":" not in req.host else (req.host, req.port, 0, 0)
        addr = binding.normalize_address(addr)
        key = address_key(addr)
        ctx = self._new_context(binding, server=False, identity=req.identity)
        self._outbound_ctx[key] = ctx
        hs = Handshake(addr, self.clock.now(), ccs_name=ccs.name, outbound=True)
        self._handshakes[key] = hs
        self._sending_for = hs
        try:
            ctx.connect(addr)
        finally:
            self._sending_for = None
        self.stats["outbound_requests"] += 1

    # -- housekeeping

    def _schedule_tick(self) -> None:
        self._ticker = self.clock.call_at(self.clock.now() + TICK, self._on_tick)

    def _on_tick(self) -> None:
        try:
            self.tick()
        except Exception:  # noqa: BLE001 - keep the daemon alive
            log.exception("housekeeping failed")
        if self._ticker is not None:  # not stopped meanwhile
            self._schedule_tick()

    def tick(self, now: float | None = None) -> None:
        """Housekeeping at `now` (default: the clock's): TinyDTLS retransmissions, handshake timeouts,
        KEY_MATERIAL retransmission, idle relay sessions, relay table flush."""
        mono = self.clock.now() if now is None else now
        for ctx in [self._ctx, *self._outbound_ctx.values()]:
            ctx.check_retransmit()
        for key, hs in list(self._handshakes.items()):
            if mono - hs.started > self.config.handshake_timeout:
                del self._handshakes[key]
                self._drop_handshake(hs, "timed out")
                self.stats["handshake_timeouts"] += 1
        for sid, p in list(self._pending_acks.items()):
            if mono < p.deadline:
                continue
            if p.tries > self.config.ack_retries:
                self.stats["ccs_gone"] += 1
                self._free_session(sid, f"CCS {p.ccs.name} did not acknowledge the key material")
                continue
            p.tries += 1
            p.deadline = mono + self.config.ack_timeout
            self.ccs_transport.send(p.ccs.address, bytes(p.message))
            self.stats["key_material_retransmits"] += 1
        for sid, ff in list(self._final_flights.items()):
            if mono > ff.expires:
                del self._final_flights[sid]
        for sid, c in list(self._closing.items()):
            if self.clock.now() > c.until:
                del self._closing[sid]  # the CCS never answered (it had lost the session)
        if mono - self._last_summary >= LOG_INTERVAL:
            self.summarise_drops()
            self._last_summary = mono
        if self.table is not None and mono - self._last_flush > 1.0:
            for e in self.table.expire(mono - self.config.idle_timeout):
                ccs = self.config.ccs.get(e.ccs_name)
                if ccs is not None:  # the CCS answers ERROR session-closed with a close_notify: let it out
                    self._expect_close_notify(e, ccs, "idle_close_relayed")
                self._close_at_ccs(e)
                self._identity_of.pop(e.session_id, None)
                self.stats["idle_expired"] += 1
                log.info("relay session %s idle, freed", e.session_id.hex())
            self.table.flush()
            self._last_flush = mono

    def summarise_drops(self) -> None:
        """Log (once) what was dropped or suppressed since the last summary."""
        line = self.drops.summary()
        if line is not None:
            log.warning("%s", line)
        hidden = self._tinydtls_filter.new_interval()
        if hidden:
            log.warning("suppressed %d TinyDTLS log lines", hidden)

    def _metrics_snapshot(self) -> tuple[dict[str, int], int, int]:
        for _ in range(5):  # read from the HTTP thread while the loop counts
            try:
                return dict(self.stats), len(self.table) if self.table else 0, len(self._handshakes)
            except RuntimeError:
                continue
        return {}, 0, 0

    # -- run-time changes of the CCS and client tables (secure bootstrapping, revocation)

    def install_ccs(self, entry: CcsEntry) -> None:
        """Add a CCS, or give a known one its new PSK_DN (the bootstrapping controller's on_psk)."""
        self._commit_group()  # hand-offs under the old key first
        old = self.config.ccs.get(entry.name)
        if old is not None:
            self._ccs_by_addr.pop(address_key(old.address), None)
        if old is None or old.psk_dn != entry.psk_dn:
            # a new key: sessions handed over under the old one are gone with it (the CCS erased its
            # counter store with the old key), and both counters start afresh
            assert self.table is not None
            for e in [e for e in self.table.by_sid.values() if e.ccs_name == entry.name]:
                self._free_session(e.session_id, f"CCS {entry.name} has a new PSK_DN")
            self.table.reset_counters(entry.name)
        self.config.ccs[entry.name] = entry
        self._ccs_by_addr[address_key(entry.address)] = entry
        log.info("CCS %s installed at %r", entry.name, entry.address)

    def _close_sessions(self, affected: Callable[[RelayEntry], bool], why: str) -> int:
        """ERROR session-closed to the CCS of every matching relay session (while its key still
        holds), then free it; the CCS answers with a close_notify to the client, which the SSM still
        routes for CLOSING_KEEP seconds (only that way: the client's records are no longer relayed).
        The number closed."""
        assert self.table is not None
        self._commit_group()  # this turn's hand-offs are sessions too
        closed = 0
        for e in [e for e in self.table.by_sid.values() if affected(e)]:
            ccs = self.config.ccs.get(e.ccs_name)
            if ccs is not None and e.session_id not in self._pending_acks:
                self._expect_close_notify(e, ccs, "revoked_close_relayed")
            self._close_at_ccs(e)
            self._free_session(e.session_id, why)
            closed += 1
        return closed

    def _expect_close_notify(self, entry: RelayEntry, ccs: CcsEntry, stat: str) -> None:
        """Keep the route of a session being closed open (CCS to client only) for its close_notify."""
        until = self.clock.now() + CLOSING_KEEP
        self._closing[entry.session_id] = Closing(
            entry.client_address, entry.session_id in self._outbound_sessions, ccs, until, stat,
        )
        if self._fwd_sock is not None and self.table is not None:  # its close_notify may reach another
            self.table.note_closing(entry.session_id, until)

    def _relay_closing(self, src: Address, frame: bytes) -> bool:
        """A RELAY from a CCS for a session revoked a moment ago (its close_notify): to the client
        once, then the route is gone. False when the frame is not for such a session."""
        try:
            _, sid, records = protocol.parse_relay(frame)
        except protocol.ProtocolError:
            return False
        closing = self._closing.get(sid)
        if closing is None or address_key(closing.ccs.address) != address_key(src):
            return False
        del self._closing[sid]
        if closing.until < self.clock.now():
            return False
        self._sendto_client(closing.client, records, outbound=closing.outbound)
        self.stats[closing.stat] += 1
        return True

    def revoke_ccs(self, name: str) -> int:
        """Revoke a CCS's PSK_DN: close its sessions, forget the key (new sessions find no route)."""
        closed = self._close_sessions(lambda e: e.ccs_name == name, f"CCS {name} revoked")
        entry = self.config.ccs.pop(name, None)
        if entry is not None:
            self._ccs_by_addr.pop(address_key(entry.address), None)
            self.stats["ccs_revoked"] += 1
        return closed

    def revoke_client(self, identity: bytes) -> int:
        """Revoke an outside client's PSK identity: close its sessions, refuse its handshakes."""
        closed = self._close_sessions(
            lambda e: self._identity_of.get(e.session_id) == identity, f"client {identity!r} revoked"
        )
        if self.config.clients.pop(identity, None) is not None:
            self.stats["clients_revoked"] += 1
        return closed

    def sessions(self) -> list[RelayEntry]:
        """The relay sessions (a copy)."""
        return list(self.table.by_sid.values()) if self.table is not None else []


async def run_forever(config: SsmConfig) -> None:
    """Run a delegator until cancelled (`esse ssm run`)."""
    async with Delegator(config) as d:
        print(f"esse ssm: DTLS on {d.client_addresses}, CCS side on {d.ccs_address}", flush=True)
        await asyncio.Event().wait()
