"""The relay reference table (paper, Table 2) in SQLite: session id -> CCS name and address, client
address, created, last used. It holds no key material, only routing facts, and survives SSM restarts.

Lookups are served from memory (relaying must stay well under a millisecond); inserts and deletes are
written through at once, `last_used` is flushed in batches. The same file keeps the SSM's anti-replay
counters per CCS: send counters are reserved in blocks, so a restart never reuses one; the last counter
accepted from a CCS is written before the SSM acts on the message, so a replay after a crash is refused.
A session's sealed KEY_MATERIAL is written with its row (one transaction) before it is sent, and deleted
at its KEY_ACK: after a crash the SSM resends exactly those bytes (write-ahead, issue 16 item 4).

Durability: WAL with synchronous=NORMAL, so every commit survives the SSM process dying (kill -9); a
power cut may lose the last commits (synchronous=FULL would close that at one fsync per hand-off).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from harness.clock import Clock, WallClock
from harness.udp import Address

COUNTER_BLOCK = 1024

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
"""


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
    """Routing facts per relayed session, persisted in SQLite; timestamps come from `clock`."""

    def __init__(self, path: Path, clock: Clock | None = None) -> None:
        self.clock: Clock = clock if clock is not None else WallClock()
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(self.path), isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA secure_delete=ON")  # acknowledged key material is overwritten, not left
        self.db.execute("PRAGMA cache_size=-512")  # 512 KiB: lookups are served from memory, not from pages
        self.db.executescript(SCHEMA)
        self.by_sid: dict[bytes, RelayEntry] = {}
        self.by_client: dict[tuple[str, int], bytes] = {}
        self._dirty: set[bytes] = set()
        self._tx: dict[str, list[int]] = {}  # ccs -> [next counter, reserved limit]
        self._rx: dict[str, int] = {}
        for row in self.db.execute("SELECT * FROM relay"):
            e = RelayEntry(
                bytes(row[0]), row[1], address_from_text(row[2]), address_from_text(row[3]), row[4], row[5]
            )
            self._index(e)
        for name, reserved, rx in self.db.execute("SELECT * FROM ccs_counters"):
            self._tx[name] = [max(reserved, 1), reserved]  # resume above anything possibly used before
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
                "INSERT OR REPLACE INTO relay VALUES (?, ?, ?, ?, ?, ?)",
                (
                    e.session_id,
                    e.ccs_name,
                    address_text(e.ccs_address),
                    address_text(e.client_address),
                    e.created,
                    e.last_used,
                ),
            )
            if key_material is not None:
                self.db.execute(
                    "INSERT OR REPLACE INTO pending_key_material VALUES (?, ?, ?)",
                    (e.session_id, key_material[0], bytes(key_material[1])),
                )

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One SQLite transaction around the writes in the block, committed (durable) when it ends or
        rolled back on an exception; a block inside another joins the outer one. One commit per
        message handled instead of one per write: commits are the table's main cost."""
        if self.db.in_transaction:
            yield
            return
        self.db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def acknowledged(self, sid: bytes) -> None:
        """The CCS installed the session: forget its stored key material."""
        self.db.execute("DELETE FROM pending_key_material WHERE session_id = ?", (sid,))

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
            self.db.execute("DELETE FROM relay WHERE session_id = ?", (sid,))
            self.db.execute("DELETE FROM pending_key_material WHERE session_id = ?", (sid,))
        return e

    def expire(self, idle_before: float) -> list[RelayEntry]:
        """Remove and return the sessions unused since `idle_before`."""
        gone = [e for e in self.by_sid.values() if e.last_used < idle_before]
        for e in gone:
            self.remove(e.session_id)
        return gone

    def flush(self) -> None:
        """Write pending last-used times to SQLite."""
        if self._dirty:
            rows = [(self.by_sid[s].last_used, s) for s in self._dirty if s in self.by_sid]
            self.db.execute("BEGIN")
            self.db.executemany("UPDATE relay SET last_used = ? WHERE session_id = ?", rows)
            self.db.execute("COMMIT")
            self._dirty.clear()

    # -- anti-replay counters

    def next_tx_counter(self, ccs: str) -> int:
        """The next SSM->CCS message counter for a CCS (reserved ahead in SQLite)."""
        nxt, limit = self._tx.get(ccs, [1, 0])
        if nxt >= limit:
            limit = nxt + COUNTER_BLOCK
            self.db.execute(
                "INSERT INTO ccs_counters VALUES (?, ?, ?)"
                " ON CONFLICT(ccs_name) DO UPDATE SET tx_reserved = ?",
                (ccs, limit, self._rx.get(ccs, 0), limit),
            )
        self._tx[ccs] = [nxt + 1, limit]
        return nxt

    def rx_last(self, ccs: str) -> int:
        """The last counter accepted from a CCS."""
        return self._rx.get(ccs, 0)

    def set_rx_last(self, ccs: str, counter: int) -> None:
        """Record the last counter accepted from a CCS, durably, before the caller acts on its message."""
        self._rx[ccs] = counter
        self.db.execute(
            "INSERT INTO ccs_counters VALUES (?, ?, ?) ON CONFLICT(ccs_name) DO UPDATE SET rx_last = ?",
            (ccs, self._tx.get(ccs, [1, 0])[1], counter, counter),
        )

    def reset_counters(self, ccs: str) -> None:
        """Start a CCS's counters afresh (both ways): for a new PSK_DN, under which reusing counter
        values as CCM nonces is safe, and which the CCS also starts at 1 (secure bootstrapping)."""
        self._tx.pop(ccs, None)
        self._rx.pop(ccs, None)
        self.db.execute("DELETE FROM ccs_counters WHERE ccs_name = ?", (ccs,))

    def close(self) -> None:
        """Flush and close the database."""
        self.flush()
        self.db.close()
