"""Issue 16 item 4: the SSM daemon (`esse ssm run`) is killed with SIGKILL 20 times at seeded random
points while TinyDTLS clients handshake and GET through it; after every restart the test replays every
authenticated message the CCS ever sent. Checks: no CCS message is ever accepted twice (the counters the
SSM accepted, over all its lives, rise strictly), no (PSK_DN, counter) nonce of the SSM carries two
different messages, no session's keys reach the CCS twice (which would restart its record sequence and
reuse CCM nonces), no (session, epoch, sequence) of the CCS carries two records, and every session a
client holds at the end still relays (or its client got an alert)."""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import socket
import sys
from pathlib import Path

import pytest

from harness.ssm import protocol
from harness.standin.ccs import StandinCcsServer
from harness.wire.dtls import split_records
from tests.ssm.harness_fixtures import CLIENT_ID, CLIENT_KEY, PSK_DN, coap_decode, get_temperature

pytestmark = pytest.mark.slow

KILLS = 20
CLIENTS = 3
SEED = 16
ACCEPTED = re.compile(r"CCS s1: (KEY_ACK|ERROR|DELEGATE) counter (\d+) accepted")


def free_udp_port() -> int:
    """A UDP port the OS says is free now (the daemon binds it again after every kill)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class CcsTap:
    """The stand-in CCS with every frame it received from and sent to the SSM recorded."""

    def __init__(self, server: StandinCcsServer) -> None:
        self.server = server
        self.from_ssm: list[bytes] = []
        self.to_ssm: list[bytes] = []
        handle = server.ccs.handle

        def tapped(frame: bytes) -> list[bytes]:
            self.from_ssm.append(bytes(frame))
            replies = handle(frame)
            self.to_ssm.extend(bytes(r) for r in replies)
            return replies

        server.ccs.handle = tapped  # type: ignore[method-assign]


class Daemon:
    """`esse ssm run -v` as a child process, one stderr log per life."""

    def __init__(self, config: Path, logs: Path) -> None:
        self.config, self.logs = config, logs
        self.lives = 0
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.lives += 1
        log = open(self.logs / f"ssm-{self.lives:02d}.log", "wb")  # noqa: SIM115 - the child owns it
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "harness.cli", "ssm", "run", "--config", str(self.config), "-v",
            stdout=asyncio.subprocess.PIPE, stderr=log, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        log.close()
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), 60)
        assert line.startswith(b"esse ssm: DTLS on"), (line, self.log_text(self.lives))

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)

    async def wait(self) -> None:
        assert self.proc is not None
        await self.proc.wait()

    def log_text(self, life: int) -> str:
        return (self.logs / f"ssm-{life:02d}.log").read_text(errors="replace")


async def client_loop(
    server: tuple[str, int], stop: asyncio.Event, done: list[int], i: int, rng: random.Random
) -> object:
    """Handshake, GET, and now and then start a new session (many hand-offs to crash into), until
    stopped; returns the client (its last session open)."""
    from harness.tinydtls.binding import DtlsError, PskStore
    from harness.tinydtls.udp import DtlsClient

    psk = PskStore({CLIENT_ID.encode(): CLIENT_KEY.encode()}, identity=CLIENT_ID.encode())
    c = await DtlsClient.create(psk=psk)
    mid, fails = 0, 0
    while not stop.is_set():
        try:
            if not c.context.is_connected(server):
                await c.connect(server, timeout=3)
            mid = (mid + 1) & 0xFFFF
            while not c.received.empty():
                c.received.get_nowait()  # a late answer to a request that timed out
            answer = coap_decode(await c.request(server, get_temperature(mid, bytes([i])), timeout=1))
            assert answer.payload == b"22.5 C" and answer.mid == mid
            done[i] += 1
            fails = 0
            if rng.random() < 0.4:
                c.restart_context()  # a new handshake on the same port: the SSM replaces the session
        except (TimeoutError, DtlsError):
            fails += 1
            if fails >= 3 or not c.context.is_connected(server):
                c.restart_context()  # the client gives up on that session and starts over
                fails = 0
        await asyncio.sleep(0.05)
    if not c.context.is_connected(server):  # end with a session (the daemon is up when we stop)
        c.restart_context()
        await c.connect(server, timeout=10)
    return c


@pytest.mark.parametrize(("workers", "processes"), [(0, 1), (2, 1), (0, 2)])
def test_kill9_twenty_times_under_traffic(tmp_path, rec, tinydtls, workers: int, processes: int) -> None:
    """In-process handshakes, handshakes in 2 worker processes (killed with their delegator), and 2
    delegator processes (process 0 killed: process 1 stops with it; their files and the shared counter
    file, with the blocks they had reserved, are what the next life starts from)."""
    rng = random.Random(SEED)

    async def go() -> None:
        async with StandinCcsServer(PSK_DN) as ccs_server:
            tap = CcsTap(ccs_server)
            port, ccs_port = free_udp_port(), free_udp_port()
            ccs_addr = ccs_server.address
            cfg = tmp_path / "ssm.toml"
            cfg.write_text(
                f'[ssm]\nlisten = ["127.0.0.1:{port}"]\nccs_listen = "127.0.0.1:{ccs_port}"\n'
                'db = "relay.sqlite"\nack_timeout = 0.2\nack_retries = 10\nhello_rate_per_source = 1000\n'
                f"workers = {workers}\nprocesses = {processes}\n"
                f'[ccs.s1]\naddress = "{ccs_addr[0]}:{ccs_addr[1]}"\npsk_dn = "{PSK_DN.hex()}"\n'
                f'[clients.{CLIENT_ID}]\nkey = "{CLIENT_KEY}"\nccs = "s1"\n'
            )
            daemon = Daemon(cfg, tmp_path)
            server = ("127.0.0.1", port)
            stop = asyncio.Event()
            done = [0] * CLIENTS
            await daemon.start()
            clients = [
                asyncio.create_task(client_loop(server, stop, done, i, random.Random(SEED + i)))
                for i in range(CLIENTS)
            ]
            replayed = 0
            try:
                for _ in range(KILLS):
                    await asyncio.sleep(rng.uniform(0.2, 1.5))  # traffic, then the kill lands anywhere
                    daemon.kill()
                    await daemon.wait()
                    await asyncio.sleep(rng.uniform(0.0, 0.3))
                    await daemon.start()
                    for frame in list(tap.to_ssm):  # an attacker replays the CCS's authenticated messages
                        if frame[0] in (protocol.MSG_KEY_ACK, protocol.MSG_ERROR, protocol.MSG_DELEGATE):
                            ccs_server.send(("127.0.0.1", ccs_port), frame)
                            replayed += 1
                stop.set()
                endpoints = await asyncio.gather(*clients)
                # the last life: every session a client still holds relays
                daemon.kill()
                await daemon.wait()
                await daemon.start()
                holding = [c for c in endpoints if c.context.is_connected(server)]
                assert len(holding) == CLIENTS
                for n, c in enumerate(holding):
                    try:
                        answer = coap_decode(await c.request(server, get_temperature(9000 + n), timeout=5))
                        assert answer.payload == b"22.5 C"
                    except TimeoutError:
                        assert any(level is not None for _, _, level in c.events), "session silently lost"
                for c in endpoints:
                    c.close()
            finally:
                stop.set()
                if daemon.proc is not None and daemon.proc.returncode is None:
                    daemon.kill()
                    await daemon.wait()

            # no CCS message accepted twice: the counters accepted over all lives rise strictly
            accepted = [
                int(m.group(2)) for life in range(1, daemon.lives + 1)
                for m in ACCEPTED.finditer(daemon.log_text(life))
            ]
            if processes == 1:
                assert accepted == sorted(set(accepted)), accepted
            else:  # each process logs its own (window of 63): once each, in no common order
                assert len(accepted) == len(set(accepted)), accepted
            assert replayed > 0 and len(accepted) >= 20
            # the SSM's nonces: one message per counter (a resend is the same bytes)
            by_counter: dict[int, bytes] = {}
            km_sessions: dict[bytes, set[int]] = {}
            for f in tap.from_ssm:
                if f[0] in (protocol.MSG_KEY_MATERIAL, protocol.MSG_ERROR):
                    counter = int.from_bytes(f[1:5], "big")
                    assert by_counter.setdefault(counter, f) == f, f"SSM counter {counter} reused"
                if f[0] == protocol.MSG_KEY_MATERIAL:
                    _, ks = protocol.open_key_material(PSK_DN, f, 0)
                    km_sessions.setdefault(ks.session_id, set()).add(int.from_bytes(f[1:5], "big"))
            assert all(len(c) == 1 for c in km_sessions.values()), "keys of a session sealed twice"
            # the CCS's record nonces (session, epoch, sequence) and its own message counters
            seen: dict[tuple[bytes, int, int], bytes] = {}
            ccs_counters: dict[int, bytes] = {}
            for f in tap.to_ssm:
                if f[0] == protocol.MSG_RELAY:
                    sid, data = f[1:9], f[9:]
                    for r in split_records(data):
                        rec_bytes = data[r.offset : r.end]
                        assert seen.setdefault((sid, r.epoch, r.seq), rec_bytes) == rec_bytes
                elif f[0] in (protocol.MSG_KEY_ACK, protocol.MSG_ERROR):
                    counter = int.from_bytes(f[1:5], "big")
                    assert ccs_counters.setdefault(counter, f) == f
            assert sum(done) > KILLS, done  # traffic went through between the kills
            installs = tap.server.ccs.stats["km_installed"]
            logs = [daemon.log_text(n) for n in range(1, daemon.lives + 1)]
            resumed = sum("unacknowledged key-material" in text for text in logs)
            print(f"lives {daemon.lives}, GETs {done}, hand-offs installed {installs}, replayed {replayed}, "
                  f"lives resending stored key material {resumed}, "
                  f"CCS duplicates {tap.server.ccs.stats['km_duplicate']}")

    asyncio.run(go())
