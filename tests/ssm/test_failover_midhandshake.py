"""Issue 16 item 8 (half-open state): handshakes are not shared with the standby. A client whose handshake
is in progress when the active SSM dies (its ClientHello sent, no answer yet: the active one is stopped,
then killed) completes it with the standby by its own DTLS retransmission, and then relays."""

from __future__ import annotations

import asyncio
import signal

import pytest

from harness.standin.ccs import StandinCcsServer
from tests.ssm import harness_fixtures as fx
from tests.ssm.test_failover import _line, active_and_standby

pytestmark = pytest.mark.slow


def test_handshake_in_progress_completes_with_the_standby(tmp_path, rec, tinydtls) -> None:
    from harness.tinydtls.binding import PskStore
    from harness.tinydtls.udp import DtlsClient

    async def go() -> None:
        async with StandinCcsServer(fx.PSK_DN) as ccs:
            port, active, standby = await active_and_standby(tmp_path, ccs)
            server = ("127.0.0.1", port)
            ident = fx.CLIENT_ID.encode()
            c = await DtlsClient.create(psk=PskStore({ident: fx.CLIENT_KEY.encode()}, identity=ident))
            try:
                active.send_signal(signal.SIGSTOP)  # the active one hangs: the client's flight waits
                connecting = asyncio.ensure_future(c.connect(server, timeout=20))
                await asyncio.sleep(0.5)
                assert not connecting.done() and ccs.ccs.stats["km_installed"] == 0
                active.kill()
                assert (await _line(standby)).startswith(b"esse ssm: DTLS on")
                await connecting  # TinyDTLS's retransmission reaches the standby, which completes it
                answer = fx.coap_decode(await c.request(server, fx.get_temperature(1), timeout=5))
                assert answer.payload == b"22.5 C" and ccs.ccs.stats["km_installed"] == 1
                assert sum(1 for e in c.events if e[1].name == "CONNECTED") == 1
            finally:
                c.close()
                for p in (active, standby):
                    if p.returncode is None:
                        p.kill()
                        await p.wait()

    asyncio.run(go())
