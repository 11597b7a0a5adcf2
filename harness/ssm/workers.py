"""Server handshakes in worker processes (issue 16 item 1, `[ssm] workers = N`): the public-key work of
ECDHE (≈ 13 ms of CPU per handshake) runs off the delegator's event loop, on up to all cores.

Each worker owns a TinyDTLS server context; a client's datagrams always go to the same worker (chosen
by its source, so cookies and peer state stay there). The delegator queues handshake datagrams per
worker and per source, and hands a worker the next datagram round-robin over its sources, at most
WINDOW at a time: a flooding source waits behind everyone else's turn. Queues are bounded (per source
and per worker); what does not fit is dropped and counted. When TinyDTLS reports a handshake complete,
the worker exports the record state, retires the peer (wiped, nothing sent) and passes the 75-byte
state up its pipe, where the delegator reads it into a bytearray it seals and wipes. The worker's
datagrams go out through the delegator, after any hand-off they complete is durable.
"""

from __future__ import annotations

import asyncio
import collections
import math
import multiprocessing
import select
import zlib
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from harness.ssm import handshake
from harness.ssm.config import SsmConfig
from harness.ssm.halfopen import source_of
from harness.udp import Address
from harness.wire.dtls import CT_HANDSHAKE, split_records
from harness.wire.ssm import KEYSTATE_LEN, wipe

WINDOW = 2  # datagrams in a worker at once
QUEUE_PER_SOURCE = 16
QUEUE_PER_WORKER = 1024

# (addr, datagrams out, peer kept, bad Finished, TinyDTLS error, [(addr, route, key state)])
Result = tuple[Address, list[tuple[Address, bytes]], bool, bool, bool, list[tuple[Address, Any, bytearray]]]


def finished_undecryptable(ctx: Any, addr: Address, data: bytes) -> bool:
    """The peer's epoch-1 Finished arrived after its ChangeCipherSpec and TinyDTLS could not decrypt it:
    it holds a different PSK (TinyDTLS drops such records silently, RFC 6347 §4.1.2.7)."""
    raw = ctx.raw_peer(addr)
    if raw is None or int(raw.state) != int(handshake._binding().lib.DTLS_STATE_WAIT_FINISHED):
        return False
    return any(r.epoch == 1 and r.content_type == CT_HANDSHAKE for r in split_records(data))


def _readable_check(conn: Connection) -> Callable[[float], bool]:
    """`check(timeout_s)`: is a message waiting on conn? Connection.poll() builds a selector per call
    (12 us); one poll object per pipe answers in under 1 us, and the pipe has no userspace buffer, so
    a readable descriptor is a waiting message (or the peer gone, which the next recv reports)."""
    p = select.poll()
    p.register(conn.fileno(), select.POLLIN)
    return lambda timeout_s: bool(p.poll(max(0, math.ceil(timeout_s * 1000))))  # ms, never early


def _worker_main(conn: Connection, cfg: SsmConfig) -> None:  # pragma: no cover - runs in the child
    binding = handshake.ensure_tinydtls_extension()
    outs: list[tuple[Address, bytes]] = []
    connected: list[Address] = []
    route: dict[tuple[str, int], Any] = {}
    current: list[tuple[str, int] | None] = [None]
    rpk = {(c.public_x, c.public_y) for c in cfg.ecdsa_clients}

    class Psk(binding.PskStore):  # type: ignore[name-defined]
        def key_for(self, identity: bytes) -> bytes | None:
            key = super().key_for(identity)
            if key is not None and current[0] is not None:
                route[current[0]] = ("psk", bytes(identity))
            return key

    def verify(addr: Address, x: bytes, y: bytes) -> bool:
        ok = (bytes(x), bytes(y)) in rpk
        if ok:
            route[(str(addr[0]), int(addr[1]))] = ("rpk", bytes(x), bytes(y))
        return ok

    def on_event(addr: Address, event: Any, level: Any) -> None:
        if event == binding.DtlsEvent.CONNECTED:
            connected.append(addr)

    readable = _readable_check(conn)
    ctx = binding.DtlsContext(
        lambda a, d: outs.append((a, bytes(d))),
        on_event=on_event,
        psk=Psk({ident: c.key for ident, c in cfg.clients.items()}),
        ecdsa_key=binding.EcdsaKey(cfg.ecdsa_private, *cfg.ecdsa_public)
        if cfg.ecdsa_private is not None and cfg.ecdsa_public is not None else None,
        verify_peer_key=verify if rpk else None,
        cipher_suites=[binding.Cipher[n] for n in cfg.cipher_suites] if cfg.cipher_suites else None,
    )
    while True:
        delay = ctx.check_retransmit()
        if outs:
            conn.send(("out", list(outs)))
            outs.clear()
        try:
            if not readable(min(delay, 0.5) if delay is not None else 0.5):
                continue
            msg = conn.recv()
        except (EOFError, OSError):  # the delegator is gone (even kill -9): so are we
            msg = ("stop",)
        if msg[0] == "stop":
            ctx.free()
            return
        addr = msg[1]
        if msg[0] == "retire":
            handshake.retire(ctx, addr)
            continue
        data = msg[2]
        current[0] = (str(addr[0]), int(addr[1]))
        err = False
        try:
            ctx.handle_message(addr, data)
        except Exception:  # noqa: BLE001 - one bad datagram must not stop the worker
            err = True
        current[0] = None
        bad = finished_undecryptable(ctx, addr, data)
        if bad:
            handshake.retire(ctx, addr)
        done: list[tuple[Address, Any, bytearray]] = []
        for a in connected:
            ks = handshake.export_keys(ctx, a)
            handshake.retire(ctx, a)
            if ks is not None:
                done.append((a, route.pop((str(a[0]), int(a[1])), None), ks.encode()))
                ks.wipe()
        connected.clear()
        conn.send(("done", addr, list(outs), ctx.raw_peer(addr) is not None, bad, err,
                   [(a, r) for a, r, _ in done]))
        outs.clear()
        for _, _, body in done:
            conn.send_bytes(body)
            wipe(body)


class WorkerPool:
    """N handshake workers fed fairly per source; results come back through `on_result` and
    retransmissions through `on_out`, both on the event loop."""

    def __init__(
        self,
        cfg: SsmConfig,
        n: int,
        on_result: Callable[[Result], None],
        on_out: Callable[[list[tuple[Address, bytes]]], None],
    ) -> None:
        self.cfg, self.n = cfg, n
        self.on_result, self.on_out = on_result, on_out
        self.dropped = 0
        self._conns: list[Connection] = []
        self._waiting: list[Callable[[float], bool]] = []
        self._procs: list[Any] = []
        self._queues: list[collections.OrderedDict[str, collections.deque[tuple[Address, bytes]]]] = []
        self._queued = [0] * n
        self._inflight = [0] * n

    def start(self) -> None:
        """Spawn the workers (a fresh interpreter each: no state of the delegator is inherited)."""
        mp = multiprocessing.get_context("spawn")
        loop = asyncio.get_running_loop()
        for i in range(self.n):
            parent, child = mp.Pipe()
            p = mp.Process(target=_worker_main, args=(child, self.cfg), daemon=True, name=f"ssm-worker-{i}")
            p.start()
            child.close()
            self._conns.append(parent)
            self._waiting.append(_readable_check(parent))
            self._procs.append(p)
            self._queues.append(collections.OrderedDict())
            loop.add_reader(parent.fileno(), self._readable, i)

    def _worker_of(self, src: str) -> int:
        return zlib.crc32(src.encode()) % self.n

    def submit(self, addr: Address, data: bytes) -> bool:
        """Queue a handshake datagram for its source's worker; False if the queue is full (dropped)."""
        src = source_of(str(addr[0]), self.cfg.source_prefix_v4, self.cfg.source_prefix_v6)
        i = self._worker_of(src)
        q = self._queues[i].setdefault(src, collections.deque())
        if len(q) >= QUEUE_PER_SOURCE or self._queued[i] >= QUEUE_PER_WORKER:
            if not q:
                del self._queues[i][src]
            self.dropped += 1
            return False
        q.append((addr, data))
        self._queued[i] += 1
        self._pump(i)
        return True

    def retire(self, addr: Address) -> None:
        """Tell the peer's worker to wipe and forget it (evicted or timed out)."""
        src = source_of(str(addr[0]), self.cfg.source_prefix_v4, self.cfg.source_prefix_v6)
        self._conns[self._worker_of(src)].send(("retire", addr))

    def _pump(self, i: int) -> None:
        queues = self._queues[i]
        while self._inflight[i] < WINDOW and queues:
            src, q = queues.popitem(last=False)  # round robin: the source served goes to the back
            addr, data = q.popleft()
            if q:
                queues[src] = q
            self._queued[i] -= 1
            self._inflight[i] += 1
            self._conns[i].send(("dgram", addr, data))

    def _readable(self, i: int) -> None:
        conn = self._conns[i]
        try:
            while self._waiting[i](0):
                msg = conn.recv()
                if msg[0] == "out":
                    self.on_out(msg[1])
                    continue
                _, addr, outs, peer, bad, err, meta = msg
                done = []
                for a, r in meta:
                    body = bytearray(KEYSTATE_LEN)
                    conn.recv_bytes_into(body)
                    done.append((a, r, body))
                self._inflight[i] -= 1
                self.on_result((addr, outs, peer, bad, err, done))
        except (EOFError, OSError):
            asyncio.get_running_loop().remove_reader(conn.fileno())
            return
        self._pump(i)

    def close(self) -> None:
        """Stop the workers."""
        loop = asyncio.get_event_loop()
        for conn in self._conns:
            loop.remove_reader(conn.fileno())
            try:
                conn.send(("stop",))
            except OSError:
                pass
        for p in self._procs:
            p.join(2)
            if p.is_alive():
                p.kill()
        for conn in self._conns:
            conn.close()
        self._conns.clear()
        self._waiting.clear()
        self._procs.clear()
