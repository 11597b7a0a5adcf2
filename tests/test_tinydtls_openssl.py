"""Interop: the Python TinyDTLS server against a real `openssl s_client` (DTLS 1.2, PSK, AES-128-CCM-8)."""

from __future__ import annotations

import asyncio

import pytest
from requirements import require_tool

KEY = bytes.fromhex("a1b2c3d4e5f60718293a4b5c6d7e8f90")
IDENTITY = b"Client_identity"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def openssl() -> str:
    return require_tool("openssl")


@pytest.fixture(scope="module")
def td(openssl):
    from harness.tinydtls.extension import ensure_built

    ensure_built()
    from harness.tinydtls import binding, udp

    return binding, udp


def test_openssl_s_client_psk_ccm8(td, openssl):
    binding, udp = td

    async def scenario():
        server = await udp.DtlsServer.create(("127.0.0.1", 0), psk=binding.PskStore({IDENTITY: KEY}))
        port = server.address[1]
        proc = await asyncio.create_subprocess_exec(
            openssl, "s_client", "-dtls1_2", "-connect", f"127.0.0.1:{port}",
            "-psk", KEY.hex(), "-psk_identity", IDENTITY.decode(), "-cipher", "PSK-AES128-CCM8",
            "-quiet", "-no_ign_eof",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        try:
            # s_client reads stdin only once the handshake is done: the line arrives as application data
            proc.stdin.write(b"hello from openssl\n")
            await proc.stdin.drain()
            addr, data = await server.recv(timeout=15)
            assert data == b"hello from openssl\n"
            assert server.context.is_connected(addr)
            peer = server.context.peer(addr)
            assert (peer.role, peer.epoch) == ("server", 1)

            server.send(addr, b"hello from tinydtls\n")
            line = await asyncio.wait_for(proc.stdout.readline(), 10)
            assert line == b"hello from tinydtls\n"

            proc.stdin.close()  # EOF: s_client sends close_notify and exits
            assert await asyncio.wait_for(proc.wait(), 10) == 0
            for _ in range(100):
                if (addr, binding.Alert.CLOSE_NOTIFY, binding.AlertLevel.WARNING) in server.events:
                    break
                await asyncio.sleep(0.02)
            assert (addr, binding.Alert.CLOSE_NOTIFY, binding.AlertLevel.WARNING) in server.events
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            server.close()

    asyncio.run(asyncio.wait_for(scenario(), 60))


def test_openssl_wrong_psk_is_refused(td, openssl):
    binding, udp = td

    async def scenario():
        server = await udp.DtlsServer.create(("127.0.0.1", 0), psk=binding.PskStore({IDENTITY: KEY}))
        proc = await asyncio.create_subprocess_exec(
            openssl, "s_client", "-dtls1_2", "-connect", f"127.0.0.1:{server.address[1]}",
            "-psk", "00" * 16, "-psk_identity", IDENTITY.decode(), "-cipher", "PSK-AES128-CCM8",
            "-quiet", "-no_ign_eof", "-timeout",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        try:
            # ClientHello, ClientHello with cookie, then flight 3 (ClientKeyExchange, ChangeCipherSpec,
            # Finished); a datagram is counted and handled in one callback, so at 3 the Finished was refused
            while server.datagrams_in < 3:
                await asyncio.sleep(0.01)
            assert server.received.empty()
            assert not any(e == binding.DtlsEvent.CONNECTED for _, e, _ in server.events)
        finally:
            if proc.returncode is None:
                proc.kill()
            await proc.wait()
            server.close()

    asyncio.run(asyncio.wait_for(scenario(), 60))
