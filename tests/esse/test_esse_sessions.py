"""Sessions on the emulated CCS: several at once with least-recently-used eviction (the mote tells the
client with close_notify and the SSM with ERROR session-closed), the HANDBACK of a retransmitted client
Finished, and a session the mote lost in a reboot (ERROR unknown-session frees the relay row)."""

from __future__ import annotations

import asyncio

import aiocoap
import pytest
from aiocoap.numbers.codes import Code

from harness.tinydtls import binding
from harness.tinydtls.udp import DtlsClient
from tests.esse.esse_fixtures import (
    ALICE,
    ALICE_KEY,
    both_backends,
    demo_system,
    scenario_adc,
    temperature_text,
)

pytestmark = pytest.mark.slow
MAX_SESSIONS = 4  # CCS_MAX_SESSIONS in firmware/apps/ccs/ccs_secure.h
GET_TEMP = aiocoap.Message(
    mtype=aiocoap.CON, code=aiocoap.GET, mid=0x4242, token=b"tk", uri_path=("sensors", "temperature")
).encode()


class Client:
    """One DTLS client of one server (a DtlsClient on its own socket), with the alerts it received."""

    def __init__(self, server: tuple[str, int], **kw: object) -> None:
        self.server, self.kw = server, kw
        self.ep: DtlsClient | None = None

    async def connect(self, timeout: float = 5.0) -> None:
        """Open the socket and complete the handshake."""
        identity = ALICE.encode()
        self.ep = await DtlsClient.create(
            ("127.0.0.1", 0),
            psk=binding.PskStore({identity: ALICE_KEY.encode()}, identity=identity),
            cipher_suites=[binding.Cipher.PSK_AES_128_CCM_8],
            **self.kw,
        )
        await self.ep.connect(self.server, timeout=timeout)

    @property
    def transport(self) -> object:
        """The UDP transport (None before connect)."""
        return self.ep.transport if self.ep else None

    @property
    def alerts(self) -> list[object]:
        """Alerts received from the server."""
        return [ev for _, ev, level in (self.ep.events if self.ep else []) if level is not None]

    async def request(self, payload: bytes, timeout: float = 5.0) -> bytes:
        """Send one application datagram and wait for the answer."""
        assert self.ep is not None
        return await self.ep.request(self.server, payload, timeout)

    def close(self) -> None:
        """Close the socket."""
        if self.ep:
            self.ep.close()


def client(port: int, **kw: object) -> Client:
    """A client of the SSM's DTLS port on loopback."""
    return Client(("127.0.0.1", port), **kw)


async def get_temperature(c: Client) -> str:
    """GET /sensors/temperature over the session; the payload text."""
    answer = aiocoap.Message.decode(await c.request(GET_TEMP, timeout=15))
    assert answer.code == Code.CONTENT
    return answer.payload.decode()


@both_backends
def test_lru_eviction_closes_the_oldest_session_at_both_ends(tmp_path, tinydtls, backend):
    expected = temperature_text(scenario_adc(2))

    async def go() -> None:
        async with demo_system(tmp_path, backend) as system:
            d = system.delegator
            assert d is not None
            clients = [client(system.client_port(4)) for _ in range(MAX_SESSIONS + 1)]
            try:
                for c in clients[:MAX_SESSIONS]:
                    await c.connect(timeout=15)
                    assert await get_temperature(c) == expected
                assert len(d.sessions()) == MAX_SESSIONS
                await get_temperature(clients[1])  # client 0 is now the least recently used
                await clients[MAX_SESSIONS].connect(timeout=15)
                assert await get_temperature(clients[MAX_SESSIONS]) == expected
                for _ in range(100):  # the ERROR session-closed reaches the SSM
                    if len(d.sessions()) == MAX_SESSIONS:
                        break
                    await asyncio.sleep(0.1)
                rows = {e.client_address[1] for e in d.sessions()}
                assert clients[0].transport is not None
                assert clients[0].transport.get_extra_info("sockname")[1] not in rows
                assert len(rows) == MAX_SESSIONS
                assert clients[0].alerts, "the evicted client got no close_notify"
                for c in clients[1:]:
                    assert await get_temperature(c) == expected
            finally:
                for c in clients:
                    c.close()

    asyncio.run(go())


@both_backends
def test_lost_final_flight_the_mote_hands_back_the_client_finished(tmp_path, tinydtls, backend):
    lost: list[bytes] = []

    def drop_first_final_flight(dgram: bytes) -> bool:
        if not lost and dgram[0] == 20:  # the SSM's ChangeCipherSpec + Finished
            lost.append(dgram)
            return True
        return False

    async def go() -> None:
        async with demo_system(tmp_path, backend) as system:
            d = system.delegator
            assert d is not None
            c = client(system.client_port(4), drop=drop_first_final_flight)
            try:
                await c.connect(timeout=20)
                await asyncio.sleep(2)
                assert lost and d.stats["handbacks"] >= 1 and d.stats["final_flight_resent"] >= 1, d.stats
                assert await get_temperature(c) == temperature_text(scenario_adc(2))
            finally:
                c.close()

    asyncio.run(go())


@both_backends
def test_session_lost_in_a_reboot_frees_the_relay_row(tmp_path, tinydtls, backend):
    async def go() -> None:
        async with demo_system(tmp_path, backend) as system:
            d = system.delegator
            assert d is not None
            c = client(system.client_port(4))
            try:
                await c.connect(timeout=15)
                await get_temperature(c)
                assert len(d.sessions()) == 1
                await system.reboot(2)
                await system.wait_for_mote(2)  # booted and has its global address again
                with pytest.raises(TimeoutError):
                    await get_temperature(c)  # the mote lost the keys with its RAM
                for _ in range(100):
                    if not d.sessions():
                        break
                    await asyncio.sleep(0.1)
                assert not d.sessions()  # ERROR unknown-session from the mote freed the row
                c2 = client(system.client_port(4))
                try:
                    await c2.connect(timeout=15)
                    assert await get_temperature(c2) == temperature_text(scenario_adc(2))
                finally:
                    c2.close()
            finally:
                c.close()

    asyncio.run(go())
