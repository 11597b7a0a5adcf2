"""Issue 16 item 2: half-open handshake slots are shared fairly per source; a flood of cookie-passing
PSK hellos from one source evicts only that source's handshakes, so a slow legitimate client (200 ms
between its flights, on the delegator's simulated clock) completes and is served."""

from __future__ import annotations

import asyncio

import pytest

from harness.clock import SimClock
from harness.ssm.halfopen import FairHalfOpen, source_of
from tests.ssm.flood import SteppedClient, cookie_hellos
from tests.ssm.harness_fixtures import coap_decode, get_temperature, ssm_and_ccs

SLOTS = 16
FLOOD_PER_GAP = 3 * SLOTS  # more than every slot between two flights of the slow client
GAP = 0.2  # seconds between the slow client's flights


def test_source_of_groups_by_prefix() -> None:
    """IPv4 /32 and IPv6 /64 by default; v4-mapped IPv6 counts as its IPv4 source."""
    assert source_of("192.0.2.7") == "192.0.2.7/32"
    assert source_of("192.0.2.7", prefix_v4=24) == "192.0.2.0/24"
    assert source_of("2001:db8:1:2::5") == source_of("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert source_of("::ffff:192.0.2.7") == "192.0.2.7/32"
    assert source_of("fe80::1%lo") == "fe80::/64"


def test_eviction_takes_the_heaviest_sources_oldest() -> None:
    """Max-min fair: the source holding most slots loses its oldest; ties go to the first to get there."""
    t: FairHalfOpen[int] = FairHalfOpen()
    t[("10.0.0.1", 1)] = 1
    for port in range(5):
        t[("10.0.0.9", port)] = 100 + port
    t[("10.0.0.2", 1)] = 2
    assert t.sources() == {"10.0.0.1/32": 1, "10.0.0.9/32": 5, "10.0.0.2/32": 1}
    assert [t.evict_heaviest() for _ in range(4)] == [(("10.0.0.9", p), 100 + p) for p in range(4)]
    assert t.evict_heaviest() == (("10.0.0.1", 1), 1)  # three sources with one each: the earliest
    assert t.pop(("10.0.0.2", 1)) == 2 and t.pop(("10.0.0.2", 1)) is None
    assert len(t) == 1 and t.heaviest_source() == "10.0.0.9/32"
    t.pop(("10.0.0.9", 4))
    assert len(t) == 0 and t.heaviest_source() is None and t.sources() == {}
    with pytest.raises(KeyError):
        t.evict_heaviest()


@pytest.mark.slow
def test_slow_client_completes_during_one_source_flood(tmp_path, rec, tinydtls) -> None:
    """Between each of the slow client's flights one source (127.0.0.2) puts 3x the slots' worth of
    cookie-passing hellos on the delegator and its clock moves 200 ms; the client still completes."""

    async def go() -> None:
        clock = SimClock()
        opts = {"max_handshakes": SLOTS, "handshake_timeout": 5.0, "hello_rate_per_source": 1e6,
                "hello_burst_per_source": 10_000}  # this test is about slots, not rates
        async with ssm_and_ccs(tmp_path, clock=clock, **opts) as (d, ccs):
            server = ("127.0.0.1", d.client_port(4))
            client = SteppedClient(server)
            socks = []
            try:
                for _flight in range(3):  # ClientHello; ClientHello + cookie; key exchange + Finished
                    assert client.flush() >= 1
                    await client.receive_flight()
                    if client.connected():
                        break
                    socks += await cookie_hellos(server, FLOOD_PER_GAP, source="127.0.0.2")
                    clock.advance(GAP)
                assert client.connected(), client.events
                assert d.stats["handshakes_evicted"] >= 2 * FLOOD_PER_GAP - SLOTS, dict(d.stats)
                assert d.handshakes_in_progress() <= SLOTS
                client.write(get_temperature())
                await client.receive_flight()
                assert coap_decode(client.data[0]).payload == b"22.5 C"
                assert ccs.ccs.stats["coap_requests"] == 1
            finally:
                client.close()
                for s in socks:
                    s.close()

    asyncio.run(go())
