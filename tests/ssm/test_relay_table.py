"""The relay reference table: persistence, replacement per client address, counters never reused."""

from __future__ import annotations

from harness.ssm.relay_table import COUNTER_BLOCK, RelayEntry, RelayTable


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
        t.close()  # an SSM restart (or crash: the block was reserved before use)
    assert seen == sorted(seen) and len(set(seen)) == len(seen)
    assert seen[5] >= COUNTER_BLOCK  # resumed above the reserved block
