"""Outbound delegation (paper 5.2, issue 10 item 6): the emulated mote asks its SSM (DELEGATE) to set up
a session with an outside DTLS server (libcoap's coap-server-openssl with a PSK); the SSM handshakes as
the client, hands the client-role state to the mote, and the mote PUTs its temperature in records only
it and the server can read, and prints the server's answer."""

from __future__ import annotations

import asyncio
import socket
import subprocess

import pytest

from tests.esse.esse_fixtures import both_backends, demo_data, scenario_adc, temperature_text
from tests.ssm.harness_fixtures import need, run_tool, wait_until

pytestmark = pytest.mark.slow
SERVER_KEY = "serverPSK"


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@both_backends
def test_mote_puts_its_reading_to_an_outside_dtls_server(tmp_path, backend):
    server_tool = need("coap-server-openssl", "libcoap3-bin")
    client_tool = need("coap-client-openssl", "libcoap3-bin")
    from harness.up import EsseSystem

    port = free_udp_port()
    server = subprocess.Popen(
        [server_tool, "-A", "127.0.0.1", "-p", str(port - 1 if port % 2 else port), "-k", SERVER_KEY],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    dtls_port = (port - 1 if port % 2 else port) + 1  # libcoap: DTLS on the port after the CoAP one
    data = demo_data(backend)
    data["outbound"] = {"server1": {"identity": "mote2", "key": SERVER_KEY}}
    expected = temperature_text(scenario_adc(2))

    async def go() -> None:
        async with EsseSystem(data, tmp_path / "sim") as system:
            d = system.delegator
            assert d is not None
            await system.outbound(2, "127.0.0.1", dtls_port, b"mote2", "example_data")
            await wait_until(lambda: any("outbound answer" in t for t in system.mote_lines(2)), 30)
            line = next(t for t in system.mote_lines(2) if "outbound answer" in t)
            assert "outbound answer 2.0" in line, line  # 2.01 Created or 2.04 Changed
            assert d.stats["outbound_requests"] == 1 and d.stats["handoffs"] == 1 and d.stats["acks"] == 1
            # what the mote PUT is on the server: read it back over DTLS with the server's own key
            argv = [
                client_tool,
                "-B",
                "10",
                "-u",
                "reader",
                "-k",
                SERVER_KEY,
                f"coaps://127.0.0.1:{dtls_port}/example_data",
            ]
            rc, out, err = await run_tool(*argv)
            assert (rc, out.decode().strip()) == (0, expected), err.decode()

    try:
        asyncio.run(go())
    finally:
        server.terminate()
        server.wait(10)
