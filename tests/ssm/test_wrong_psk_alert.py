"""Issue 16 item 6: a client with a wrong PSK gets a fatal alert and ends, instead of hanging to its own
timeout (TinyDTLS alone drops the undecryptable Finished silently)."""

from __future__ import annotations

import asyncio

from tests.ssm.harness_fixtures import CLIENT_ID, coap_get, need, run_tool, ssm_and_ccs

KILLED = -9  # run_tool's result when the client was still waiting at the deadline


def test_openssl_s_client_wrong_psk_gets_bad_record_mac(tmp_path, rec, tinydtls) -> None:
    """openssl s_client with another PSK: alert 20 (bad_record_mac) reported, exit != 0, no hang."""
    need("openssl", "openssl")

    async def go() -> None:
        async with ssm_and_ccs(tmp_path) as (d, _):
            argv = ["openssl", "s_client", "-dtls1_2", "-connect", f"127.0.0.1:{d.client_port(4)}",
                    "-psk_identity", CLIENT_ID, "-psk", "deadbeef", "-cipher", "PSK-AES128-CCM8"]
            rc, _, err = await run_tool(*argv, stdin=b"", timeout=15)
            assert rc not in (0, KILLED), err.decode()
            assert b"alert bad record mac" in err, err.decode()
            assert d.stats["bad_finished"] == 1 and d.stats["handoffs"] == 0
            assert d.handshakes_in_progress() == 0 and d.tinydtls_peers() == 0

    asyncio.run(go())


def test_coap_client_wrong_psk_ends_promptly_then_right_psk_works(tmp_path, rec, tinydtls) -> None:
    """coap-client-openssl with a wrong key ends (no answer) before its 30 s wait; the right key works."""
    need("coap-client-openssl", "libcoap3-bin")

    async def go() -> None:
        async with ssm_and_ccs(tmp_path) as (d, _):
            argv = coap_get("coap-client-openssl", "127.0.0.1", d.client_port(4))
            wrong = [a if a != "secretPSK" else "wrongPSK" for a in argv]
            wrong[wrong.index("-B") + 1] = "30"
            rc, out, err = await run_tool(*wrong, timeout=15)
            assert rc != KILLED and b"22.5" not in out, (rc, out, err)
            assert d.stats["bad_finished"] == 1
            rc, out, err = await run_tool(*argv)
            assert (rc, out.strip()) == (0, b"22.5 C"), err.decode()

    asyncio.run(go())
