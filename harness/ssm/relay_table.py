"""The relay reference table (paper, Table 2) in SQLite: session id -> CCS name and address, client
address, created, last used. It holds no key material, only routing facts, and survives SSM restarts.

Lookups are served from memory (relaying must stay well under a millisecond); inserts and deletes are
written through at once, `last_used` is flushed in batches. A session's sealed KEY_MATERIAL is written
with its row (one transaction) before it is sent, and deleted at its KEY_ACK: after a crash the SSM
resends exactly those bytes (write-ahead, issue 16 item 4).

Several processes (`[ssm] processes`): each keeps its rows in a SQLite file of its own (process 0 in
`<db>`, process k in `<db>.p<k>`; its own WAL, committed in parallel with the others', no lock between
processes), and reads the others' files (read transactions only, WAL readers never wait) to find which
process holds a session or a client address (`owner_of_session`, `owner_of_client`), to forward there.
A process loads its own file; the files of processes that no longer exist (a smaller group after a
restart or a failover) are taken over by process k % N. What all processes share is the SSM's
anti-replay counters per CCS, in a small mapped file (`<db>.counters`, harness/ssm/counter_file.py): the
next send counter, reserved ahead in blocks, the highest sent, and the window of CCS counters accepted.
`locked()` is that file's lock; it is what stays serial between the processes.

Durability: WAL with synchronous=NORMAL, so every commit survives the SSM process dying (kill -9); the
counter file's stores are in the page cache at once and survive it too. A power cut may lose the last
commits and stores (synchronous=FULL and an msync per reserved block would close that).
WAL checkpoints run in a thread of their own (`checkpoint` on its own connection), never on the event
loop: SQLite's automatic checkpoint inside a commit is off.
"""

from __future__ import annotations

import contextlib
import glob
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.clock import Clock, WallClock
from harness.ssm.counter_file import CounterFile
from harness.udp import Address

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
    # quotas shared by the processes (the PSK identity or raw public key, the client's host)
    ("relay", "identity", "ALTER TABLE relay ADD COLUMN identity BLOB"),
    ("relay", "client_host", "ALTER TABLE relay ADD COLUMN client_host TEXT"),
)
INDEXES = """
CREATE INDEX IF NOT EXISTS relay_identity ON relay (identity);
CREATE INDEX IF NOT EXISTS relay_host ON relay (client_host);
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
    identity: bytes | None = None  # the client's PSK identity (b"rpk:" + x for a raw public key)


def shard_path(db: Path, shard: int) -> Path:
    """The relay-table file of delegator process `shard` (process 0: the configured `db` itself)."""
    db = Path(db)
    return db if shard == 0 else db.with_name(f"{db.name}.p{shard}")


def counter_path(db: Path) -> Path:
    """The counter file shared by the delegator processes of the relay table `db`."""
    db = Path(db)
    return db.with_name(db.name + ".counters")


def shard_files(db: Path) -> dict[int, Path]:
    """The relay-table files of every process that ever ran on `db`, by process index."""
    db = Path(db)
    out = {0: db} if db.exists() else {}
    for f in db.parent.glob(glob.escape(db.name) + ".p*"):
        k = f.name[len(db.name) + 2 :]
        if k.isdigit() and int(k) > 0:
            out[int(k)] = f
    return out


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            Path(str(path) + suffix).unlink()


def remove_table(db: Path) -> None:
    """Delete the relay table `db` for a fresh start: every process's file and the counter file (the
    counters alone would outlive the rows and reject a restarted CCS's first counters as replays)."""
    for f in shard_files(db).values():
        _remove_sqlite(f)
    _remove_sqlite(Path(db))
    counter_path(db).unlink(missing_ok=True)


# counters reserved at a time per CCS by each of several processes (one process: 1, every counter in
# order); small next to the CCS's window of 32 (counter_file.STALE_TAKE, SEND_SLACK)
RESERVE_BLOCK = 4
# s between WAL checkpoints (in the checkpoint thread, when something was written): often enough that
# the WAL stays near SQLite's own 1000-page checkpoint size at a few thousand hand-offs/s
CHECKPOINT_EVERY = 0.1
WAL_LIMIT = 4 << 20  # bytes a WAL file is cut back to after a checkpoint (journal_size_limit)


class RelayTable:
    """Routing facts per relayed session, persisted in SQLite; timestamps come from `clock`. `owner` is
    this process's index among the delegator processes sharing the table (`shards` of them); `rx_window`
    how far below the highest accepted CCS counter a not yet seen one is still accepted (0: only above)."""

    def __init__(
        self, path: Path, clock: Clock | None = None, *, owner: int = 0, shards: int = 1, rx_window: int = 0
    ) -> None:
        self.clock: Clock = clock if clock is not None else WallClock()
        self.base = Path(path)
        self.path = shard_path(self.base, owner)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.owner, self.shards, self.rx_window = owner, shards, rx_window
        self.counters = CounterFile(counter_path(self.base), block=RESERVE_BLOCK if shards > 1 else 1)
        self.db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA secure_delete=ON")  # acknowledged key material is overwritten, not left
        self.db.execute("PRAGMA cache_size=-512")  # 512 KiB: lookups are served from memory, not pages
        self.db.execute("PRAGMA busy_timeout=5000")  # another process deleting a row it replaced (rare)
        # no checkpoint inside a commit (it fsyncs, on the event loop): the checkpoint thread runs them
        self.db.execute("PRAGMA wal_autocheckpoint=0")
        self.db.execute(f"PRAGMA journal_size_limit={WAL_LIMIT}")
        self.db.executescript(SCHEMA)
        for table, column, sql in MIGRATIONS:
            if column not in {r[1] for r in self.db.execute(f"PRAGMA table_info({table})")}:
                self.db.execute(sql)
        self.db.executescript(INDEXES)
        if owner == 0:  # an older table kept the counters in ccs_counters: they continue from there
            rows = self.db.execute("SELECT ccs_name, tx_reserved, rx_last, rx_mask FROM ccs_counters")
            self.counters.import_once([(str(n), int(t), int(r), int(m)) for n, t, r, m in rows])
        self._take_over_orphans()
        self._peers: dict[int, sqlite3.Connection] = {}
        self._foreign_owner: dict[bytes, int] = {}
        self.by_sid: dict[bytes, RelayEntry] = {}
        self.by_client: dict[tuple[str, int], bytes] = {}
        self._dirty: set[bytes] = set()
        for row in self.db.execute(
            "SELECT session_id, ccs_name, ccs_address, client_address, created, last_used, identity"
            " FROM relay"
        ):
            e = RelayEntry(
                bytes(row[0]), row[1], address_from_text(row[2]), address_from_text(row[3]), row[4], row[5],
                None if row[6] is None else bytes(row[6]),
            )
            self._index(e)
        self._ckpt_stop = threading.Event()
        self._ckpt = threading.Thread(target=self._checkpoints, name=f"relay-checkpoint-{owner}", daemon=True)
        self._ckpt.start()

    def _take_over_orphans(self) -> None:
        """Move the rows of processes that no longer exist (index >= shards, ours: index % shards) into
        our file, then delete theirs (a crash in between: taken again, INSERT OR REPLACE)."""
        for k, f in sorted(shard_files(self.base).items()):
            if k < self.shards or k % self.shards != self.owner:
                continue
            src = sqlite3.connect(str(f), isolation_level=None)
            try:
                src.execute("PRAGMA busy_timeout=5000")
                have = {r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                with self.transaction():
                    for table in ("relay", "pending_key_material", "closing"):
                        if table not in have:
                            continue
                        cols = [r[1] for r in src.execute(f"PRAGMA table_info({table})")]
                        rows = src.execute(f"SELECT {', '.join(cols)} FROM {table}").fetchall()
                        if table != "pending_key_material" and "owner" in cols:
                            at = cols.index("owner")
                            rows = [(*r[:at], self.owner, *r[at + 1 :]) for r in rows]
                        self.db.executemany(
                            f"INSERT OR REPLACE INTO {table} ({', '.join(cols)})"
                            f" VALUES ({', '.join('?' * len(cols))})", rows,
                        )
            finally:
                src.close()
            _remove_sqlite(f)

    def _index(self, e: RelayEntry) -> None:
        self.by_sid[e.session_id] = e
        self.by_client[address_key(e.client_address)] = e.session_id

    def __len__(self) -> int:
        return len(self.by_sid)

    @property
    def lock_ns(self) -> int:
        """Wall time this process held the counter lock (ns): the serial part between the processes."""
        return self.counters.lock_ns

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
                " last_used, owner, identity, client_host) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    e.session_id,
                    e.ccs_name,
                    address_text(e.ccs_address),
                    address_text(e.client_address),
                    e.created,
                    e.last_used,
                    self.owner,
                    e.identity,
                    str(e.client_address[0]),
                ),
            )
            if key_material is not None:
                self.store_key_material(e.session_id, *key_material)

    def store_key_material(self, sid: bytes, counter: int, message: bytes | bytearray) -> None:
        """Store (or replace: sealed again under a fresh counter) a session's unacknowledged key material."""
        self.db.execute(
            "INSERT OR REPLACE INTO pending_key_material VALUES (?, ?, ?)", (sid, counter, bytes(message))
        )

    def locked(self) -> contextlib.AbstractContextManager[None]:
        """The counter lock of every process on this table, held for the block (re-entrant). A message
        whose counter is checked (`counters.may_send`) in the block and sent before it ends leaves in
        counter order with the other processes' messages."""
        return self.counters.locked()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One SQLite transaction around the writes in the block, committed (durable) when it ends or
        rolled back on an exception; a block inside another joins the outer one. This process's file
        only: no other process writes it (but for `drop_foreign`, rare), so no lock is taken."""
        if self.db.in_transaction:
            yield
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

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

    # -- the other processes' files

    def _peer(self, k: int) -> sqlite3.Connection | None:
        """A connection to process k's file (ours for k == owner), None while it does not exist."""
        if k == self.owner:
            return self.db
        conn = self._peers.get(k)
        if conn is None:
            f = shard_path(self.base, k)
            if not f.exists():
                return None
            conn = self._peers[k] = sqlite3.connect(str(f), isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout=5000")
        return conn

    def _ask_all(
        self, sql: str, args: tuple[object, ...], ours: bool = True
    ) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """(process, row) of a query on every process's file, ours first (unless not `ours`)."""
        for k in [self.owner] * ours + [j for j in range(self.shards) if j != self.owner]:
            conn = self._peer(k)
            if conn is None:
                continue
            try:
                rows = conn.execute(sql, args).fetchall()
            except sqlite3.OperationalError:  # its file is still being created
                continue
            for r in rows:
                yield k, r

    def owner_of_session(self, sid: bytes) -> int | None:
        """The process that holds a session (its row, or its close still under way), from the files."""
        if sid in self.by_sid:
            return self.owner
        for k, _ in self._ask_all("SELECT 1 FROM relay WHERE session_id = ?", (sid,), ours=False):
            return k
        for k, _ in self._ask_all(
            "SELECT 1 FROM closing WHERE session_id = ? AND until >= ?", (sid, self.clock.now())
        ):
            return k
        return None

    def owner_of_client(self, addr: Address) -> int | None:
        """The process that holds the session of a client address, from the files."""
        if address_key(addr) in self.by_client:
            return self.owner
        for k, _ in self._ask_all(
            "SELECT 1 FROM relay WHERE client_address = ?", (address_text(addr),), ours=False
        ):
            return k
        return None

    def foreign_for_client(self, addr: Address) -> list[RelayEntry]:
        """Sessions of this client address that other processes hold (the client moved to us)."""
        out = []
        for k, r in self._ask_all(
            "SELECT session_id, ccs_name, ccs_address, created, last_used FROM relay"
            " WHERE client_address = ?", (address_text(addr),), ours=False,
        ):
            sid = bytes(r[0])
            self._foreign_owner[sid] = k
            out.append(RelayEntry(sid, r[1], address_from_text(r[2]), addr, r[3], r[4]))
        return out

    def foreign_sessions_of(self, identity: bytes | None, host: str | None) -> list[tuple[float, int, bytes]]:
        """(created, process, session id) of the other processes' sessions of this identity, or of this
        client host (one of the two given): for the quotas, which count every process's sessions."""
        column, value = ("identity", identity) if identity is not None else ("client_host", host)
        return [(float(r[1]), k, bytes(r[0])) for k, r in self._ask_all(
            f"SELECT session_id, created FROM relay WHERE {column} = ?", (value,), ours=False
        )]

    def drop_foreign(self, sid: bytes) -> None:
        """Delete another process's session row (its client handshook again with us), in its file."""
        k = self._foreign_owner.pop(sid, None)
        conn = self._peer(k) if k is not None else None
        if conn is None or k == self.owner:
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM relay WHERE session_id = ?", (sid,))
            conn.execute("DELETE FROM pending_key_material WHERE session_id = ?", (sid,))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

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

    # -- anti-replay counters (the shared counter file)

    def next_tx_counter(self, ccs: str) -> int:
        """The next SSM->CCS message counter for a hand-off, stored before it returns (one sequence for
        every process on the table; with several, from this process's reserved block: see counter_file)."""
        return self.counters.take(ccs)

    def rx_floor(self, ccs: str) -> int:
        """CCS counters at or below this are refused before decryption (as last seen; `accept_rx`
        decides under the lock)."""
        last = self.counters.rx_last(ccs)
        return max(0, last - self.rx_window - 1) if self.rx_window else last

    def accept_rx(self, ccs: str, counter: int) -> None:
        """Take an authenticated CCS counter, durably, before the caller acts on its message: accepted
        once, above the highest so far or (with `rx_window`) not yet seen within the window below it;
        ProtocolError("replay") otherwise."""
        self.counters.accept_rx(ccs, counter, self.rx_window)

    def reset_counters(self, ccs: str) -> None:
        """Start a CCS's counters afresh (both ways): for a new PSK_DN, under which reusing counter
        values as CCM nonces is safe, and which the CCS also starts at 1 (secure bootstrapping)."""
        self.counters.reset(ccs)

    # -- checkpoints, off the event loop

    def _checkpoints(self) -> None:
        """The checkpoint thread: copy committed pages from the WAL into the database file (PASSIVE: never
        waits for a writer) every CHECKPOINT_EVERY seconds when something was committed since (the
        writer then starts the WAL over, cut back to WAL_LIMIT)."""
        conn = sqlite3.connect(str(self.path), isolation_level=None)
        conn.execute(f"PRAGMA journal_size_limit={WAL_LIMIT}")
        try:
            version = -1
            while not self._ckpt_stop.wait(CHECKPOINT_EVERY):
                now = conn.execute("PRAGMA data_version").fetchone()[0]
                if now != version:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                    version = now
        except sqlite3.Error:  # pragma: no cover - the file went away under us (a test's tmp dir)
            pass
        finally:
            conn.close()

    def checkpoint(self) -> None:
        """Copy the WAL back into the database file now (PASSIVE), on this thread (tests, shutdown)."""
        self.db.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def close(self) -> None:
        """Flush and close the database, the other processes' files and the counter file."""
        self._ckpt_stop.set()
        self._ckpt.join(5)
        self.flush()
        self.db.close()
        for conn in self._peers.values():
            conn.close()
        self._peers.clear()
        self.counters.close()
