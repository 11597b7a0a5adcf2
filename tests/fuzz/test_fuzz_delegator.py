"""Fuzz the delegator's datagram handling in-process: arbitrary client datagrams and CCS frames go
straight into its handlers (no packets on the wire); nothing may raise and the daemon keeps ticking."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.clock import SimClock
from harness.ssm.delegator import Delegator
from tests.ssm.harness_fixtures import config

# Datagrams that look like DTLS (handshake/appdata record headers) reach deeper than random bytes.
DTLS_HEAD = st.sampled_from([b"\x16\xfe\xfd", b"\x16\xfe\xff", b"\x17\xfe\xfd", b"\x15\xfe\xfd", b""])
DATAGRAM = st.builds(lambda h, b: h + b, DTLS_HEAD, st.binary(max_size=200))
CCS_ADDR = ("127.0.0.1", 9)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(client=st.lists(DATAGRAM, max_size=30), ccs=st.lists(st.binary(max_size=120), max_size=30))
def test_delegator_survives_arbitrary_datagrams(
    tmp_path_factory: pytest.TempPathFactory, client: list[bytes], ccs: list[bytes]
) -> None:
    """Arbitrary datagrams from clients and from the CCS's address never raise out of the handlers."""
    db = Path(tmp_path_factory.mktemp("fuzzdel")) / "relay.sqlite"

    async def go() -> None:
        clock = SimClock()
        async with Delegator(config(db, CCS_ADDR), clock=clock) as d:
            for i, data in enumerate(client):
                d._on_client_datagram(("127.0.0.1", 40000 + i % 3), data)
            for frame in ccs:
                d._on_ccs_frame(CCS_ADDR, frame)
            d.tick(clock.now() + 5.0)
            assert d.handshakes_in_progress() <= len(client)

    asyncio.run(go())
