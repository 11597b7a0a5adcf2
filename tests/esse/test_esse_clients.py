"""Acceptance of the ESSE sensor: real DTLS clients reach an emulated CCS mote through the SSM.

Simulation (border router + two ccs motes, each with its own PSK_DN in information flash) + bridge +
delegator (harness/up.py). The client's handshake ends at the SSM; the mote gets the session in one
KEY_MATERIAL message and answers CoAP inside DTLS records that the SSM relays without reading them.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.esse.esse_fixtures import (
    ALICE,
    ALICE_KEY,
    BOB,
    BOB_KEY,
    demo_system,
    libcoap,
    scenario_adc,
    temperature_text,
)
from tests.ssm.harness_fixtures import need, run_tool, wait_until

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("backend", ["dtls_record", "tinydtls", "saes"])
def test_coap_client_openssl_psk_ccm8_get_put_and_blockwise(tmp_path, backend):
    tool = need("coap-client-openssl", "libcoap3-bin")

    async def go() -> None:
        async with demo_system(tmp_path, backend) as system:
            port = system.client_port(4)
            d = system.delegator
            assert d is not None
            rc, out, err = await run_tool(*libcoap(tool, ALICE, ALICE_KEY, port, "sensors/temperature"))
            assert (rc, out.decode().strip()) == (0, temperature_text(scenario_adc(2))), err.decode()
            assert d.stats["suite_C0A8"] == 1 and d.stats["acks"] == 1 and d.tinydtls_peers() == 0
            # bob's identity routes to the other mote, with its own PSK_DN
            rc, out, err = await run_tool(*libcoap(tool, BOB, BOB_KEY, port, "sensors/temperature"))
            assert (rc, out.decode().strip()) == (0, temperature_text(scenario_adc(3))), err.decode()
            # libcoap ends with close_notify: the mote answers it, wipes the session and reports ERROR
            # session-closed, so the SSM frees both relay rows
            await wait_until(lambda: not d.sessions(), 10)
            assert d.stats["handoffs"] == 2
            # link-format is longer than one block: Block2 (RFC 7959), libcoap asks for every block
            rc, out, err = await run_tool(*libcoap(tool, ALICE, ALICE_KEY, port, ".well-known/core"))
            text = out.decode()
            assert rc == 0 and text.count("</") == 3 and "</actuators/leds>" in text, err.decode()
            assert len(text.strip()) > 64
            rc, _, err = await run_tool(
                *libcoap(tool, ALICE, ALICE_KEY, port, "actuators/leds", "-m", "put", "-e", "5")
            )
            assert rc == 0, err.decode()
            rc, out, err = await run_tool(*libcoap(tool, ALICE, ALICE_KEY, port, "actuators/leds"))
            assert (rc, out.decode().strip()) == (0, "5"), err.decode()
            rc, out, err = await run_tool(*libcoap(tool, ALICE, ALICE_KEY, port, "nothing/here"))
            assert b"4.04" in out + err, (rc, out, err)
            # the motes kept the sessions in RAM (4 fit), each client run was a new session
            assert "ccs: SSM port 61617" in "\n".join(system.mote_lines(2))

    asyncio.run(go())


@pytest.mark.parametrize("backend", ["dtls_record", "tinydtls"])
def test_coap_client_gnutls_psk_ccm(tmp_path, backend):
    tool = need("coap-client-gnutls", "libcoap3-bin")

    async def go() -> None:
        async with demo_system(tmp_path, backend) as system:
            rc, out, err = await run_tool(
                *libcoap(tool, ALICE, ALICE_KEY, system.client_port(4), "sensors/temperature")
            )
            assert (rc, out.decode().strip()) == (0, temperature_text(scenario_adc(2))), err.decode()
            assert system.delegator is not None and system.delegator.stats["suite_C0A4"] == 1

    asyncio.run(go())


@pytest.mark.parametrize("backend", ["dtls_record", "tinydtls"])
def test_openssl_s_client_psk_ccm8_data_both_ways(tmp_path, backend):
    need("openssl", "openssl")

    async def go() -> None:
        async with demo_system(tmp_path, backend) as system:
            d = system.delegator
            assert d is not None
            proc = await asyncio.create_subprocess_exec(
                "openssl", "s_client", "-dtls1_2", "-connect", f"127.0.0.1:{system.client_port(4)}",
                "-psk", ALICE_KEY.encode().hex(), "-psk_identity", ALICE,
                "-cipher", "PSK-AES128-CCM8", "-quiet",
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            try:
                await wait_until(lambda: d.stats["acks"] == 1, 20)
                assert proc.stdin is not None and proc.stdout is not None
                proc.stdin.write(b"hello mote\n")  # not CoAP: the mote echoes it in a record of its own
                await proc.stdin.drain()
                line = await asyncio.wait_for(proc.stdout.readline(), 15)
                assert line == b"hello mote\n"
            finally:
                proc.kill()
                await proc.wait()

    asyncio.run(go())


@pytest.mark.parametrize("backend", ["dtls_record", "tinydtls"])
def test_aiocoap_dtlssocket_psk(tmp_path, backend):
    try:
        import DTLSSocket  # noqa: F401
    except ImportError:
        pytest.skip("DTLSSocket is not installed (pip install DTLSSocket)")
    import aiocoap

    async def go() -> None:
        async with demo_system(tmp_path, backend) as system:
            uri = f"coaps://127.0.0.1:{system.client_port(4)}/sensors/temperature"
            ctx = await aiocoap.Context.create_client_context()
            ctx.client_credentials.load_from_dict(
                {
                    f"coaps://127.0.0.1:{system.client_port(4)}/*": {
                        "dtls": {"psk": ALICE_KEY.encode(), "client-identity": ALICE.encode()}
                    }
                }
            )
            try:
                resp = await asyncio.wait_for(
                    ctx.request(aiocoap.Message(code=aiocoap.GET, uri=uri)).response, 30
                )
                assert resp.payload.decode() == temperature_text(scenario_adc(2))
                wk_uri = uri.replace("sensors/temperature", ".well-known/core")
                resp = await asyncio.wait_for(
                    ctx.request(aiocoap.Message(code=aiocoap.GET, uri=wk_uri)).response, 30
                )
                assert resp.payload.count(b"</") == 3  # aiocoap follows the Block2 answers
            finally:
                await ctx.shutdown()

    asyncio.run(go())
