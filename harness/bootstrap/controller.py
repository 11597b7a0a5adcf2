"""The bootstrapping controller: relays a device's BOOT_REQUEST to the AS with RN_c, TS and a fresh TID,
turns the AS's answer into BOOT_RESPONSE, and on a valid BOOT_CONFIRM hands PSK_DN to the SSM's CCS table.
It never holds IK_d: the AS computes the device's tag."""

from __future__ import annotations

import logging
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import messages as m

log = logging.getLogger("esse.bootstrap.controller")

Addr = tuple[str, int]
Out = list[tuple[bytes, Addr]]
DEFAULT_AS_TIMEOUT = 10.0  # seconds a transaction waits for the AS, then for the device's confirmation


@dataclass
class Pending:
    """One transaction: the device's address and request, our RN_c and TS, PSK_DN once the AS answered."""

    device_addr: Addr
    id_d: int
    rn_c: bytes
    ts: int
    started: float
    request: bytes  # the BOOT_REQUEST, to recognise the device's retransmissions
    psk: bytes | None = None
    response: bytes | None = None  # the BOOT_RESPONSE sent, resent on a retransmitted request


class TidStore:
    """The controller's last TID, kept in SQLite so a restart never reuses one (the AS would refuse it)."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.db = sqlite3.connect(str(path))
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS tid (id INTEGER PRIMARY KEY CHECK (id = 0), last INTEGER)"
        )
        self.db.execute("INSERT OR IGNORE INTO tid VALUES (0, 0)")
        self.db.commit()

    def next(self) -> int:
        """Reserve and return the next TID."""
        with self.db:
            self.db.execute("UPDATE tid SET last = last + 1 WHERE id = 0")
            return int(self.db.execute("SELECT last FROM tid WHERE id = 0").fetchone()[0])


class Controller:
    """Controller logic: `handle(datagram, source) -> [(datagram, destination)]`; clock and RNG injectable."""

    def __init__(
        self,
        id_c: int,
        sk_cs: bytes,
        as_addr: Addr,
        on_psk: Callable[[int, bytes], None] | None = None,
        now: Callable[[], float] = time.time,
        rng: Callable[[int], bytes] = secrets.token_bytes,
        tids: TidStore | None = None,
        timeout: float = DEFAULT_AS_TIMEOUT,
    ) -> None:
        self.id_c = id_c
        self.sk_cs = sk_cs
        self.as_addr = as_addr
        self.on_psk = on_psk
        self.now = now
        self.rng = rng
        self.tids = tids or TidStore()
        self.timeout = timeout
        self.pending: dict[int, Pending] = {}
        self.installed: dict[int, bytes] = {}  # device id -> PSK_DN handed to the SSM
        # device id -> (its last accepted BOOT_CONFIRM, the BOOT_ACK sent): a retransmitted
        # confirmation (the ACK was lost) is acknowledged again, however late
        self.done: dict[int, tuple[bytes, bytes]] = {}
        self.refusals: list[m.BootError] = []

    def handle(self, data: bytes, source: Addr) -> Out:
        """Process one datagram from a device or the AS."""
        self._expire()
        handlers = {
            m.BOOT_REQUEST: self._request,
            m.AS_RESPONSE: self._as_response,
            m.AS_ERROR: self._as_error,
            m.BOOT_CONFIRM: self._confirm,
        }
        handler = handlers.get(data[0]) if data else None
        try:
            if handler is None:
                raise m.BootError("malformed", f"unexpected datagram from {source[0]}:{source[1]}")
            return handler(data, source)
        except m.BootError as err:
            self.refusals.append(err)
            log.warning("refused: %s", err)
            if data and data[0] == m.BOOT_CONFIRM and err.code == "unknown_tid" and len(data) >= 3:
                # a confirmation this controller cannot acknowledge (it restarted, or the transaction
                # timed out): the device starts over with a fresh RN_d instead of retrying forever
                return [(m.boot_error(int.from_bytes(data[1:3], "big"), "unknown_tid"), source)]
            return []

    def _expire(self) -> None:
        for tid, p in list(self.pending.items()):
            if self.now() - p.started > self.timeout:
                del self.pending[tid]
                self.refusals.append(m.BootError("as_timeout", f"TID {tid} for device {p.id_d} timed out"))

    def _request(self, data: bytes, source: Addr) -> Out:
        boot = m.BootRequest.decode(data)
        for p in self.pending.values():
            if p.request == data:  # the device retransmitted: answer again, never ask the AS twice
                p.device_addr = source
                return [] if p.response is None else [(p.response, source)]
        tid, ts, rn_c = self.tids.next(), int(self.now()), self.rng(m.RN_LEN)
        self.pending[tid] = Pending(source, boot.id_d, rn_c, ts, self.now(), bytes(data))
        req = m.AsRequest(self.id_c, tid, ts, rn_c, bytes(data)).sealed(self.sk_cs)
        return [(req.encode(), self.as_addr)]

    def _lookup(self, tid: int, what: str) -> Pending:
        p = self.pending.get(tid)
        if p is None:
            raise m.BootError("unknown_tid", f"{what} for TID {tid}, which no pending transaction has")
        return p

    def _as_response(self, data: bytes, source: Addr) -> Out:
        id_c, tid = m.AsResponse.peek(data)
        p = self._lookup(tid, "AS_RESPONSE")
        if id_c != self.id_c or p.psk is not None:
            raise m.BootError("unknown_tid", f"AS_RESPONSE for TID {tid} does not match its transaction")
        resp = m.AsResponse.decode(data, self.sk_cs, p.rn_c)
        if resp.id_d != p.id_d:
            raise m.BootError(
                "unknown_tid", f"AS_RESPONSE for TID {tid} names device {resp.id_d}, not {p.id_d}"
            )
        p.psk = resp.psk_dn
        p.response = m.BootResponse(p.id_d, self.id_c, tid, p.ts, p.rn_c, resp.device_tag).encode()
        return [(p.response, p.device_addr)]

    def _as_error(self, data: bytes, source: Addr) -> Out:
        tid, code = m.parse_error(data)
        p = self._lookup(tid, "AS_ERROR")
        if p.psk is not None:  # unauthenticated: it cannot cancel an answered transaction
            raise m.BootError("unknown_tid", f"AS_ERROR for answered TID {tid}")
        del self.pending[tid]
        self.refusals.append(m.BootError(code, f"the AS refused TID {tid} of device {p.id_d}"))
        return [(m.boot_error(p.id_d, code if code in m.ERROR_CODES else "malformed"), p.device_addr)]

    def _confirm(self, data: bytes, source: Addr) -> Out:
        conf = m.BootConfirm.decode(data)
        done = self.done.get(conf.id_d)
        if done is not None and done[0] == data:
            return [(done[1], source)]  # a retransmitted confirmation: its BOOT_ACK was lost
        p = self._lookup(conf.tid, "BOOT_CONFIRM")
        if p.psk is None or p.id_d != conf.id_d:
            raise m.BootError(
                "unknown_tid", f"BOOT_CONFIRM of device {conf.id_d} does not match TID {conf.tid}"
            )
        if not conf.verify(p.psk, p.rn_c):
            raise m.BootError(
                "confirm", f"BOOT_CONFIRM of device {conf.id_d} is not made with the new PSK_DN"
            )
        del self.pending[conf.tid]
        self.installed[conf.id_d] = p.psk
        if self.on_psk is not None:
            self.on_psk(conf.id_d, p.psk)
        ack = m.BootAck(conf.id_d, conf.tid).sealed(p.psk, p.rn_c).encode()
        self.done[conf.id_d] = (bytes(data), ack)
        log.info("device %d bootstrapped (TID %d): PSK_DN handed to the SSM", conf.id_d, conf.tid)
        return [(ack, source)]
