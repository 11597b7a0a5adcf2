"""The relay reference table: persistence, replacement per client address, counters never reused, one
counter sequence and one replay window for several processes on one file, rows per owning process."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from harness.ssm.relay_table import RESERVE_BLOCK, RelayEntry, RelayTable
from harness.wire.ssm import ProtocolError


def entry(sid: bytes, client: tuple, t: float = 1.0) -> RelayEntry:
    return RelayEntry(sid, "s1", ("127.0.0.1", 61617), client, t, t)


def test_persists_and_reloads(tmp_path):
    t = RelayTable(tmp_path / "r.sqlite")
    t.add(entry(b"A" * 8, ("127.0.0.1", 4000)))
    t.add(entry(b"B" * 8, ("::1", 4001, 0, 0)))
    a = t.get(b"A" * 8)
    assert a is not None
    t.touch(a, now=50.0)
    t.close()
    t2 = RelayTable(tmp_path / "r.sqlite")
    assert len(t2) == 2
    a2, b2 = t2.get(b"A" * 8), t2.for_client(("::1", 4001))
    assert a2 is not None and a2.last_used == 50.0
    assert b2 is not None and b2.session_id == b"B" * 8
    gone = t2.expire(idle_before=10.0)  # B was last used at 1.0, A at 50.0
    assert [e.session_id for e in gone] == [b"B" * 8] and len(t2) == 1
    t2.close()


def test_new_handshake_from_same_client_replaces_session(tmp_path):
    t = RelayTable(tmp_path / "r.sqlite")
    t.add(entry(b"A" * 8, ("127.0.0.1", 4000)))
    t.add(entry(b"C" * 8, ("127.0.0.1", 4000)))
    c = t.for_client(("127.0.0.1", 4000))
    assert len(t) == 1 and c is not None and c.session_id == b"C" * 8
    assert t.db.execute("SELECT COUNT(*) FROM relay").fetchone()[0] == 1
    t.close()


def test_counters_strictly_increase_across_restarts(tmp_path):
    seen: list[int] = []
    for _ in range(3):
        t = RelayTable(tmp_path / "r.sqlite")
        seen += [t.next_tx_counter("s1") for _ in range(5)]
        t.close()  # an SSM restart (or crash: each counter is committed before its message leaves)
    assert seen == list(range(1, 16))


def _draw(path: str, owner: int, n: int, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    t = RelayTable(Path(path), owner=owner, shards=2)
    out.put((owner, [t.next_tx_counter("s1") for _ in range(n)]))
    t.close()


def test_processes_share_one_counter_sequence(tmp_path):
    """Two processes drawing counters for one CCS at once get one sequence between them: no counter
    twice, each its own part in increasing order (blocks reserved ahead; a block that fell behind the
    other process's is dropped, so there may be gaps, never a reuse)."""
    t = RelayTable(tmp_path / "r.sqlite", shards=2)  # creates the file
    t.close()
    mp = multiprocessing.get_context("spawn")
    out = mp.Queue()
    procs = [mp.Process(target=_draw, args=(str(tmp_path / "r.sqlite"), k, 300, out)) for k in (0, 1)]
    for p in procs:
        p.start()
    got = dict(out.get(timeout=60) for _ in procs)
    for p in procs:
        p.join(30)
    assert all(seq == sorted(seq) for seq in got.values())
    both = sorted(got[0] + got[1])
    assert len(set(both)) == 600 and both[0] >= 1
    assert both[-1] <= 600 * RESERVE_BLOCK  # a dropped block wastes less than a block


def test_ccs_counter_window(tmp_path):
    """With a window, a CCS counter below the highest is accepted once; without, only above."""
    w = RelayTable(tmp_path / "w.sqlite", rx_window=32)
    for c in (5, 3, 4, 40, 9, 39):
        w.accept_rx("s1", c)
    for c in (5, 3, 40, 39, 7, 0):  # used, or more than 32 below 40
        with pytest.raises(ProtocolError, match="replay"):
            w.accept_rx("s1", c)
    w.accept_rx("s1", 8)  # 32 below: the window's last one
    assert w.rx_floor("s1") == 7
    other = RelayTable(tmp_path / "w.sqlite", owner=1, rx_window=32)  # another process: the file decides
    with pytest.raises(ProtocolError):
        other.accept_rx("s1", 9)
    other.accept_rx("s1", 10)
    with pytest.raises(ProtocolError):
        w.accept_rx("s1", 10)
    strict = RelayTable(tmp_path / "s.sqlite")
    strict.accept_rx("s1", 5)
    with pytest.raises(ProtocolError):
        strict.accept_rx("s1", 4)
    strict.accept_rx("s1", 6)
    for t in (w, other, strict):
        t.close()


def test_rows_per_owner(tmp_path):
    """A process loads its own rows; the others find the owner in the file; a smaller group's first
    process takes the rows of processes that no longer exist."""
    a = RelayTable(tmp_path / "r.sqlite", owner=0, shards=3)
    b = RelayTable(tmp_path / "r.sqlite", owner=2, shards=3)
    a.add(entry(b"A" * 8, ("127.0.0.1", 4000)))
    b.add(entry(b"B" * 8, ("127.0.0.1", 4001)))
    assert a.owner_of_session(b"B" * 8) == 2 and b.owner_of_client(("127.0.0.1", 4000)) == 0
    assert a.owner_of_session(b"C" * 8) is None
    b.note_closing(b"D" * 8, until=1e12)
    assert a.owner_of_session(b"D" * 8) == 2
    assert [e.session_id for e in b.foreign_for_client(("127.0.0.1", 4000))] == [b"A" * 8]
    a.close()
    b.close()
    assert len(RelayTable(tmp_path / "r.sqlite", owner=2, shards=3)) == 1
    shrunk = RelayTable(tmp_path / "r.sqlite", owner=0, shards=2)  # owner 2 % 2 = 0
    assert sorted(shrunk.by_sid) == [b"A" * 8, b"B" * 8]
    shrunk.close()


def test_savepoint_undoes_one_message_of_a_group_alone(tmp_path):
    """Group commit: in one transaction, a failing message's writes (savepoint) are undone, the others
    commit; a replayed CCS counter inside the group is refused without undoing the rest."""
    t = RelayTable(tmp_path / "r.sqlite")
    with t.transaction():
        with t.savepoint():
            t.add(entry(b"A" * 8, ("127.0.0.1", 4000)), (t.next_tx_counter("s1"), b"km-a"))
            t.accept_rx("s1", 1)
        with pytest.raises(RuntimeError), t.savepoint():
            t.add(entry(b"B" * 8, ("127.0.0.1", 4001)), (t.next_tx_counter("s1"), b"km-b"))
            raise RuntimeError("this message fails")
        t.forget(b"B" * 8)
        with pytest.raises(ProtocolError), t.savepoint():
            t.accept_rx("s1", 1)
        with t.savepoint():
            t.add(entry(b"C" * 8, ("127.0.0.1", 4002)), (t.next_tx_counter("s1"), b"km-c"))
    assert t.get(b"B" * 8) is None and t.for_client(("127.0.0.1", 4001)) is None
    t.close()
    t2 = RelayTable(tmp_path / "r.sqlite")
    assert sorted(e.session_id for e in t2.by_sid.values()) == [b"A" * 8, b"C" * 8]
    # B's counter is not rolled back with its row (the counter file is not part of the transaction): it
    # is never used, C has counter 3, and the next is 4
    assert [(s, c) for s, c, _ in t2.pending_key_material()] == [(b"A" * 8, 1), (b"C" * 8, 3)]
    assert t2.next_tx_counter("s1") == 4 and t2.rx_floor("s1") == 1
    t2.close()


def test_quota_columns_shared(tmp_path):
    """A row keeps its identity across a reload; the other processes' sessions of an identity or of a
    client host are found in their files (the shared quotas), ours are not among them."""
    a = RelayTable(tmp_path / "r.sqlite", owner=0, shards=2)
    b = RelayTable(tmp_path / "r.sqlite", owner=1, shards=2)
    e = entry(b"A" * 8, ("127.0.0.9", 4000), t=5.0)
    e.identity = b"alice"
    a.add(e)
    b.add(entry(b"B" * 8, ("127.0.0.9", 4001), t=6.0))
    assert b.foreign_sessions_of(b"alice", None) == [(5.0, 0, b"A" * 8)]
    assert a.foreign_sessions_of(b"alice", None) == []
    assert a.foreign_sessions_of(None, "127.0.0.9") == [(6.0, 1, b"B" * 8)]
    a.close()
    b.close()
    again = RelayTable(tmp_path / "r.sqlite", owner=0, shards=2)
    got = again.get(b"A" * 8)
    assert got is not None and got.identity == b"alice"
    again.close()
