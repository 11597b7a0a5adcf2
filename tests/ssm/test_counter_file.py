"""The counter file several delegator processes share (harness/ssm/counter_file.py): blocks reserved
ahead, a block that fell behind dropped and never used, counters of two processes interleaved and every
message accepted by the CCS's real replay window (the firmware's C, as the stand-in CCS runs it), and
a process killed (SIGKILL) with a reserved block: none of its counters comes back."""

from __future__ import annotations

import contextlib
import random
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness.ssm import protocol
from harness.ssm.counter_file import CCS_WINDOW, SEND_SLACK, STALE_TAKE, CounterFile
from harness.ssm.protocol import KeyState
from harness.standin.ccs import StandinCcs

PSK_DN = bytes.fromhex("000102030405060708090a0b0c0d0e0f")


def _keystate(rng: random.Random) -> KeyState:
    return KeyState(
        rng.randbytes(8), 0xC0A8, 0xFEFD, 1, 1, 1, 0, 1,
        bytearray(rng.randbytes(16)), bytearray(rng.randbytes(16)),
        bytearray(rng.randbytes(4)), bytearray(rng.randbytes(4)),
    )


def test_window_constants_match_the_firmware():
    """The send check leaves room inside the CCS's window, which is the firmware's."""
    from harness.hostfw.record import ensure_record_extension

    _, lib = ensure_record_extension()
    assert CCS_WINDOW == lib.ESSE_RX_WINDOW and STALE_TAKE < SEND_SLACK < CCS_WINDOW


def test_blocks_reserved_ahead_and_a_stale_block_dropped(tmp_path):
    """Each process takes counters from a block of its own; when the others have reserved so many since
    that its next counter is STALE_TAKE behind, the rest of its block is dropped (never used by anyone),
    and a CCS whose counters were reset (new PSK_DN) drops every older block."""
    f = tmp_path / "r.sqlite.counters"
    a, b = CounterFile(f, block=4), CounterFile(f, block=4)
    assert [a.take("s1"), a.take("s1")] == [1, 2]
    taken_b = [b.take("s1") for _ in range(2)]
    assert taken_b == [5, 6]  # b's block is 5..8: reserved, not a's 3, 4
    assert a.take("s1") == 3  # still fresh: a goes on in its block
    taken_b += [b.take("s1") for _ in range(STALE_TAKE)]
    nxt = a.tx_next("s1")
    assert a.take("s1") == nxt  # 4 fell behind: dropped, a new block
    assert 4 not in taken_b and all(c > 4 for c in taken_b[2:])
    a.reset("s1")
    assert a.take("s1") == 1
    assert b.take("s1") == 5  # b's block is of the old epoch: dropped, a new one after a's 1..4
    a.close()
    b.close()


def _send(cf: CounterFile, ccs: StandinCcs, msg: bytearray, counter: int, body: bytes) -> tuple[int, int]:
    """The delegator's send step (Delegator._send_key_material): under the lock, the counter to send
    with, sealed again when it changed; the CCS's replies. (acks, resealed)."""
    with cf.locked():
        use = cf.send_counter("s1", counter)
        if use != counter:
            msg = protocol.seal_key_material(PSK_DN, use, bytearray(body))
        replies = ccs.handle(bytes(msg))
    return sum(1 for r in replies if r[0] == protocol.MSG_KEY_ACK), int(use != counter)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_two_processes_interleaved_all_accepted_by_the_ccs(tmp_path, seed):
    """Two processes seal hand-offs under counters of their own blocks and send them in groups, one
    process often holding a sealed group while the other sends several: the stand-in CCS (the firmware's
    replay window, 32) installs every one, none is refused, no counter is used twice."""
    rng = random.Random(seed)
    f = tmp_path / "r.sqlite.counters"
    procs = [CounterFile(f, block=4), CounterFile(f, block=4)]
    ccs = StandinCcs(PSK_DN, max_sessions=100_000)
    held: list[list[tuple[bytearray, int, bytes]]] = [[], []]
    acks = resealed = total = 0
    used: set[int] = set()
    for _ in range(400):
        k = rng.randrange(2)
        if held[k] and rng.random() < 0.5:  # k sends its group
            for msg, counter, body in held[k]:
                got, again = _send(procs[k], ccs, msg, counter, body)
                acks += got
                resealed += again
            held[k] = []
            continue
        for _ in range(rng.randint(1, 6)):  # k seals a group (its counters from its block)
            body = bytes(_keystate(rng).encode())
            counter = procs[k].take("s1")
            assert counter not in used
            used.add(counter)
            held[k].append((protocol.seal_key_material(PSK_DN, counter, bytearray(body)), counter, body))
            total += 1
    for k in (0, 1):
        for msg, counter, body in held[k]:
            got, again = _send(procs[k], ccs, msg, counter, body)
            acks += got
            resealed += again
    assert acks == total and ccs.stats["km_installed"] == total, (acks, total, dict(ccs.stats))
    assert ccs.stats["km_rejected_replay"] == 0
    assert resealed < total // 4  # the exception, not the rule
    for p in procs:
        p.close()
    ccs.close()


def test_killed_process_reserved_block_never_reused(tmp_path):
    """A process holding a reserved block is killed (SIGKILL): the counters it took and the rest of its
    block are never handed out again, by a new process or a surviving one."""
    f = tmp_path / "r.sqlite.counters"
    survivor = CounterFile(f, block=4)
    first = survivor.take("s1")
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from pathlib import Path
            from harness.ssm.counter_file import CounterFile
            cf = CounterFile(Path({str(f)!r}), block=8)
            print(cf.take("s1"), cf.take("s1"), flush=True)
            time.sleep(60)
        """)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert child.stdout is not None
        dead = [int(v) for v in child.stdout.readline().split()]
        assert len(dead) == 2
    finally:
        child.kill()
        child.wait(10)
    block = set(range(dead[0], dead[0] + 8))
    fresh = CounterFile(f, block=4)
    after = [fresh.take("s1") for _ in range(20)] + [survivor.take("s1") for _ in range(20)]
    assert not block & set(after) and first not in after and len(set(after)) == len(after)
    survivor.close()
    fresh.close()


def test_accepted_ccs_counters_shared(tmp_path):
    """The window of accepted CCS counters is one for every process: a counter one accepted the other
    refuses; stores survive the process (the file is reopened)."""
    f = tmp_path / "r.sqlite.counters"
    a, b = CounterFile(f), CounterFile(f)
    a.accept_rx("s1", 10, 63)
    with pytest.raises(protocol.ProtocolError, match="replay"):
        b.accept_rx("s1", 10, 63)
    b.accept_rx("s1", 9, 63)
    a.close()
    b.close()
    c = CounterFile(f)
    assert c.rx_last("s1") == 10
    with pytest.raises(protocol.ProtocolError):
        c.accept_rx("s1", 9, 63)
    c.close()


def test_not_a_counter_file(tmp_path):
    """Another file at the counter file's path is refused with its name, not overwritten."""
    f = tmp_path / "r.sqlite.counters"
    f.write_bytes(b"something else" * 10)
    with pytest.raises(ValueError, match="not an ESSE counter file"):
        CounterFile(f)
    assert Path(f).read_bytes().startswith(b"something else")


def test_delegator_seals_again_a_message_that_fell_behind(tmp_path, rec, tinydtls):
    """A delegator process whose hand-off's counter fell SEND_SLACK behind by its send (another
    process sent 30 counters between its commit and its send) seals the key material again under a
    fresh counter, stores that before sending it (a second SQLite connection sees it as it leaves), and
    never sends the first: the stand-in CCS installs it and the client's GET is answered."""
    import asyncio

    from harness.ssm.relay_table import counter_path
    from harness.tinydtls.binding import PskStore
    from harness.tinydtls.udp import DtlsClient
    from tests.ssm.harness_fixtures import CLIENT_ID, CLIENT_KEY, coap_decode, get_temperature, ssm_and_ccs

    async def go() -> None:
        async with ssm_and_ccs(tmp_path, processes=2) as (d, ccs):  # process 0 of 2 (no sibling started)
            assert d.table is not None
            table = d.table
            other = CounterFile(counter_path(tmp_path / "relay.sqlite"), block=4)  # the other process
            sealed: list[int] = []
            add = table.add

            def add_then_other_sends(e, key_material=None):  # type: ignore[no-untyped-def]
                add(e, key_material)
                assert key_material is not None
                sealed.append(key_material[0])
                with other.locked():  # what process 1 sends meanwhile (its blocks, in order)
                    for _ in range(30):
                        other.send_counter("s1", other.take("s1"))

            table.add = add_then_other_sends  # type: ignore[method-assign]
            frames: list[bytes] = []
            send = d.ccs_transport.send

            def tap(addr, frame):  # type: ignore[no-untyped-def]
                frames.append(bytes(frame))
                if frame[0] == protocol.MSG_KEY_MATERIAL:  # write-ahead: stored (committed) as it leaves
                    with contextlib.closing(sqlite3.connect(tmp_path / "relay.sqlite")) as second:
                        stored = {r[0] for r in second.execute("SELECT counter FROM pending_key_material")}
                    assert int.from_bytes(frame[1:5], "big") in stored
                send(addr, frame)

            d.ccs_transport.send = tap  # type: ignore[method-assign]
            psk = PskStore({CLIENT_ID.encode(): CLIENT_KEY.encode()}, identity=CLIENT_ID.encode())
            c = await DtlsClient.create(psk=psk)
            server = ("127.0.0.1", d.client_port(4))
            try:
                await c.connect(server, timeout=10)
                answer = await c.request(server, get_temperature(3), timeout=10)
                assert coap_decode(answer).payload == b"22.5 C"
            finally:
                c.close()
            assert d.stats["key_material_resealed"] == 1 and len(sealed) == 1
            sent = [int.from_bytes(f[1:5], "big") for f in frames if f[0] == protocol.MSG_KEY_MATERIAL]
            assert sent and sealed[0] not in sent and sent[0] > sealed[0] + SEND_SLACK
            assert ccs.ccs.stats["km_installed"] == 1
            other.close()

    asyncio.run(go())
