"""A DTLS client whose source port changes mid-session (NAT rebinding), as docs/protocol.md says the
delegator treats it ("Delegator state and limits"): the client at its new port is a new peer. Its records
of the old session, now from the new port, reach TinyDTLS, which drops them (nothing is relayed to the
CCS, nothing answers, no TinyDTLS state is made); its new handshake gets a new session handed off to the
CCS; the old relay row stays until idle_timeout frees it (the CCS told with ERROR session-closed).

The client is a real TinyDTLS client behind a small UDP NAT that changes its outside port on demand; the
delegator runs on simulated time, so the idle expiry takes no wall time.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest

from harness.clock import SimClock
from harness.tinydtls.binding import PskStore
from harness.tinydtls.udp import DtlsClient
from tests.ssm.harness_fixtures import (
    CLIENT_ID,
    CLIENT_KEY,
    coap_decode,
    get_temperature,
    ssm_and_ccs,
    wait_until,
)

pytestmark = pytest.mark.slow
IDLE = 600.0


class Nat(asyncio.DatagramProtocol):
    """One client's NAT towards `server`: datagrams from the inside leave from the current outside port;
    answers to that port go back in. rebind() moves to a new outside port (the old one is closed)."""

    def __init__(self, server: tuple[str, int]) -> None:
        self.server = server
        self.inside: asyncio.DatagramTransport | None = None
        self.outside: asyncio.DatagramTransport | None = None
        self.client: Any = None

    @classmethod
    async def create(cls, server: tuple[str, int]) -> Nat:
        """A NAT listening on an ephemeral inside port, with an outside port open."""
        nat = cls(server)
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(lambda: nat, local_addr=("127.0.0.1", 0))
        await nat.rebind()
        return nat

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """The inside socket."""
        self.inside = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        """From the client: out through the current outside port."""
        self.client = addr
        assert self.outside is not None
        self.outside.sendto(data, self.server)

    @property
    def address(self) -> tuple[str, int]:
        """Where the client sends."""
        assert self.inside is not None
        return self.inside.get_extra_info("sockname")[:2]

    @property
    def outside_port(self) -> int:
        """The port the server sees."""
        assert self.outside is not None
        return int(self.outside.get_extra_info("sockname")[1])

    async def rebind(self) -> None:
        """A new outside port (what a NAT does when its mapping times out)."""
        nat = self

        class Outside(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
                if nat.inside is not None and nat.client is not None:
                    nat.inside.sendto(data, nat.client)

        old = self.outside
        loop = asyncio.get_running_loop()
        self.outside, _ = await loop.create_datagram_endpoint(Outside, local_addr=("127.0.0.1", 0))
        if old is not None:
            old.close()

    def close(self) -> None:
        """Close both sides."""
        for t in (self.inside, self.outside):
            if t is not None:
                t.close()


def test_client_that_moves_port_is_a_new_peer(tmp_path, rec, tinydtls):
    get = get_temperature()

    async def go() -> None:
        clock = SimClock(start=1_000.0)
        async with ssm_and_ccs(tmp_path, clock=clock, idle_timeout=IDLE) as (d, ccs):
            nat = await Nat.create(("127.0.0.1", d.client_port(4)))
            ident = CLIENT_ID.encode()
            c = await DtlsClient.create(psk=PskStore({ident: CLIENT_KEY.encode()}, identity=ident))
            try:
                await c.connect(nat.address)
                assert coap_decode(await c.request(nat.address, get)).payload == b"22.5 C"
                (old,) = d.sessions()
                assert old.client_address[1] == nat.outside_port
                assert (d.stats["relayed_to_ccs"], ccs.ccs.stats["coap_requests"]) == (1, 1)

                first_port = nat.outside_port
                await nat.rebind()  # mid-session: the SSM now sees another port
                assert nat.outside_port != first_port
                with pytest.raises(TimeoutError):  # the old session's record from the new port: dropped
                    await c.request(nat.address, get, timeout=1.0)

                c.restart_context()  # the client gives up on the silent session and handshakes again
                await c.connect(nat.address)  # its datagrams follow the dropped record on the same port
                await wait_until(lambda: d.stats["acks"] == 2)
                assert coap_decode(await c.request(nat.address, get)).payload == b"22.5 C"
                # the record from the new port before the new handshake never reached the CCS
                assert (d.stats["relayed_to_ccs"], ccs.ccs.stats["coap_requests"]) == (2, 2)
                assert d.stats["handoffs"] == 2 and d.stats["unknown_session"] == 0
                rows = {e.session_id: e.client_address[1] for e in d.sessions()}
                new = next(sid for sid in rows if sid != old.session_id)
                assert rows == {old.session_id: first_port, new: nat.outside_port}  # both rows, old kept
                assert set(ccs.ccs.sessions) == {old.session_id, new}
                assert d.tinydtls_peers() == 0  # nothing half-open left from the dropped record

                clock.advance(IDLE - 100)
                assert coap_decode(await c.request(nat.address, get)).payload == b"22.5 C"  # touches new
                clock.advance(101)  # the old row idle for IDLE + 1, the new one for 101 s
                assert [e.session_id for e in d.sessions()] == [new] and d.stats["idle_expired"] == 1
                await wait_until(
                    lambda: ccs.ccs.stats["ssm_error_5"] == 1 and list(ccs.ccs.sessions) == [new]
                )
                assert coap_decode(await c.request(nat.address, get)).payload == b"22.5 C"
            finally:
                c.close()
                nat.close()

    asyncio.run(go())
