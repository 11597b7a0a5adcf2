"""Acceptance: real DTLS clients get the stand-in CCS's CoAP answer through the delegator, which
relays records it cannot read (libcoap with OpenSSL and GnuTLS, openssl s_client, TinyDTLS with raw
public keys, aiocoap+DTLSSocket where it builds)."""

from __future__ import annotations

import asyncio

import pytest
from aiocoap.numbers.codes import Code
from requirements import require_module

from tests.ssm.harness_fixtures import (
    CLIENT_ID,
    CLIENT_KEY,
    coap_decode,
    coap_get,
    get_temperature,
    need,
    run_tool,
    ssm_and_ccs,
    wait_until,
)

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    "tool,package,suite",
    [
        ("coap-client-openssl", "libcoap3-bin", "C0A8"),
        ("coap-client-gnutls", "libcoap3-bin", "C0A4"),  # GnuTLS prefers CCM (16-byte tag) when offered
    ],
)
def test_coap_client_get_through_delegator(tmp_path, rec, tinydtls, tool, package, suite):
    need(tool, package)

    async def go():
        async with ssm_and_ccs(tmp_path) as (d, ccs):
            rc, out, err = await run_tool(*coap_get(tool, "127.0.0.1", d.client_port(4)))
            assert (rc, out.strip()) == (0, b"22.5 C"), err.decode()
            assert d.stats[f"suite_{suite}"] == 1
            assert d.stats["handoffs"] == 1 and d.stats["acks"] == 1
            assert ccs.ccs.stats["coap_requests"] == 1
            assert d.stats["relayed_to_ccs"] >= 1 and d.stats["relayed_to_client"] >= 1
            assert d.tinydtls_peers() == 0  # handed off: TinyDTLS keeps nothing

    asyncio.run(go())


def test_gnutls_with_ccm8_only_server(tmp_path, rec, tinydtls):
    need("coap-client-gnutls", "libcoap3-bin")

    async def go():
        async with ssm_and_ccs(tmp_path, cipher_suites=["PSK_AES_128_CCM_8"]) as (d, _):
            rc, out, err = await run_tool(*coap_get("coap-client-gnutls", "127.0.0.1", d.client_port(4)))
            assert (rc, out.strip()) == (0, b"22.5 C"), err.decode()
            assert d.stats["suite_C0A8"] == 1

    asyncio.run(go())


def test_coap_client_over_ipv6(tmp_path, rec, tinydtls):
    need("coap-client-openssl", "libcoap3-bin")

    async def go():
        async with ssm_and_ccs(tmp_path) as (d, _):
            rc, out, err = await run_tool(*coap_get("coap-client-openssl", "[::1]", d.client_port(6)))
            assert (rc, out.strip()) == (0, b"22.5 C"), err.decode()
            assert ":" in d.sessions()[0].client_address[0]

    asyncio.run(go())


def test_openssl_s_client_exchanges_data_both_ways(tmp_path, rec, tinydtls):
    need("openssl", "openssl")

    async def go():
        async with ssm_and_ccs(tmp_path) as (d, ccs):
            port = d.client_port(4)
            proc = await asyncio.create_subprocess_exec(
                "openssl",
                "s_client",
                "-dtls1_2",
                "-connect",
                f"127.0.0.1:{port}",
                "-psk",
                CLIENT_KEY.encode().hex(),
                "-psk_identity",
                CLIENT_ID,
                "-cipher",
                "PSK-AES128-CCM8",
                "-quiet",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            try:
                await wait_until(lambda: d.stats["acks"] == 1, 10)
                assert proc.stdin is not None and proc.stdout is not None
                proc.stdin.write(b"ping through the SSM\n")
                await proc.stdin.drain()
                line = await asyncio.wait_for(proc.stdout.readline(), 10)
                assert line == b"ping through the SSM\n"  # the stand-in echoes non-CoAP data
                assert ccs.ccs.received == [b"ping through the SSM\n"]
            finally:
                proc.kill()
                await proc.wait()

    asyncio.run(go())


def test_tinydtls_client_ecdhe_ecdsa_raw_public_keys(tmp_path, rec, tinydtls):
    from harness.tinydtls import binding
    from harness.tinydtls.udp import DtlsClient, DtlsError

    server_key, client_key = binding.EcdsaKey.generate(), binding.EcdsaKey.generate()
    extra = {
        "ecdsa": {
            "private": server_key.private.hex(),
            "public_x": server_key.public_x.hex(),
            "public_y": server_key.public_y.hex(),
            "clients": [
                {"public_x": client_key.public_x.hex(), "public_y": client_key.public_y.hex(), "ccs": "s1"}
            ],
        }
    }

    async def go():
        async with ssm_and_ccs(tmp_path, extra=extra) as (d, _):
            server = ("127.0.0.1", d.client_port(4))
            c = await DtlsClient.create(
                ecdsa_key=client_key,
                verify_peer_key=lambda addr, x, y: True,
                cipher_suites=[binding.Cipher.ECDHE_ECDSA_AES_128_CCM_8],
            )
            try:
                await c.connect(server)
                answer = coap_decode(await c.request(server, get_temperature(0x1234, b"tk")))
                assert (answer.code, answer.payload, answer.token) == (Code.CONTENT, b"22.5 C", b"tk")
                assert d.stats["suite_C0AE"] == 1
            finally:
                c.close()

            # a raw public key that is not configured gets no session
            stranger = await DtlsClient.create(
                ecdsa_key=binding.EcdsaKey.generate(),
                verify_peer_key=lambda addr, x, y: True,
                cipher_suites=[binding.Cipher.ECDHE_ECDSA_AES_128_CCM_8],
            )
            try:
                with pytest.raises((TimeoutError, DtlsError)):  # the SSM's alert, or silence
                    await stranger.connect(server, timeout=1.5)
                assert d.stats["unknown_raw_public_key"] >= 1 and d.stats["handoffs"] == 1
            finally:
                stranger.close()

    asyncio.run(go())


def test_aiocoap_with_dtlssocket(tmp_path, rec, tinydtls):
    require_module("DTLSSocket", "pip install DTLSSocket (builds with autoconf + cython)")
    import aiocoap
    from aiocoap.credentials import CredentialsMap  # noqa: F401

    async def go():
        async with ssm_and_ccs(tmp_path) as (d, _):
            uri = f"coaps://127.0.0.1:{d.client_port(4)}/sensors/temperature"
            ctx = await aiocoap.Context.create_client_context()
            ctx.client_credentials.load_from_dict(
                {uri: {"dtls": {"psk": CLIENT_KEY.encode(), "client-identity": CLIENT_ID.encode()}}}
            )
            try:
                resp = await asyncio.wait_for(
                    ctx.request(aiocoap.Message(code=aiocoap.GET, uri=uri)).response, 15
                )
                assert resp.payload == b"22.5 C"
            finally:
                await ctx.shutdown()

    asyncio.run(go())
