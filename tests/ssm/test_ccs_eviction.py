"""Issue 16 item 3 (check): when the CCS evicts a session for a new one (its slots are full), the
evicted session's client gets a close_notify through the SSM and the SSM frees the relay row (the CCS's
ERROR session-closed), as the mote firmware does (firmware/apps/ccs/ccs_secure.c)."""

from __future__ import annotations

import asyncio

import pytest

from harness.ssm.delegator import Delegator
from harness.standin.ccs import StandinCcsServer
from tests.ssm import harness_fixtures as fx

pytestmark = pytest.mark.slow


def test_ccs_eviction_reaches_ssm_and_client(tmp_path, rec, tinydtls) -> None:
    from harness.tinydtls.binding import Alert, PskStore
    from harness.tinydtls.udp import DtlsClient

    async def go() -> None:
        async with StandinCcsServer(fx.PSK_DN, max_sessions=2) as ccs:
            async with Delegator(fx.config(tmp_path / "relay.sqlite", ccs.address)) as d:
                server = ("127.0.0.1", d.client_port(4))
                ident = fx.CLIENT_ID.encode()
                clients = []
                for n in range(3):
                    c = await DtlsClient.create(psk=PskStore({ident: fx.CLIENT_KEY.encode()}, identity=ident))
                    await c.connect(server, timeout=5)
                    answer = fx.coap_decode(await c.request(server, fx.get_temperature(n), timeout=5))
                    assert answer.payload == b"22.5 C"
                    clients.append(c)
                first = clients[0]
                await fx.wait_until(lambda: any(e == Alert.CLOSE_NOTIFY for _, e, _ in first.events), 5)
                assert ccs.ccs.stats["evicted"] == 1
                await fx.wait_until(lambda: len(d.sessions()) == 2, 5)
                assert all(e.client_address[1] != first.address[1] for e in d.sessions())
                for c in clients[1:]:  # the others still relay
                    answer = fx.coap_decode(await c.request(server, fx.get_temperature(7), timeout=5))
                    assert answer.payload == b"22.5 C"
                for c in clients:
                    c.close()

    asyncio.run(go())
