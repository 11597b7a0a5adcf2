"""Sensor to sensor (issue 10 item 7): two emulated CCS motes get a DTLS session with each other by
combining the flows: mote 2 asks its SSM for an outbound session (DELEGATE) to the DTLS endpoint that
serves mote 3; that endpoint's SSM hands the server side to mote 3, mote 2's SSM the client side to
mote 2. Mote 2 then GETs mote 3's temperature in records only the two motes can read."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from harness.ssm.config import from_dict
from harness.ssm.delegator import Delegator
from harness.up import EsseSystem
from tests.esse.esse_fixtures import both_backends, demo_data, scenario_adc, temperature_text
from tests.ssm.harness_fixtures import wait_until

pytestmark = pytest.mark.slow
PEER, PEER_KEY = "mote2-to-mote3", "peerPSK"


def ssm_config(system: EsseSystem, db: str, motes: list[int], **tables: Any) -> Any:
    """A delegator configuration for some of the system's motes (each mote behind one SSM only: two
    SSMs sealing under one PSK_DN with their own counters would reuse CCM nonces)."""
    ccs = {
        f"mote{n}": {"address": f"127.0.0.1:{system.ssm_base + n}", "psk_dn": system.psk_dn[n].hex()}
        for n in motes
    }
    ssm = {
        "listen": ["127.0.0.1:0"],
        "ccs_listen": "127.0.0.1:0",
        "db": db,
        "ack_timeout": 1.0,
        "ack_retries": 4,
    }
    return from_dict({"ssm": ssm, "ccs": ccs, **tables})


async def answer_of(system: EsseSystem, mote: int) -> str:
    await wait_until(lambda: any("outbound answer" in t for t in system.mote_lines(mote)), 30)
    return next(t for t in system.mote_lines(mote) if "outbound answer" in t)


@both_backends
def test_two_motes_behind_two_ssms(tmp_path, backend):
    async def go() -> None:
        async with EsseSystem(demo_data(backend), tmp_path / "sim") as system:
            assert system.delegator is not None
            await system.delegator.stop()  # replaced by one SSM per mote
            ssm_a = Delegator(
                ssm_config(
                    system,
                    str(tmp_path / "a.sqlite"),
                    [2],
                    outbound={"p": {"identity": PEER, "key": PEER_KEY}},
                )
            )
            ssm_b = Delegator(
                ssm_config(
                    system, str(tmp_path / "b.sqlite"), [3], clients={PEER: {"key": PEER_KEY, "ccs": "mote3"}}
                )
            )
            system.delegator = ssm_a
            await ssm_a.start()
            await ssm_b.start()
            try:
                await system.outbound(
                    2, "127.0.0.1", ssm_b.client_port(4), PEER.encode(), "sensors/temperature", "GET", ssm_a
                )
                line = await answer_of(system, 2)
                assert line.endswith(f"outbound answer 2.05 '{temperature_text(scenario_adc(3))}'"), line
                assert ssm_a.stats["handoffs"] == ssm_b.stats["handoffs"] == 1  # client side, server side
                assert ssm_a.tinydtls_peers() == 0 and ssm_b.tinydtls_peers() == 0
            finally:
                await ssm_b.stop()

    asyncio.run(go())


@both_backends
def test_two_motes_behind_one_ssm(tmp_path, backend):
    data = demo_data(backend)
    data["clients"][PEER] = {"key": PEER_KEY, "mote": 3}
    data["outbound"] = {"p": {"identity": PEER, "key": PEER_KEY}}

    async def go() -> None:
        async with EsseSystem(data, tmp_path / "sim") as system:
            d = system.delegator
            assert d is not None
            await system.outbound(
                2, "127.0.0.1", d.client_port(4), PEER.encode(), "sensors/temperature", "GET"
            )
            line = await answer_of(system, 2)
            assert line.endswith(f"outbound answer 2.05 '{temperature_text(scenario_adc(3))}'"), line
            assert d.stats["handoffs"] == 2 and d.stats["acks"] == 2

    asyncio.run(go())
