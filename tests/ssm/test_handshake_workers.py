"""Issue 16 item 1: with `[ssm] workers = 2` the server handshakes run in worker processes. Real clients
complete through them (libcoap PSK, TinyDTLS PSK), and while an ECDHE flood from 20 sources keeps the
workers busy, the event loop stays free: an existing session keeps relaying (each GET within a 1 s client
timeout) and a new client still completes its handshake."""

from __future__ import annotations

import asyncio

import pytest

from tests.ssm import harness_fixtures as fx
from tests.ssm.flood import prepared_hellos
from tests.ssm.test_hello_flood import _ecdsa_section

pytestmark = pytest.mark.slow
SOURCES = 20
PER_SOURCE = 10


async def _psk_client() -> object:
    from harness.tinydtls.binding import PskStore
    from harness.tinydtls.udp import DtlsClient

    ident = fx.CLIENT_ID.encode()
    return await DtlsClient.create(psk=PskStore({ident: fx.CLIENT_KEY.encode()}, identity=ident))


def test_relay_stays_responsive_while_workers_do_ecdhe(tmp_path, rec, tinydtls) -> None:
    fx.need("coap-client-openssl", "libcoap3-bin")

    async def go() -> None:
        async with fx.ssm_and_ccs(tmp_path, workers=2, extra=_ecdsa_section()) as (d, ccs):
            server = ("127.0.0.1", d.client_port(4))
            rc, out, err = await fx.run_tool(*fx.coap_get("coap-client-openssl", "127.0.0.1", server[1]))
            assert (rc, out.strip()) == (0, b"22.5 C"), err.decode()
            early = await _psk_client()
            await early.connect(server, timeout=5)
            pairs = []
            for n in range(SOURCES):
                pairs += await prepared_hellos(server, PER_SOURCE, source=f"127.0.1.{n + 1}", ecdhe=True)
            try:
                for s, hello in pairs:
                    s.sendto(hello, server)
                for n in range(10):
                    answer = fx.coap_decode(await early.request(server, fx.get_temperature(n), timeout=1.0))
                    assert answer.payload == b"22.5 C"
                late = await _psk_client()
                await late.connect(server, timeout=5)
                answer = fx.coap_decode(await late.request(server, fx.get_temperature(99), timeout=2.0))
                assert answer.payload == b"22.5 C"
                await fx.wait_until(lambda: d.stats["handshakes_started"] >= SOURCES * PER_SOURCE, 60)
                assert d.stats["handoffs"] == 3 and d.tinydtls_peers() == 0  # nothing in-process
                early.close()
                late.close()
            finally:
                for s, _ in pairs:
                    s.close()

    asyncio.run(go())
