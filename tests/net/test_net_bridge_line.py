"""A serial line that goes away under a running bridge (the simulation ended, the USB mote was
unplugged) is reported, and `esse bridge` exits with the reason instead of serving dead ports."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading

from harness.bridge.bridge import Bridge
from harness.bridge.ipv6 import parse_prefix


def test_bridge_reports_a_lost_serial_line():
    async def run() -> tuple[str | None, bytes]:
        accepted: asyncio.Future[asyncio.StreamWriter] = asyncio.get_running_loop().create_future()
        received = bytearray()

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            received.extend(await reader.read(200))  # the bridge's first Router Advertisement
            accepted.set_result(writer)

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        bridge = Bridge(f"socket://127.0.0.1:{port}", parse_prefix("fd00::/64"), base_port=0,
                        motes=[1])
        await bridge.start()
        try:
            writer = await asyncio.wait_for(accepted, 10)
            assert not bridge.line_lost.is_set()
            writer.close()  # the far end goes away
            server.close()
            await asyncio.wait_for(bridge.line_lost.wait(), 10)
            return bridge.line_error, bytes(received)
        finally:
            await bridge.stop()

    error, received = asyncio.run(run())
    assert received[:1] == b"\xc0" and received[1] >> 4 == 6  # a SLIP-framed IPv6 packet (the RA) came first
    assert error is not None and error.startswith("serial line socket://127.0.0.1:") and " lost: " in error


def test_esse_bridge_exits_with_the_reason_when_the_line_is_lost():
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def accept_then_hang_up() -> None:
        conn, _ = listener.accept()
        conn.recv(200)
        conn.close()
        listener.close()

    threading.Thread(target=accept_then_hang_up, daemon=True).start()
    res = subprocess.run(
        [sys.executable, "-m", "harness.cli", "bridge", "--serial", f"socket://127.0.0.1:{port}",
         "--motes", "1", "--base-port", "0"],
        capture_output=True, text=True, timeout=60,
    )
    assert res.returncode == 1, res.stdout + res.stderr
    assert f"esse bridge: serial line socket://127.0.0.1:{port} lost" in res.stderr
