"""End to end over the simulation: host clients -> esse bridge -> serial socket -> border_router firmware
(emulated Sky, mote 1) -> CC2420 -> UDGM medium -> CC2420 -> ccs firmware (motes 2 and 3, per-mote ADC
values from the scenario), all in the engine `esse sim run` uses, at real-time pace. Every frame the
medium carried (the run's radio.pcap) is dissected by tshark."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiocoap
import pytest
from aiocoap.numbers.codes import Code
from e2e_helpers import PREFIX, coap, coap_client_notls, free_base_port, wait_for_prefix
from simnet import SimNetwork, demo_scenario
from wpan import have_tshark, tshark_json

from harness.bridge import Bridge

pytest.importorskip("harness.emulator.simmote", reason="the emulator extension is not built")

pytestmark = pytest.mark.slow

TEMPERATURE = {2: b"2920", 3: b"2895"}  # cooja_configs/scenarios/ccs_demo.toml
LIGHT = {2: b"420", 3: b"1800"}


def assert_pcap_clean(pcap: Path) -> list[dict]:
    """Every frame dissects without a malformed packet and with a good FCS; returns the layers."""
    if not have_tshark():
        pytest.skip("tshark missing: apt-get install tshark")
    layers = tshark_json(pcap, {"6lowpan.context0": str(PREFIX), "udp.check_checksum": "TRUE"})
    assert layers, "no frame on the air"
    bad = [
        i for i, lay in enumerate(layers, 1) if "_ws.malformed" in lay or lay["wpan"]["wpan.fcs_ok"] != "1"
    ]
    assert not bad, f"malformed frames in {pcap}: {bad[:10]}"
    return layers


def test_coap_and_ping_through_the_bridge_to_simulated_motes(tmp_path):
    base = free_base_port([2, 3])

    async def scenario(url: str) -> None:
        async with Bridge(url, PREFIX, base_port=base, motes=[2, 3]) as bridge:
            for mote in (2, 3):
                await wait_for_prefix(bridge, mote)
            # ICMPv6 echo; 400 bytes need 6LoWPAN fragments both ways (the echo carries them back)
            await bridge.ping(2, data=bytes(range(200)) * 2, timeout=10)
            ctx = await aiocoap.Context.create_client_context()
            try:
                for mote in (2, 3):
                    uri = f"coap://127.0.0.1:{base + mote}"
                    r = await coap(ctx, aiocoap.GET, f"{uri}/sensors/temperature")
                    assert (r.code, r.payload) == (Code.CONTENT, TEMPERATURE[mote])
                    r = await coap(ctx, aiocoap.GET, f"{uri}/sensors/light")
                    assert (r.code, r.payload) == (Code.CONTENT, LIGHT[mote])
                uri = f"coap://127.0.0.1:{base + 2}"
                r = await coap(ctx, aiocoap.PUT, f"{uri}/actuators/leds", b"3")
                assert r.code == Code.CHANGED
                r = await coap(ctx, aiocoap.GET, f"{uri}/actuators/leds")
                assert (r.code, r.payload) == (Code.CONTENT, b"3")
                # mote -> host fragmented: the link-format answer is longer than one frame
                r = await coap(ctx, aiocoap.GET, f"{uri}/.well-known/core")
                assert r.opt.content_format == 40 and r.payload.count(b"</") == 3 and len(r.payload) > 120
                # host -> mote fragmented: a 300-byte PUT is reassembled, parsed and refused by the app
                r = await coap(ctx, aiocoap.PUT, f"{uri}/actuators/leds", b"7" * 300)
                assert r.code == Code.BAD_REQUEST
            finally:
                await ctx.shutdown()
            uri3 = f"coap://127.0.0.1:{base + 3}"
            assert (await coap_client_notls("-m", "get", f"{uri3}/sensors/temperature")).strip() == "2895"
            await coap_client_notls("-m", "put", "-e", "6", f"{uri3}/actuators/leds")
            assert (await coap_client_notls("-m", "get", f"{uri3}/actuators/leds")).strip() == "6"
            wk = await coap_client_notls("-m", "get", f"{uri3}/.well-known/core")
            assert "</sensors/temperature>" in wk and "</actuators/leds>" in wk

    with SimNetwork(demo_scenario(), tmp_path) as net:
        asyncio.run(scenario(net.url))
    layers = assert_pcap_clean(net.files["pcap"])
    assert any(lay.get("coap", {}).get("coap.code") == "69" for lay in layers)  # 2.05 Content on air
    frag1 = [lay for lay in layers if "6lowpan" in lay and "6lowpan.frag.size" in str(lay["6lowpan"])]
    assert frag1, "no fragmented datagram on the air"


def test_con_exchanges_complete_with_20_percent_link_loss(tmp_path):
    """UDGM drops 20 % of receptions (success_ratio_rx = 0.8): the MAC's retries and CoAP's CON
    retransmissions carry every exchange through."""
    base = free_base_port([2, 3])

    async def scenario(url: str) -> None:
        async with Bridge(url, PREFIX, base_port=base, motes=[2, 3]) as bridge:
            for mote in (2, 3):
                await wait_for_prefix(bridge, mote)
            ctx = await aiocoap.Context.create_client_context()
            try:
                for i in range(6):
                    mote = 2 + i % 2
                    r = await coap(ctx, aiocoap.GET, f"coap://127.0.0.1:{base + mote}/sensors/temperature")
                    assert (r.code, r.payload) == (Code.CONTENT, TEMPERATURE[mote])
                r = await coap(ctx, aiocoap.GET, f"coap://127.0.0.1:{base + 2}/.well-known/core")
                assert r.payload.count(b"</") == 3  # fragments, each of them may be lost once
            finally:
                await ctx.shutdown()
            out = await coap_client_notls("-m", "get", f"coap://127.0.0.1:{base + 3}/sensors/light")
            assert out.strip() == "1800"

    with SimNetwork(demo_scenario(success_ratio_rx=0.8), tmp_path, seed=11) as net:
        asyncio.run(scenario(net.url))
    stats = net.engine.medium.stats
    assert stats.rx_failed >= 0.1 * stats.received, stats  # the loss really happened
    assert_pcap_clean(net.files["pcap"])
