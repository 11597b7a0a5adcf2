"""The relay reference table (paper, Table 2) in SQLite: session id -> CCS name and address, client
address, created, last used. It holds no key material, only routing facts, and survives SSM restarts.

Lookups are served from memory (relaying must stay well under a millisecond); inserts and deletes are
written through at once, `last_used` is flushed in batches. The same file keeps the SSM's anti-replay
counters per CCS: the next send counter is taken in the transaction of the message that uses it, so a
restart never reuses one, and several delegator processes on one file (`[ssm] processes`) draw from one
increasing sequence; the counters accepted from a CCS are written before the SSM acts on the message,
so a replay after a crash is refused.
A session's sealed KEY_MATERIAL is written with its row (one transaction) before it is sent, and deleted
at its KEY_ACK: after a crash the SSM resends exactly those bytes (write-ahead, issue 16 item 4).

Durability: WAL with synchronous=NORMAL, so every commit survives the SSM process dying (kill -9); a
power cut may lose the last commits (synchronous=FULL would close that at one fsync per hand-off).

Several processes: every write transaction runs under one exclusive `flock` on `<db>.wlock` (the
kernel wakes the next writer at once; SQLite's own busy handler would sleep whole milliseconds), and a
caller that must send a message in counter order holds that lock until it is sent (`locked()`). The
delegator groups the hand-offs and KEY_ACKs of one event-loop turn into one transaction (one lock
acquisition, one commit; `savepoint()` isolates each message's writes). Each
session row names its `owner`, the process that handed it off and holds its in-memory state; a process
loads only its own rows, and `owner_of_session` / `owner_of_client` tell the others where to forward.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from harness.clock import Clock, WallClock
from harness.udp import Address
from harness.wire.ssm import ProtocolError

SCHEMA = """
CREATE TABLE IF NOT EXISTS relay (
  session_id BLOB PRIMARY KEY,
  ccs_name TEXT NOT NULL,
  ccs_address TEXT NOT NULL,
  client_address TEXT NOT NULL,
  created REAL NOT NULL,
  last_used REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS relay_client ON relay (client_address);
CREATE TABLE IF NOT EXISTS pending_key_material (
  session_id BLOB PRIMARY KEY,
  counter INTEGER NOT NULL,
  message BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS ccs_counters (
  ccs_name TEXT PRIMARY KEY,
  tx_reserved INTEGER NOT NULL,
  rx_last INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS closing (
  session_id BLOB PRIMARY KEY,
  owner INTEGER NOT NULL,
  until REAL NOT NULL
);
"""
# columns added after the first release of the file (ALTER TABLE on an older file)
MIGRATIONS = (
    ("relay", "owner", "ALTER TABLE relay ADD COLUMN owner INTEGER NOT NULL DEFAULT 0"),
    ("ccs_counters", "rx_mask", "ALTER TABLE ccs_counters ADD COLUMN rx_mask INTEGER NOT NULL DEFAULT 0"),
)



def address_text(addr: Address) -> str:
    """An address as 'host:port' or '[v6]:port'."""
    host, port = addr[0], addr[1]
    return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"


def address_from_text(text: str) -> Address:
    """The address written by address_text."""
    if text.startswith("["):
        host, _, port = text[1:].partition("]:")
        return (host, int(port), 0, 0)
    host, _, port = text.rpartition(":")
    return (host, int(port))


def address_key(addr: Address) -> tuple[str, int]:
    """Comparable form of a socket address (IPv6 flowinfo/scope dropped)."""
    return (str(addr[0]), int(addr[1]))


@dataclass(slots=True)
class RelayEntry:
    """One relayed session: which CCS and which client address it connects."""
    session_id: bytes
    ccs_name: str
    ccs_address: Address
    client_address: Address
    created: float
    last_used: float


class RelayTable:
    """Routing facts per relayed session, persisted in SQLite; timestamps come from `clock`. `owner` is
    this process's index among the delegator processes sharing the file (`shards` of them); `rx_window`
    how far below the highest accepted CCS counter a not yet seen one is still accepted (0: only above)."""

    def __init__(
        self, path: Path, clock: Clock | None = None, *, owner: int = 0, shards: int = 1, rx_window: int = 0
    ) -> None:
        self.clock: Clock = clock if clock is not None else WallClock()
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.owner, self.rx_window = owner, rx_window
        self._lock_fd = os.open(str(self.path) + ".wlock", os.O_RDWR | os.O_CREAT, 0o600)
        self._lock_depth = 0
        # time spent holding the writer lock (bench-ssm: the serial part); wall time: on a shared host it
        # includes being preempted while holding it (a thread-CPU clock costs ~150 us per read on this VM)
        self.lock_ns = 0
        self._checkpoints = shards > 1  # ours to run (SQLite's automatic ones are off), see checkpoint()
        self._commits, self._data_version = 0, -1  # since the last checkpoint
        self.db = sqlite3.connect(str(self.path), isolation_level=None)
        with self.locked():
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA secure_delete=ON")  # acknowledged key material is overwritten, not left
            self.db.execute("PRAGMA cache_size=-512")  # 512 KiB: lookups are served from memory, not pages
            if shards > 1:
                # no checkpoint inside a commit (it would fsync under the writer lock every ~1000 pages
                # and stall every process): process 0 calls checkpoint() outside it
                self.db.execute("PRAGMA wal_autocheckpoint=0")
            self.db.executescript(SCHEMA)
            for table, column, sql in MIGRATIONS:
                if column not in {r[1] for r in self.db.execute(f"PRAGMA table_info({table})")}:
                    self.db.execute(sql)
            if owner == 0:  # fewer processes than the file was written by: their rows go round to us
                self.db.execute("UPDATE relay SET owner = owner % ? WHERE owner >= ?", (shards, shards))
        self.by_sid: dict[bytes, RelayEntry] = {}
        self.by_client: dict[tuple[str, int], bytes] = {}
        self._dirty: set[bytes] = set()
        self._rx: dict[str, int] = {}  # ccs -> highest counter accepted (as last seen; the file decides)
        for row in self.db.execute(
            "SELECT session_id, ccs_name, ccs_address, client_address, created, last_used FROM relay"
            " WHERE owner = ?", (owner,)
        ):
            e = RelayEntry(
                bytes(row[0]), row[1], address_from_text(row[2]), address_from_text(row[3]), row[4], row[5]
            )
            self._index(e)
        for name, rx in self.db.execute("SELECT ccs_name, rx_last FROM ccs_counters"):
            self._rx[name] = rx

    def _index(self, e: RelayEntry) -> None:
        self.by_sid[e.session_id] = e
        self.by_client[address_key(e.client_address)] = e.session_id

    def __len__(self) -> int:
        return len(self.by_sid)

    def add(self, e: RelayEntry, key_material: tuple[int, bytes | bytearray] | None = None) -> None:
        """Insert a session, replacing the client's previous one; with `key_material` (counter, sealed
        message) that message is stored in the same transaction until `acknowledged`."""
        old = self.by_client.get(address_key(e.client_address))
        with self.transaction():
            if old is not None and old != e.session_id:
                self.remove(old)  # a client that handshakes again replaces its old session
            self._index(e)
            self.db.execute(
                "INSERT OR REPLACE INTO relay (session_id, ccs_name, ccs_address, client_address, created,"
                " last_used, owner) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    e.session_id,
                    e.ccs_name,
                    address_text(e.ccs_address),
                    address_text(e.client_address),
                    e.created,
                    e.last_used,
                    self.owner,
                ),
            )
            if key_material is not None:
                self.db.execute(
                    "INSERT OR REPLACE INTO pending_key_material VALUES (?, ?, ?)",
                    (e.session_id, key_material[0], bytes(key_material[1])),
                )

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """The writer lock of every process on this file, held for the block (re-entrant). A message
        whose counter is taken in the block and sent before it ends leaves in counter order."""
        if self._lock_depth:
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        t0 = time.perf_counter_ns()
        self._lock_depth = 1
        try:
            yield
        finally:
            self._lock_depth = 0
            self.lock_ns += time.perf_counter_ns() - t0
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One SQLite transaction around the writes in the block, under the writer lock, committed
        (durable) when it ends or rolled back on an exception; a block inside another joins the outer
        one. One commit per message handled instead of one per write: commits are the table's main cost."""
        if self.db.in_transaction:
            yield
            return
        with self.locked():
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")
            self._commits += 1

    @contextlib.contextmanager
    def savepoint(self) -> Iterator[None]:
        """Inside a transaction: the writes of the block are undone alone on an exception (one message
        of a group commit failing leaves the others' writes in place)."""
        self.db.execute("SAVEPOINT one")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK TO one")
            self.db.execute("RELEASE one")
            raise
        self.db.execute("RELEASE one")

    def forget(self, sid: bytes) -> None:
        """Drop a session from memory only (its row was rolled back)."""
        e = self.by_sid.pop(sid, None)
        if e is not None and self.by_client.get(address_key(e.client_address)) == sid:
            del self.by_client[address_key(e.client_address)]
        self._dirty.discard(sid)

    def acknowledged(self, sid: bytes) -> None:
        """The CCS installed the session: forget its stored key material."""
        with self.transaction():
            self.db.execute("DELETE FROM pending_key_material WHERE session_id = ?", (sid,))

    def owner_of_session(self, sid: bytes) -> int | None:
        """The process that holds a session (its row, or its close still under way), from the file."""
        row = self.db.execute("SELECT owner FROM relay WHERE session_id = ?", (sid,)).fetchone()
        if row is None:
            row = self.db.execute(
                "SELECT owner FROM closing WHERE session_id = ? AND until >= ?", (sid, self.clock.now())
            ).fetchone()
        return None if row is None else int(row[0])

    def owner_of_client(self, addr: Address) -> int | None:
        """The process that holds the session of a client address, from the file."""
        row = self.db.execute(
            "SELECT owner FROM relay WHERE client_address = ?", (address_text(addr),)
        ).fetchone()
        return None if row is None else int(row[0])

    def foreign_for_client(self, addr: Address) -> list[RelayEntry]:
        """Sessions of this client address that other processes hold (the client moved to us)."""
        rows = self.db.execute(
            "SELECT session_id, ccs_name, ccs_address, created, last_used FROM relay"
            " WHERE client_address = ? AND owner != ?", (address_text(addr), self.owner)
        ).fetchall()
        return [RelayEntry(bytes(r[0]), r[1], address_from_text(r[2]), addr, r[3], r[4]) for r in rows]

    def drop_foreign(self, sid: bytes) -> None:
        """Delete another process's session row (its client handshook again with us)."""
        with self.transaction():
            self.db.execute("DELETE FROM relay WHERE session_id = ?", (sid,))
            self.db.execute("DELETE FROM pending_key_material WHERE session_id = ?", (sid,))

    def note_closing(self, sid: bytes, until: float) -> None:
        """A session of ours is closing: frames for it still find us until `until`."""
        with self.transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO closing VALUES (?, ?, ?)", (sid, self.owner, until)
            )

    def pending_key_material(self) -> list[tuple[bytes, int, bytearray]]:
        """(session id, counter, sealed message) of every hand-off not yet acknowledged, by counter."""
        rows = self.db.execute(
            "SELECT session_id, counter, message FROM pending_key_material ORDER BY counter"
        )
        return [(bytes(sid), int(c), bytearray(m)) for sid, c, m in rows if bytes(sid) in self.by_sid]

    def get(self, sid: bytes) -> RelayEntry | None:
        """The session with this id, or None."""
        return self.by_sid.get(sid)

    def for_client(self, addr: Address) -> RelayEntry | None:
        """The session of a client address, or None."""
        sid = self.by_client.get(address_key(addr))
        return None if sid is None else self.by_sid.get(sid)

    def touch(self, e: RelayEntry, now: float | None = None) -> None:
        """Mark a session used now (written at the next flush)."""
        e.last_used = self.clock.now() if now is None else now
        self._dirty.add(e.session_id)

    def remove(self, sid: bytes) -> RelayEntry | None:
        """Forget a session; the removed entry or None."""
        e = self.by_sid.pop(sid, None)
        if e is not None:
            key = address_key(e.client_address)
            if self.by_client.get(key) == sid:
                del self.by_client[key]
            self._dirty.discard(sid)
            with self.transaction():
                self.db.execute("DELETE FROM relay WHERE session_id = ?", (sid,))
                self.db.execute("DELETE FROM pending_key_material WHERE session_id = ?", (sid,))
        return e

    def expire(self, idle_before: float) -> list[RelayEntry]:
        """Remove and return the sessions unused since `idle_before`."""
        gone = [e for e in self.by_sid.values() if e.last_used < idle_before]
        if gone:
            with self.transaction():
                for e in gone:
                    self.remove(e.session_id)
        return gone

    def flush(self) -> None:
        """Write pending last-used times to SQLite (and forget closes that are over)."""
        if self._dirty:
            rows = [(self.by_sid[s].last_used, s) for s in self._dirty if s in self.by_sid]
            with self.transaction():
                self.db.executemany("UPDATE relay SET last_used = ? WHERE session_id = ?", rows)
                self.db.execute(
                    "DELETE FROM closing WHERE owner = ? AND until < ?", (self.owner, self.clock.now())
                )
            self._dirty.clear()

    # -- anti-replay counters

    def next_tx_counter(self, ccs: str) -> int:
        """The next SSM->CCS message counter for a CCS, durable (one increasing sequence for every
        process on the file). Called in the caller's transaction, it commits with the message's row."""
        with self.transaction():
            row = self.db.execute(
                "SELECT tx_reserved FROM ccs_counters WHERE ccs_name = ?", (ccs,)
            ).fetchone()
            nxt = max(int(row[0]), 1) if row is not None else 1  # tx_reserved: the next unused one
            self.db.execute(
                "INSERT INTO ccs_counters (ccs_name, tx_reserved, rx_last) VALUES (?, ?, 0)"
                " ON CONFLICT(ccs_name) DO UPDATE SET tx_reserved = excluded.tx_reserved",
                (ccs, nxt + 1),
            )
        return nxt

    def rx_floor(self, ccs: str) -> int:
        """CCS counters at or below this are refused before decryption (as last seen by this process;
        `accept_rx` decides on the file's state)."""
        last = self._rx.get(ccs, 0)
        return max(0, last - self.rx_window - 1) if self.rx_window else last

    def accept_rx(self, ccs: str, counter: int) -> None:
        """Take an authenticated CCS counter, durably, before the caller acts on its message: accepted
        once, above the highest so far or (with `rx_window`) not yet seen within the window below it;
        ProtocolError("replay") otherwise. Joins the caller's transaction."""
        full = (1 << self.rx_window) - 1
        with self.transaction():
            row = self.db.execute(
                "SELECT rx_last, rx_mask FROM ccs_counters WHERE ccs_name = ?", (ccs,)
            ).fetchone()
            last, mask = (int(row[0]), int(row[1])) if row is not None else (0, 0)
            if counter > last:  # bit i of the mask: counter last - 1 - i was accepted
                shift = counter - last
                mask = ((mask << shift) | (1 << (shift - 1))) & full if shift <= self.rx_window else 0
                last = counter
            else:
                bit = last - counter - 1
                if bit < 0 or bit >= self.rx_window or mask >> bit & 1:
                    self._rx[ccs] = last
                    raise ProtocolError("replay", f"CCS counter {counter} already used (highest {last})")
                mask |= 1 << bit
            self.db.execute(
                "INSERT INTO ccs_counters (ccs_name, tx_reserved, rx_last, rx_mask) VALUES (?, 1, ?, ?)"
                " ON CONFLICT(ccs_name) DO UPDATE SET rx_last = excluded.rx_last, rx_mask = excluded.rx_mask",
                (ccs, last, mask),
            )
        self._rx[ccs] = last

    def reset_counters(self, ccs: str) -> None:
        """Start a CCS's counters afresh (both ways): for a new PSK_DN, under which reusing counter
        values as CCM nonces is safe, and which the CCS also starts at 1 (secure bootstrapping)."""
        self._rx.pop(ccs, None)
        with self.transaction():
            self.db.execute("DELETE FROM ccs_counters WHERE ccs_name = ?", (ccs,))

    def checkpoint(self) -> None:
        """With several processes: copy committed pages from the WAL into the database file (PASSIVE:
        never waits for writers, not under the writer lock) if anything was committed since the last
        time, by this connection or another; the delegator's housekeeping calls it."""
        if not self._checkpoints:  # one process: SQLite's own checkpoint after every ~1000 pages
            return
        version = self.db.execute("PRAGMA data_version").fetchone()[0]
        if self._commits or version != self._data_version:
            self.db.execute("PRAGMA wal_checkpoint(PASSIVE)")
            self._commits, self._data_version = 0, version

    def close(self) -> None:
        """Flush and close the database."""
        self.flush()
        self.db.close()
        os.close(self._lock_fd)
