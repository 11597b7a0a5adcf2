"""Issue 16 item 3: a session the SSM's own quota closes is closed at the CCS *and* its client is told: the
SSM sends ERROR close-alert, the CCS (which holds the keys) seals a close_notify that the SSM relays once,
then both forget the session. Checked with two real client stacks: the TinyDTLS binding and OpenSSL."""

from __future__ import annotations

import asyncio

from harness.ssm import protocol
from tests.ssm import harness_fixtures as fx

CLOSE_ALERT = f"ssm_error_{protocol.ECODE_CLOSE_ALERT}"


def _psk_client() -> object:
    from harness.tinydtls.binding import PskStore

    ident = fx.CLIENT_ID.encode()
    return PskStore({ident: fx.CLIENT_KEY.encode()}, identity=ident)


def test_identity_quota_alerts_the_evicted_tinydtls_client(tmp_path, rec, tinydtls) -> None:
    """Quota 1 per identity: the second session closes the first; its client receives close_notify,
    the CCS dropped it (ERROR close-alert), the second keeps relaying."""
    from harness.tinydtls.binding import Alert
    from harness.tinydtls.udp import DtlsClient

    async def go() -> None:
        async with fx.ssm_and_ccs(tmp_path, max_sessions_per_identity=1) as (d, ccs):
            server = ("127.0.0.1", d.client_port(4))
            clients = []
            for n in range(2):
                c = await DtlsClient.create(psk=_psk_client())
                await c.connect(server, timeout=5)
                answer = fx.coap_decode(await c.request(server, fx.get_temperature(n), timeout=5))
                assert answer.payload == b"22.5 C"
                clients.append(c)
            first, second = clients
            await fx.wait_until(lambda: any(e == Alert.CLOSE_NOTIFY for _, e, _ in first.events), 5)
            assert not any(e == Alert.CLOSE_NOTIFY for _, e, _ in second.events)
            assert d.stats["quota_evicted_identity"] == 1 and d.stats["close_alerts_relayed"] == 1
            assert ccs.ccs.stats[CLOSE_ALERT] == 1 and len(ccs.ccs.sessions) == 1
            assert [e.client_address[1] for e in d.sessions()] == [second.address[1]]
            answer = fx.coap_decode(await second.request(server, fx.get_temperature(9), timeout=5))
            assert answer.payload == b"22.5 C"
            for c in clients:
                c.close()

    asyncio.run(go())


def test_address_quota_alerts_openssl_s_client(tmp_path, rec, tinydtls) -> None:
    """Quota 1 per client address: openssl s_client holds a session, a second client from the same
    address takes its place; s_client reports the peer's close_notify and ends by itself."""
    fx.need("openssl", "openssl")
    from harness.tinydtls.udp import DtlsClient

    async def go() -> None:
        async with fx.ssm_and_ccs(tmp_path, max_sessions_per_address=1) as (d, ccs):
            port = d.client_port(4)
            proc = await asyncio.create_subprocess_exec(
                "openssl", "s_client", "-dtls1_2", "-connect", f"127.0.0.1:{port}",
                "-psk_identity", fx.CLIENT_ID, "-psk", fx.CLIENT_KEY.encode().hex(),
                "-cipher", "PSK-AES128-CCM8", "-msg",
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )
            try:
                await fx.wait_until(lambda: d.stats["acks"] == 1, 10)
                assert proc.returncode is None  # s_client holds its session
                c = await DtlsClient.create(psk=_psk_client())
                await c.connect(("127.0.0.1", port), timeout=5)
                out, err = await asyncio.wait_for(proc.communicate(), 10)  # ends without stdin closing
                c.close()
            finally:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()
            assert d.stats["quota_evicted_address"] == 1 and d.stats["close_alerts_relayed"] == 1
            assert ccs.ccs.stats[CLOSE_ALERT] == 1
            text = out.decode()
            # -msg: the received (<<<) alert record is level 1 (warning), description 0 (close_notify)
            alert = ("<<< Not TLS data or unknown version (version=65277, content_type=21) [length 0002]\n"
                     "    01 00")
            assert alert in text, text[-1500:]
            assert "\nclosed\n" in text, text[-1500:]  # s_client's SSL_ERROR_ZERO_RETURN: the peer closed

    asyncio.run(go())
