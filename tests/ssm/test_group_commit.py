"""Group commit (issue 16 item 1): the hand-offs and KEY_ACKs of one event-loop turn share one SQLite
transaction (of this process's file), and what depends on a row (the KEY_MATERIAL to the CCS, the
SSM's last flight to the client, records held until the KEY_ACK) leaves only after that commit. The
oracle for "committed" is a second SQLite connection, which sees only committed rows."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

import pytest

from harness.ssm import protocol
from harness.ssm.counter_file import CounterFile
from harness.ssm.delegator import Delegator
from harness.ssm.relay_table import address_text, counter_path
from harness.standin.ccs import StandinCcsServer
from harness.wire.dtls import split_records
from tests.ssm.harness_fixtures import CLIENT_ID, CLIENT_KEY, PSK_DN, coap_decode, config, get_temperature

pytestmark = pytest.mark.slow
CT_CCS = 20  # ChangeCipherSpec
CLIENTS = 12


def committed(db: Path, sql: str, *args: object) -> int:
    """A count from a fresh connection: what is durable in the file, not what a transaction holds."""
    with contextlib.closing(sqlite3.connect(db)) as other:
        return int(other.execute(sql, args).fetchone()[0])


async def connect_all(server: tuple[str, int], n: int) -> list:  # type: ignore[type-arg]
    from harness.tinydtls.binding import PskStore
    from harness.tinydtls.udp import DtlsClient

    clients = []
    for _ in range(n):
        psk = PskStore({CLIENT_ID.encode(): CLIENT_KEY.encode()}, identity=CLIENT_ID.encode())
        clients.append(await DtlsClient.create(psk=psk))
    await asyncio.gather(*(c.connect(server, timeout=10) for c in clients))
    return clients


def test_a_burst_of_hand_offs_is_durable_before_its_messages_leave(tmp_path, rec, tinydtls) -> None:
    """Concurrent handshakes: every KEY_MATERIAL and every ChangeCipherSpec flight leaves only when the
    row it depends on is committed; all sessions then relay."""

    async def go() -> None:
        db = tmp_path / "relay.sqlite"
        async with StandinCcsServer(PSK_DN) as ccs, Delegator(config(db, ccs.address)) as d:
            late: list[str] = []
            to_ccs, to_client = d.ccs_transport.send, d._sendto_client
            key_materials = 0

            def ccs_spy(addr, frame):  # noqa: ANN001, ANN202
                nonlocal key_materials
                if frame and frame[0] == protocol.MSG_KEY_MATERIAL:
                    key_materials += 1
                    rows = committed(db, "SELECT count(*) FROM relay")  # not deleted at the KEY_ACK
                    if rows < key_materials:
                        late.append(f"KEY_MATERIAL {key_materials} with {rows} rows committed")
                to_ccs(addr, frame)

            def client_spy(addr, data, **kw):  # noqa: ANN001, ANN202, ANN003
                if any(r.content_type == CT_CCS for r in split_records(data)):
                    text = address_text(addr)
                    if not committed(db, "SELECT count(*) FROM relay WHERE client_address = ?", text):
                        late.append(f"Finished to {text} before its row")
                to_client(addr, data, **kw)

            d.ccs_transport.send = ccs_spy  # type: ignore[method-assign]
            d._sendto_client = client_spy  # type: ignore[method-assign]
            server = ("127.0.0.1", d.client_port(4))
            clients = await connect_all(server, CLIENTS)
            try:
                for c in clients:
                    answer = coap_decode(await c.request(server, get_temperature(), timeout=10))
                    assert answer.payload == b"22.5 C"
            finally:
                for c in clients:
                    c.close()
            assert late == []
            assert d.stats["handoffs"] == CLIENTS and d.stats["acks"] == CLIENTS
            assert key_materials == CLIENTS and ccs.ccs.stats["km_installed"] == CLIENTS
            # one commit per turn, not per message
            assert 0 < d.stats["group_commits"] <= d.stats["handoffs"] + d.stats["acks"]

    asyncio.run(go())


def test_key_acks_of_one_turn_share_one_commit_and_a_replay_among_them_is_refused(
    tmp_path, rec, tinydtls
) -> None:
    """KEY_ACKs handled in one turn: nothing is acknowledged before the turn ends, then one commit
    forgets all their key material; the same KEY_ACK twice in that turn is refused once (its savepoint
    is undone alone) and the others still count."""

    async def go() -> None:
        db = tmp_path / "relay.sqlite"
        async with StandinCcsServer(PSK_DN) as ccs, Delegator(config(db, ccs.address)) as d:
            d.ccs_transport.send = lambda addr, frame: None  # type: ignore[method-assign]  # the CCS hears nothing
            clients = await connect_all(("127.0.0.1", d.client_port(4)), 6)
            for c in clients:
                c.close()
            assert committed(db, "SELECT count(*) FROM pending_key_material") == 6
            pending = sorted(d._pending_acks.values(), key=lambda p: p.counter)
            src = d.config.ccs["s1"].address
            frames = [
                protocol.build_ack(PSK_DN, i + 1, p.counter, p.session_id) for i, p in enumerate(pending)
            ]
            commits = d.stats["group_commits"]
            for frame in [*frames, frames[2]]:  # one turn; the third KEY_ACK comes twice
                d._on_ccs_frame(src, frame)
            assert d.stats["acks"] == 0  # nothing acted on before the commit
            assert committed(db, "SELECT count(*) FROM pending_key_material") == 6
            for _ in range(5):  # the turn ends; the group closes at the first turn that adds nothing
                await asyncio.sleep(0)
            assert d.stats["group_commits"] == commits + 1
            assert d.stats["acks"] == 6 and d.stats["ccs_rejected_replay"] == 1
            assert committed(db, "SELECT count(*) FROM pending_key_material") == 0
            stored = CounterFile(counter_path(db))  # the counters every process shares, as stored
            assert stored.rx_last("s1") == 6
            stored.close()

    asyncio.run(go())
