"""Host TinyDTLS through cffi: real handshakes over localhost UDP, checked against independent crypto."""

from __future__ import annotations

import asyncio
import struct
from types import ModuleType

import pytest
from requirements import ipv6_loopback, require

KEY = bytes.fromhex("000102030405060708090a0b0c0d0e0f")
IDENTITY = b"mote-7"


@pytest.fixture(scope="module")
def td() -> ModuleType:
    """harness.tinydtls.binding, built first if missing or stale."""
    from harness.tinydtls.extension import ensure_built

    ensure_built()
    from harness.tinydtls import binding

    return binding


@pytest.fixture(scope="module")
def udp(td) -> ModuleType:
    from harness.tinydtls import udp

    return udp


HOSTS = ["127.0.0.1", "::1"]


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


@pytest.mark.parametrize("host", HOSTS)
def test_psk_handshake_and_data_both_ways(td, udp, host):
    require(host != "::1" or ipv6_loopback(), "no IPv6 loopback (::1) on this machine")

    async def scenario():
        server = await udp.DtlsServer.create((host, 0), psk=td.PskStore({IDENTITY: KEY}))
        client = await udp.DtlsClient.create((host, 0), psk=td.PskStore({IDENTITY: KEY}, identity=IDENTITY))
        try:
            await client.connect(server.address)
            client.send(server.address, b"GET /temp")
            addr, data = await server.recv()
            assert (addr, data) == (client.address, b"GET /temp")
            server.send(addr, b"21.5 C")
            assert await client.recv() == (server.address, b"21.5 C")
            srv_peer, cli_peer = server.context.peer(addr), client.context.peer(server.address)
            assert srv_peer.role == "server" and cli_peer.role == "client"
            assert srv_peer.state == cli_peer.state == td.PeerState.CONNECTED
            assert srv_peer.epoch == cli_peer.epoch == 1
            assert srv_peer.key_block == cli_peer.key_block and len(set(srv_peer.key_block)) > 8
            assert any(e == td.DtlsEvent.CONNECTED for _, e, _ in server.events)
            client.close_session(server.address)
            for _ in range(50):
                if server.context.peer(addr) is None:
                    break
                await asyncio.sleep(0.01)
            assert (addr, td.Alert.CLOSE_NOTIFY, td.AlertLevel.WARNING) in server.events
            assert server.context.peer(addr) is None
        finally:
            client.close()
            server.close()

    run(scenario())


def test_wrong_psk_fails_the_handshake(td, udp):
    async def scenario():
        server = await udp.DtlsServer.create(psk=td.PskStore({IDENTITY: KEY}))
        client = await udp.DtlsClient.create(psk=td.PskStore({IDENTITY: bytes(16)}, identity=IDENTITY))
        try:
            with pytest.raises((td.DtlsError, asyncio.TimeoutError)):
                await client.connect(server.address, timeout=2)
            assert not server.context.is_connected(client.address)
            assert server.received.empty()
        finally:
            client.close()
            server.close()

    run(scenario())


def test_application_record_decrypts_with_exported_key_block(td, udp):
    """The key block TinyDTLS reports is the RFC 5246/6655 one: decrypt a captured record ourselves."""
    from cryptography.hazmat.primitives.ciphers.aead import AESCCM

    async def scenario():
        server = await udp.DtlsServer.create(psk=td.PskStore({IDENTITY: KEY}))
        client = await udp.DtlsClient.create(psk=td.PskStore({IDENTITY: KEY}, identity=IDENTITY))
        sent: list[bytes] = []
        original = client.context._send

        def capture(addr, data):
            sent.append(data)
            original(addr, data)

        client.context._send = capture
        try:
            await client.connect(server.address)
            sent.clear()
            client.send(server.address, b"secret reading 42")
            await server.recv()
            (record,) = sent
            ctype, version, epoch, seq_hi, seq_lo, length = struct.unpack("!BHHHIH", record[:13])
            assert (ctype, version, epoch) == (23, 0xFEFD, 1)
            kb = client.context.peer(server.address).key_block
            client_key, client_iv = kb[0:16], kb[32:36]
            explicit = record[13:21]
            assert explicit == record[3:11]  # TinyDTLS uses epoch||seq as the explicit nonce
            plain_len = length - 8 - 8
            aad = record[3:11] + bytes([ctype]) + record[1:3] + struct.pack("!H", plain_len)
            plain = AESCCM(client_key, tag_length=8).decrypt(client_iv + explicit, record[21:], aad)
            assert plain == b"secret reading 42"
        finally:
            client.close()
            server.close()

    run(scenario())


def test_ecdhe_ecdsa_raw_public_keys(td, udp):
    server_key, client_key = td.EcdsaKey.generate(), td.EcdsaKey.generate()
    seen: list[tuple[bytes, bytes]] = []

    def trust(expected):
        def verify(addr, x, y):
            seen.append((x, y))
            return (x, y) == (expected.public_x, expected.public_y)

        return verify

    async def scenario(client_trusts):
        server = await udp.DtlsServer.create(ecdsa_key=server_key, verify_peer_key=trust(client_key))
        client = await udp.DtlsClient.create(
            ecdsa_key=client_key,
            verify_peer_key=trust(client_trusts),
            cipher_suites=[td.Cipher.ECDHE_ECDSA_AES_128_CCM_8],
        )
        try:
            await client.connect(server.address, timeout=5)
            client.send(server.address, b"ecc")
            assert (await server.recv())[1] == b"ecc"
            return "ok"
        except td.DtlsError as exc:
            return str(exc)
        finally:
            client.close()
            server.close()

    assert run(scenario(server_key)) == "ok"
    assert (server_key.public_x, server_key.public_y) in seen
    assert (client_key.public_x, client_key.public_y) in seen  # server asked for client authentication
    # a client that does not trust the server's raw public key refuses the handshake
    assert "BAD_CERTIFICATE" in run(scenario(td.EcdsaKey.generate()))


def test_callback_exception_reaches_the_caller(td):
    outbox: list[tuple[tuple, bytes]] = []

    def boom(addr, data):
        raise ValueError("callback failed")

    client_psk = td.PskStore({IDENTITY: KEY}, identity=IDENTITY)
    client = td.DtlsContext(lambda a, d: outbox.append((a, d)), psk=client_psk)
    failing = td.DtlsContext(boom, psk=td.PskStore({IDENTITY: KEY}))
    try:
        client.connect(("127.0.0.1", 9))
        (addr, hello), = outbox
        with pytest.raises(ValueError, match="callback failed"):
            failing.handle_message(("127.0.0.1", 10), hello)  # the server answers via `boom`
    finally:
        client.free()
        failing.free()


def test_retransmission_after_lost_flight(td, udp):
    """Drop the server's first flight: the client's retransmission timer must recover the handshake."""

    async def scenario():
        server = await udp.DtlsServer.create(psk=td.PskStore({IDENTITY: KEY}))
        client = await udp.DtlsClient.create(psk=td.PskStore({IDENTITY: KEY}, identity=IDENTITY))
        dropped = []
        original = server.context._send

        def lossy(addr, data):
            if not dropped:
                dropped.append(data)
                return
            original(addr, data)

        server.context._send = lossy
        try:
            delay_before = client.context.check_retransmit()
            assert delay_before is None  # nothing in flight yet
            await client.connect(server.address, timeout=10)
            assert dropped[0][0] == 22 and dropped[0][13] == 3  # the HelloVerifyRequest was lost
            assert client.datagrams_out > 3  # the ClientHello went out again
        finally:
            client.close()
            server.close()

    run(scenario())
