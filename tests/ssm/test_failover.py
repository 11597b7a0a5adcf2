"""Issue 16 item 8: a standby SSM (a second `esse ssm run` on the same relay table) waits on the table's
lock and takes over when the active one is killed (SIGKILL) under traffic: every client session made
through the active one keeps relaying through the standby, with no new handshake."""

from __future__ import annotations

import asyncio
import os
import sys
import time

import pytest

from harness.standin.ccs import StandinCcsServer
from tests.ssm import harness_fixtures as fx
from tests.ssm.test_crash_safety import free_udp_port

pytestmark = pytest.mark.slow
CLIENTS = 3


async def _daemon(cfg) -> asyncio.subprocess.Process:  # noqa: ANN001
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "harness.cli", "ssm", "run", "--config", str(cfg),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


async def _line(p: asyncio.subprocess.Process, timeout: float = 60) -> bytes:
    assert p.stdout is not None
    return await asyncio.wait_for(p.stdout.readline(), timeout)


async def active_and_standby(
    tmp_path, ccs: StandinCcsServer, processes: int = 1  # noqa: ANN001
) -> tuple[int, asyncio.subprocess.Process, asyncio.subprocess.Process]:
    """An active `esse ssm run` and its standby on one relay table: (client port, active, standby)."""
    port, ccs_port = free_udp_port(), free_udp_port()
    cfg = tmp_path / "ssm.toml"
    cfg.write_text(
        f'[ssm]\nlisten = ["127.0.0.1:{port}"]\nccs_listen = "127.0.0.1:{ccs_port}"\n'
        f"processes = {processes}\n"
        f'db = "relay.sqlite"\n[ccs.s1]\naddress = "{ccs.address[0]}:{ccs.address[1]}"\n'
        f'psk_dn = "{fx.PSK_DN.hex()}"\n'
        f'[clients.{fx.CLIENT_ID}]\nkey = "{fx.CLIENT_KEY}"\nccs = "s1"\n'
    )
    active = await _daemon(cfg)
    assert (await _line(active)).startswith(b"esse ssm: DTLS on")
    standby = await _daemon(cfg)
    assert (await _line(standby)).startswith(b"esse ssm: standby for")
    return port, active, standby


@pytest.mark.parametrize("processes", [1, 2])
def test_standby_takes_over_relaying(tmp_path, rec, tinydtls, processes: int) -> None:
    """processes = 2: the active group's process 0 is killed (its other process stops with it), the
    standby group takes over every session, made through either of the active group's processes."""
    from harness.tinydtls.binding import PskStore
    from harness.tinydtls.udp import DtlsClient

    async def go() -> None:
        async with StandinCcsServer(fx.PSK_DN) as ccs:
            port, active, standby = await active_and_standby(tmp_path, ccs, processes)
            server = ("127.0.0.1", port)
            ident = fx.CLIENT_ID.encode()
            clients = []
            try:
                for n in range(CLIENTS):
                    psk = PskStore({ident: fx.CLIENT_KEY.encode()}, identity=ident)
                    # distinct addresses: the kernel spreads them over a group's processes
                    c = await DtlsClient.create((f"127.0.0.{10 + n}", 0), psk=psk)
                    await c.connect(server, timeout=5)
                    answer = fx.coap_decode(await c.request(server, fx.get_temperature(n), timeout=5))
                    assert answer.payload == b"22.5 C"
                    clients.append(c)
                handshakes = [sum(1 for e in c.events if e[1].name == "CONNECTED") for c in clients]
                active.kill()
                t0 = time.monotonic()
                assert (await _line(standby)).startswith(b"esse ssm: DTLS on")
                takeover = time.monotonic() - t0
                for n, c in enumerate(clients):  # the same sessions, through the standby
                    answer = fx.coap_decode(await c.request(server, fx.get_temperature(100 + n), timeout=5))
                    assert answer.payload == b"22.5 C"
                assert [sum(1 for e in c.events if e[1].name == "CONNECTED") for c in clients] == handshakes
                print(f"standby serving {takeover * 1000:.0f} ms after the kill")
            finally:
                for c in clients:
                    c.close()
                for p in (active, standby):
                    if p.returncode is None:
                        p.kill()
                        await p.wait()

    asyncio.run(go())
