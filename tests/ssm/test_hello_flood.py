"""Issue 16 item 1: per-source rate limits on cookie-carrying ClientHellos, the ones that
make the delegator keep state and, for ECDHE, sign a key share. A 1 000-hello ECDHE flood from one source
(handshakes in 2 worker processes) does not keep legitimate clients from completing their handshakes,
each within a 1 s client timeout."""

from __future__ import annotations

import asyncio

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from harness.ssm.ratelimit import SourceRateLimit, hello_cookie_length
from tests.ssm import harness_fixtures as fx
from tests.ssm.flood import prepared_hellos

FLOOD = 1000
LEGIT = 10


def _client_hellos(tinydtls) -> tuple[bytes, bytes]:  # noqa: ANN001
    """Two real ClientHellos: the first (no cookie) and the one after a TinyDTLS server's
    HelloVerifyRequest (with its cookie), exchanged in memory."""
    to_server: list[bytes] = []
    to_client: list[bytes] = []
    client_addr, server_addr = ("127.0.0.1", 40000), ("127.0.0.1", 5684)
    psk = tinydtls.PskStore({b"a": b"k"}, identity=b"a")
    client = tinydtls.DtlsContext(lambda a, d: to_server.append(d), psk=psk)
    server = tinydtls.DtlsContext(lambda a, d: to_client.append(d), psk=psk)
    try:
        client.connect(server_addr)
        first = to_server.pop()
        server.handle_message(client_addr, first)
        client.handle_message(server_addr, to_client.pop())
        return first, to_server.pop()
    finally:
        client.free()
        server.free()


def test_cookie_length_read_from_real_hellos(tinydtls) -> None:
    """0 for the first ClientHello, the echoed cookie's length for the second; None for other data."""
    first, second = _client_hellos(tinydtls)
    assert hello_cookie_length(first) == 0 and (hello_cookie_length(second) or 0) >= 16
    assert hello_cookie_length(b"\x17\xfe\xfd" + bytes(20)) is None
    assert hello_cookie_length(first[:40]) is None


def test_bucket_per_source_on_the_given_clock(tinydtls) -> None:
    """Burst, then `rate` per second; other sources and cookie-less hellos are not affected."""
    first, second = _client_hellos(tinydtls)
    lim = SourceRateLimit(rate=2.0, burst=3)
    assert [lim.allow("10.0.0.1", second, 0.0) for _ in range(4)] == [True, True, True, False]
    assert lim.allow("10.0.0.1", first, 0.0) and lim.allow("10.0.0.2", second, 0.0)
    assert not lim.allow("10.0.0.1", second, 0.4) and lim.allow("10.0.0.1", second, 0.5)
    six = SourceRateLimit(rate=1.0, burst=1)
    assert six.allow("2001:db8::1", second, 0.0) and not six.allow("2001:db8::2", second, 0.0)  # one /64


def test_refilled_buckets_are_forgotten_and_limits_hold(tinydtls) -> None:
    """A source whose bucket has filled again takes no memory (10 000 one-off sources leave a handful),
    while a source still draining keeps its debt across other sources' traffic."""
    _, second = _client_hellos(tinydtls)
    lim = SourceRateLimit(rate=10.0, burst=2)
    assert lim.allow("10.9.0.1", second, 0.0) and lim.allow("10.9.0.1", second, 0.0)
    assert not lim.allow("10.9.0.1", second, 0.0)  # empty: 0.2 s until the next token is earned
    for i in range(10_000):  # one hello each from 10 000 sources within 0.1 s (drained -> full: 0.1 s)
        assert lim.allow(f"10.{1 + i // 250 % 8}.{i % 250}.{i // 2000}", second, i * 1e-5)
    assert len(lim) > 1000  # still within their refill time: all kept
    assert not lim.allow("10.9.0.1", second, 0.09)  # the drained source did not get a fresh bucket
    assert lim.allow("10.200.0.1", second, 1.0)  # a second later every one-off bucket is full again
    assert len(lim) <= 2
    assert lim.allow("10.9.0.1", second, 1.0) and lim.allow("10.9.0.1", second, 1.0)
    assert not lim.allow("10.9.0.1", second, 1.0)


def _ecdsa_section() -> dict:
    key = ec.generate_private_key(ec.SECP256R1())
    pub = key.public_key().public_numbers()
    return {"ecdsa": {
        "private": key.private_numbers().private_value.to_bytes(32, "big").hex(),
        "public_x": pub.x.to_bytes(32, "big").hex(), "public_y": pub.y.to_bytes(32, "big").hex(),
    }}


@pytest.mark.slow
def test_legitimate_clients_complete_during_ecdhe_flood(tmp_path, rec, tinydtls) -> None:
    """1 000 cookie-carrying ECDHE hellos from 127.0.0.2 land at once; meanwhile 10 TinyDTLS PSK
    handshakes from 127.0.0.1 each complete within a 1 s client timeout and a libcoap client is served."""
    fx.need("coap-client-openssl", "libcoap3-bin")
    from harness.tinydtls.binding import PskStore
    from harness.tinydtls.udp import DtlsClient

    async def go() -> None:
        async with fx.ssm_and_ccs(tmp_path, workers=2, extra=_ecdsa_section()) as (d, _):
            server = ("127.0.0.1", d.client_port(4))
            pairs = await prepared_hellos(server, FLOOD, source="127.0.0.2", ecdhe=True)
            try:
                for s, hello in pairs:
                    s.sendto(hello, server)
                ident = fx.CLIENT_ID.encode()
                psk = PskStore({ident: fx.CLIENT_KEY.encode()}, identity=ident)
                for n in range(LEGIT):
                    c = await DtlsClient.create(psk=psk)
                    try:
                        await c.connect(server, timeout=1.0)
                        answer = fx.coap_decode(await c.request(server, fx.get_temperature(n), timeout=1.0))
                        assert answer.payload == b"22.5 C"
                    finally:
                        c.close()
                rc, out, err = await fx.run_tool(*fx.coap_get("coap-client-openssl", "127.0.0.1", server[1]))
                assert (rc, out.strip()) == (0, b"22.5 C"), err.decode()
                assert d.stats["rate_limited"] >= FLOOD - 2 * 40, dict(d.stats)
                assert d.stats["handshakes_started"] < 200
            finally:
                for s, _ in pairs:
                    s.close()

    asyncio.run(go())
