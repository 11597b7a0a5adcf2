"""Issue 16 item 1, PSK at scale: several delegator processes (`[ssm] processes`) on one client port
(SO_REUSEPORT), one relay table (a file per process, the counters shared) and one CCS link. Checked
with real sockets and real clients: hand-offs from both processes interleave on one CCS and it installs
every one (one counter sequence, blocks of it reserved per process, each inside the CCS's window), a
CCS's frames reach the process that holds the session (forwarded when the kernel gave the CCS to the
other), libcoap and openssl clients get answers, and a killed process loses nobody else's
session and gets its own back when it is restarted."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
from typing import Any

import pytest

from harness.ssm.relay_table import shard_files
from harness.ssm.shards import ShardGroup
from harness.standin.ccs import StandinCcsServer
from tests.ssm import harness_fixtures as fx

CLIENTS = 24


def _psk_client() -> dict[str, Any]:
    from harness.tinydtls.binding import PskStore

    ident = fx.CLIENT_ID.encode()
    return {"psk": PskStore({ident: fx.CLIENT_KEY.encode()}, identity=ident)}


async def _clients(server: tuple[str, int], n: int, first: int = 1) -> list[Any]:
    """n TinyDTLS clients from distinct loopback addresses (the kernel spreads them over the processes),
    handshaking at once, each with one GET answered."""
    from harness.tinydtls.udp import DtlsClient

    async def one(i: int) -> Any:
        c = await DtlsClient.create((f"127.0.{first + i // 250}.{1 + i % 250}", 0), **_psk_client())
        await c.connect(server, timeout=10)
        assert fx.coap_decode(await c.request(server, fx.get_temperature(i), timeout=10)).payload == b"22.5 C"
        return c

    return list(await asyncio.gather(*(one(i) for i in range(n))))


def _owners(db: Any) -> dict[str, int]:
    """Client address ('host:port') -> the process holding its session: whose file holds its row."""
    out: dict[str, int] = {}
    for k, f in shard_files(db).items():
        with contextlib.closing(sqlite3.connect(str(f))) as c:
            out.update({str(a): k for (a,) in c.execute("SELECT client_address FROM relay")})
    return out


def _where(client: Any) -> str:
    host, port = client.address[:2]
    return f"{host}:{port}"


def _handshakes(c: Any) -> int:
    return sum(1 for e in c.events if e[1].name == "CONNECTED")


def test_interleaved_handoffs_from_two_processes(tmp_path, rec, tinydtls) -> None:
    """24 clients at once through 2 processes: both hand off to the one CCS, which installs every key
    material (none refused as a replay or out of its window) and answers every client."""

    async def go() -> None:
        async with StandinCcsServer(fx.PSK_DN) as ccs:
            cfg = fx.config(tmp_path / "relay.sqlite", ccs.address, processes=2)
            async with ShardGroup(cfg) as g:
                assert g.delegator is not None
                try:
                    clients = await _clients(("127.0.0.1", g.delegator.client_port(4)), CLIENTS)
                except TimeoutError:
                    raise AssertionError(f"{g.stats()} {ccs.ccs.stats}") from None
                try:
                    per = g.stats()
                    handoffs = [p["stats"].get("handoffs", 0) for p in per]
                    assert sum(handoffs) == CLIENTS and all(h > 0 for h in handoffs), handoffs
                    assert sum(p["stats"].get("acks", 0) for p in per) == CLIENTS
                    # every CCS frame reaches one process: the other's KEY_ACKs were forwarded to it
                    assert sum(p["stats"].get("forwarded", 0) for p in per) > 0
                    assert ccs.ccs.stats["km_installed"] == CLIENTS
                    assert not [k for k in ccs.ccs.stats if k.startswith("km_rejected")], ccs.ccs.stats
                    assert sorted(set(_owners(tmp_path / "relay.sqlite").values())) == [0, 1]
                    server = ("127.0.0.1", g.delegator.client_port(4))
                    for i, c in enumerate(clients):  # and again, now that every session is installed
                        answer = await c.request(server, fx.get_temperature(100 + i), timeout=10)
                        assert fx.coap_decode(answer).payload == b"22.5 C"
                finally:
                    for c in clients:
                        c.close()

    asyncio.run(go())


def test_real_clients_through_two_processes(tmp_path, rec, tinydtls) -> None:
    """coap-client-openssl (8 runs, each a new source port) and openssl s_client through 2 processes."""
    fx.need("coap-client-openssl", "libcoap3-bin")
    fx.need("openssl", "openssl")

    async def go() -> None:
        async with StandinCcsServer(fx.PSK_DN) as ccs:
            cfg = fx.config(tmp_path / "relay.sqlite", ccs.address, processes=2)
            async with ShardGroup(cfg) as g:
                assert g.delegator is not None
                port = g.delegator.client_port(4)
                runs = await asyncio.gather(*(
                    fx.run_tool(*fx.coap_get("coap-client-openssl", "127.0.0.1", port)) for _ in range(8)
                ))
                for rc, out, err in runs:
                    assert (rc, out.strip()) == (0, b"22.5 C"), err.decode()
                proc = await asyncio.create_subprocess_exec(
                    "openssl", "s_client", "-dtls1_2", "-connect", f"127.0.0.1:{port}",
                    "-psk", fx.CLIENT_KEY.encode().hex(), "-psk_identity", fx.CLIENT_ID,
                    "-cipher", "PSK-AES128-CCM8", "-quiet",
                    stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.PIPE,
                )
                try:
                    assert proc.stdin is not None and proc.stdout is not None
                    await fx.wait_until(lambda: ccs.ccs.stats["km_installed"] == 9, 15)
                    proc.stdin.write(b"ping through two processes\n")
                    await proc.stdin.drain()
                    line = await asyncio.wait_for(proc.stdout.readline(), 10)
                    assert b"ping through two processes" in line  # the stand-in echoes non-CoAP data
                finally:
                    proc.kill()
                    await proc.wait()
                assert sum(p["stats"].get("handoffs", 0) for p in g.stats()) == 9
                assert not [k for k in ccs.ccs.stats if k.startswith("km_rejected")], ccs.ccs.stats

    asyncio.run(go())


@pytest.mark.slow
def test_killed_process_loses_no_other_session(tmp_path, rec, tinydtls) -> None:
    """SIGKILL of process 1: process 0's sessions answer at once, no new handshake; process 1 is
    started again, reloads its sessions from its file, and they answer too, no new handshake; new
    hand-offs of both processes are all installed by the CCS (no counter of the dead one reused)."""

    async def go() -> None:
        async with StandinCcsServer(fx.PSK_DN) as ccs:
            cfg = fx.config(tmp_path / "relay.sqlite", ccs.address, processes=2)
            async with ShardGroup(cfg) as g:
                assert g.delegator is not None
                server = ("127.0.0.1", g.delegator.client_port(4))
                clients = await _clients(server, 12)
                try:
                    owners = _owners(tmp_path / "relay.sqlite")
                    assert sorted(set(owners.values())) == [0, 1], owners
                    before = [_handshakes(c) for c in clients]
                    pid = g.pids()[1]
                    os.kill(pid, signal.SIGKILL)
                    await fx.wait_until(lambda: g.restarts == 1, 10)
                    # process 0's clients, while process 1 is away (its socket left the port's group)
                    kept = [c for c in clients if owners[_where(c)] == 0]
                    assert kept
                    for i, c in enumerate(kept):
                        answer = await c.request(server, fx.get_temperature(200 + i), timeout=5)
                        assert fx.coap_decode(answer).payload == b"22.5 C"
                    await fx.wait_until(lambda: 1 in g.pids() and g.pids()[1] != pid, 60)
                    await asyncio.sleep(0.5)
                    for i, c in enumerate(clients):  # every session, the dead process's too
                        try:
                            answer = await c.request(server, fx.get_temperature(300 + i), timeout=10)
                        except TimeoutError:
                            raise AssertionError(
                                f"client {i} of process {owners[_where(c)]}: {g.stats()} {ccs.ccs.stats}"
                            ) from None
                        assert fx.coap_decode(answer).payload == b"22.5 C"
                    assert [_handshakes(c) for c in clients] == before
                    assert _owners(tmp_path / "relay.sqlite") == owners
                    # new hand-offs from both processes: the killed one's reserved counters are never
                    # used again, and every new counter falls inside the CCS's window
                    more = await _clients(server, 8, first=5)
                    clients += more
                    assert ccs.ccs.stats["km_installed"] == 12 + 8, ccs.ccs.stats
                    assert not [k for k in ccs.ccs.stats if k.startswith("km_rejected")], ccs.ccs.stats
                finally:
                    for c in clients:
                        c.close()

    asyncio.run(go())



def test_quotas_count_every_process(tmp_path, rec, tinydtls) -> None:
    """Quotas are shared: 16 sessions of one identity (distinct hosts, spread over 2 processes by the
    kernel) with a quota of 3 leave 3 in the whole group, the oldest closed by whichever process holds
    them (asked over the forwarding socket when another process's hand-off crossed the quota); 6
    sessions from one host (distinct ports) with an address quota of 2 leave 2."""

    async def run(db: str, hosts: list[int], left: int, **quota: int) -> list[dict[str, Any]]:
        """Clients from 127.0.<h>.1, one after another (the oldest are well defined), through 2
        processes with a quota; the group's per-process stats once `left` sessions remain."""
        async with StandinCcsServer(fx.PSK_DN) as ccs:
            async with ShardGroup(fx.config(tmp_path / db, ccs.address, processes=2, **quota)) as g:
                assert g.delegator is not None
                server = ("127.0.0.1", g.delegator.client_port(4))
                clients: list[Any] = []
                try:
                    for h in hosts:
                        clients += await _clients(server, 1, first=h)
                    await fx.wait_until(lambda: sum(p["sessions"] for p in g.stats()) == left, 10)
                    return g.stats()
                finally:
                    for c in clients:
                        c.close()

    async def go() -> None:
        per = await run("relay.sqlite", list(range(10, 26)), 3, max_sessions_per_identity=3)
        assert all(p["stats"].get("handoffs", 0) > 0 for p in per), per  # both held some
        assert sum(p["stats"].get("quota_evicted_identity", 0) for p in per) == 13
        # some oldest session was the other process's (all 13 local: 1 in 8 192)
        assert sum(p["stats"].get("quota_forwarded", 0) for p in per) > 0, per
        left = sorted(a.rpartition(":")[0] for a in _owners(tmp_path / "relay.sqlite"))
        assert left == [f"127.0.{h}.1" for h in (23, 24, 25)]  # the newest, wherever they were
        per = await run("relay2.sqlite", [40] * 6, 2, max_sessions_per_address=2)  # one host, new ports
        assert sum(p["stats"].get("quota_evicted_address", 0) for p in per) == 4

    asyncio.run(go())
