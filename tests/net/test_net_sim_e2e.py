"""End to end over the simulation: host clients -> esse bridge -> serial socket -> border_router firmware
(emulated Sky, mote 1) -> CC2420 -> UDGM medium -> CC2420 -> ccs firmware (motes 2 and 3, per-mote ADC
values from the scenario), all in the engine `esse sim run` uses, at real-time pace. Every frame the
medium carried (the run's radio.pcap) is dissected by tshark."""

from __future__ import annotations

import asyncio
import struct
from pathlib import Path

import aiocoap
import pytest
import wpan
from aiocoap.numbers.codes import Code
from ccs_oracle import assert_temperature, scenario_adc
from e2e_helpers import PREFIX, coap, coap_client_notls, firmware_stats, until, wait_for_prefix
from requirements import require_module, require_tool
from simnet import FrameInjector, SimNetwork, demo_scenario
from wpan import tshark_json

from harness.bridge import Bridge

require_module("harness.emulator.simmote", "python setup.py build_ext --inplace")

pytestmark = pytest.mark.slow

TEMPERATURE_ADC = scenario_adc(demo_scenario(), "temperature")  # cooja_configs/scenarios/ccs_demo.toml
LIGHT = {2: b"420", 3: b"1800"}


def assert_pcap_clean(pcap: Path) -> list[dict]:
    """Every frame dissects without a malformed packet and with a good FCS; returns the layers."""
    require_tool("tshark")
    layers = tshark_json(pcap, {"6lowpan.context0": str(PREFIX), "udp.check_checksum": "TRUE"})
    assert layers, "no frame on the air"
    bad = [
        i for i, lay in enumerate(layers, 1) if "_ws.malformed" in lay or lay["wpan"]["wpan.fcs_ok"] != "1"
    ]
    assert not bad, f"malformed frames in {pcap}: {bad[:10]}"
    return layers


def test_coap_and_ping_through_the_bridge_to_simulated_motes(tmp_path):

    async def scenario(url: str) -> None:
        async with Bridge(url, PREFIX, base_port=0, motes=[2, 3]) as bridge:
            for mote in (2, 3):
                await wait_for_prefix(bridge, mote)
            # ICMPv6 echo; 400 bytes need 6LoWPAN fragments both ways (the echo carries them back)
            await bridge.ping(2, data=bytes(range(200)) * 2, timeout=10)
            ctx = await aiocoap.Context.create_client_context()
            try:
                for mote in (2, 3):
                    uri = f"coap://127.0.0.1:{bridge.port_of(mote)}"
                    r = await coap(ctx, aiocoap.GET, f"{uri}/sensors/temperature")
                    assert r.code == Code.CONTENT
                    assert_temperature(r.payload, TEMPERATURE_ADC[mote])
                    r = await coap(ctx, aiocoap.GET, f"{uri}/sensors/light")
                    assert (r.code, r.payload) == (Code.CONTENT, LIGHT[mote])
                uri = f"coap://127.0.0.1:{bridge.port_of(2)}"
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
            uri3 = f"coap://127.0.0.1:{bridge.port_of(3)}"
            out = await coap_client_notls("-m", "get", f"{uri3}/sensors/temperature")
            assert_temperature(out.strip(), TEMPERATURE_ADC[3])
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
    """UDGM loses 20 % of the frames (success_ratio_tx = 0.8: one draw per transmission, whatever the
    distance; success_ratio_rx only applies in full at the edge of the range): the MAC's retries and
    CoAP's CON retransmissions carry every exchange through."""

    async def scenario(url: str) -> None:
        async with Bridge(url, PREFIX, base_port=0, motes=[2, 3]) as bridge:
            for mote in (2, 3):
                await wait_for_prefix(bridge, mote)
            ctx = await aiocoap.Context.create_client_context()
            try:
                for i in range(6):
                    mote = 2 + i % 2
                    r = await coap(ctx, aiocoap.GET, f"coap://127.0.0.1:{bridge.port_of(mote)}/sensors/temperature")
                    assert r.code == Code.CONTENT
                    assert_temperature(r.payload, TEMPERATURE_ADC[mote])
                r = await coap(ctx, aiocoap.GET, f"coap://127.0.0.1:{bridge.port_of(2)}/.well-known/core")
                assert r.payload.count(b"</") == 3  # fragments, each of them may be lost once
            finally:
                await ctx.shutdown()
            out = await coap_client_notls("-m", "get", f"coap://127.0.0.1:{bridge.port_of(3)}/sensors/light")
            assert out.strip() == "1800"

    with SimNetwork(demo_scenario(success_ratio_tx=0.8), tmp_path, seed=11) as net:
        asyncio.run(scenario(net.url))
    stats = net.engine.medium.stats
    assert stats.tx_lost >= 0.1 * stats.frames_sent, stats  # the loss really happened
    assert_pcap_clean(net.files["pcap"])


# ---- fragment attacks (Hummen et al.) from a third radio, against the emulated CCS --------------------
ATTACKER = 4


def short(node: int) -> bytes:
    """The 802.15.4 short address of a node (= its id), most significant byte first."""
    return node.to_bytes(2, "big")


def iphc_udp_link_local(payload: bytes) -> bytes:
    """RFC 6282 IPHC: TF elided, next header inline (UDP), hop limit 64, link-local source and
    destination from the link-layer addresses; then the uncompressed UDP header and the payload."""
    udp = struct.pack("!HHHH", 0xF0B0, 5683, 8 + 48 + 64, 0)  # length of the forged datagram's UDP
    return bytes([0x7A, 0x33, 17]) + udp + payload


def attack_frames() -> list[bytes]:
    """One cycle of the attack, each a unicast data frame from the attacker to the CCS (mote 2)."""
    head = iphc_udp_link_local(bytes(48))  # 40 + 8 + 48 = 96 uncompressed bytes in the FRAG1

    def frag1(size: int, tag: int) -> bytes:
        return struct.pack("!HH", 0xC000 | size, tag) + head

    def fragn(size: int, tag: int, offset: int, fill: int) -> bytes:
        return struct.pack("!HHB", 0xE000 | size, tag, offset // 8) + bytes([fill]) * 64

    payloads = [
        frag1(2047, 0x100),  # forged: announces the largest datagram the 11-bit field allows
        frag1(640, 0x200),  # a real reservation...
        frag1(640, 0x200),  # ...duplicated
        fragn(640, 0x200, 96, 0x11),
        fragn(640, 0x200, 96, 0x11),  # duplicate FRAGN (identical bytes)
        fragn(640, 0x200, 128, 0x22),  # overlaps the previous one with other bytes: drops the datagram
    ]
    payloads += [frag1(640, 0x300 + i) for i in range(6)]  # flood: never completed, new tags
    return [wpan.data_frame(short(ATTACKER), short(2), p, seq=0x80 + i) for i, p in enumerate(payloads)]


SIXLOWPAN_STATS = (
    "rx_frames rx_dropped reass_done reass_too_big reass_duplicate reass_conflict reass_evicted "
    "reass_timeout tx_frames tx_fragmented"
).split()  # firmware/net/sixlowpan.h sixlowpan_stats_t, uint16_t each


def sixlowpan_stats(sim_mote) -> dict[str, int]:  # noqa: ANN001 - a SkySimMote
    """The 6LoWPAN counters of an emulated mote, read from its RAM (`stats`, static in sixlowpan.c)."""
    return firmware_stats(sim_mote, "sixlowpan.c", SIXLOWPAN_STATS)


def test_fragment_attacks_leave_the_ccs_serving_others(tmp_path):
    """A third radio next to the CCS keeps sending it forged FRAG1s with huge sizes, duplicated and
    overlapping fragments and a flood of never-finished datagrams, one frame every 20 ms (15 % of the
    air time); meanwhile the host reaches the CCS with fragmented datagrams both ways."""
    frames = attack_frames()
    attacker = FrameInjector(ATTACKER, (10.0, 5.0, 0.0), frames, period_us=20_000, start_us=200_000)

    async def scenario(url: str) -> int:
        async with Bridge(url, PREFIX, base_port=0, motes=[2]) as bridge:
            await wait_for_prefix(bridge, 2)
            # several whole attack cycles land first, then the host talks while the attack goes on
            await until(lambda: attacker.sent >= 5 * len(frames), "five attack cycles on the air")
            before = attacker.sent
            ctx = await aiocoap.Context.create_client_context()
            try:
                uri = f"coap://127.0.0.1:{bridge.port_of(2)}"
                for _ in range(3):
                    await bridge.ping(2, data=bytes(range(200)) * 2, timeout=5)  # fragmented both ways
                    r = await coap(ctx, aiocoap.GET, f"{uri}/.well-known/core")
                    assert r.payload.count(b"</") == 3
                    r = await coap(ctx, aiocoap.PUT, f"{uri}/actuators/leds", b"7" * 300)
                    assert r.code == Code.BAD_REQUEST  # reassembled: the app saw 300 bytes
                    r = await coap(ctx, aiocoap.GET, f"{uri}/sensors/temperature")
                    assert r.code == Code.CONTENT
                    assert_temperature(r.payload, TEMPERATURE_ADC[2])
            finally:
                await ctx.shutdown()
        return before

    with SimNetwork(demo_scenario(), tmp_path, injectors=[attacker]) as net:
        before = asyncio.run(scenario(net.url))
    assert attacker.sent > before  # the attack went on during the exchanges
    net_end_us = net.engine.now_us
    assert net_end_us < 10_000_000  # the host's exchanges did not wait for the attack to stop
    st = sixlowpan_stats(net.engine.by_id[2])
    # every defence was exercised: size refusals, duplicates, conflicts, a flooder's slot recycled
    assert st["reass_too_big"] and st["reass_duplicate"] and st["reass_conflict"] and st["reass_evicted"], st
    assert st["reass_done"] >= 6, st  # the host's 3 pings and 3 large PUTs were reassembled meanwhile
    # the CCS's radio took the attack frames: they drew acknowledgements (AUTOACK) with their sequence
    # numbers (not all: the first ones come while the CCS still boots, and the attacker sends without
    # CCA, so some collide with the others' frames)
    layers = assert_pcap_clean(net.files["pcap"])  # the forged fragments are well-formed frames too
    src = f"0x{ATTACKER:04x}"
    from_attacker = [i for i, lay in enumerate(layers[:-1]) if lay["wpan"].get("wpan.src16") == src]
    assert len(from_attacker) >= attacker.sent - 25  # the last ones may still be scheduled
    acked = [
        i
        for i in from_attacker
        if layers[i + 1]["wpan"]["wpan.fcf"] == "0x0002"
        and layers[i + 1]["wpan"]["wpan.seq_no"] == layers[i]["wpan"]["wpan.seq_no"]
    ]
    assert len(acked) >= 0.6 * len(from_attacker)


def test_radio_apps_sleep_between_events():
    """border_router and ccs sleep in LPM between frames, UART bytes and their 62.5 ms tick (the radio
    stays in RX): the CPU is active for about 1 % of the time on an idle network, not 100 % as when
    they polled the radio."""
    from harness.bench.net_duty import duty_cycles

    duty = duty_cycles(8.0)
    assert {app for app, _ in duty.values()} == {"border_router", "ccs"}
    assert all(0.1 < d < 3.0 for _, d in duty.values()), duty
