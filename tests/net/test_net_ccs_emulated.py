"""The ccs firmware (MSP430 build) on the cycle-counting emulator: the stack boots and speaks IPv6 over
SLIP on UART1 — a Router Solicitation every CCS_RS_INTERVAL_MS (4 s) until a prefix arrives, with the
link-local address derived from node_id and a checksum computed by the 16-bit MSP430 code."""

from __future__ import annotations

import asyncio
from ipaddress import IPv6Address

import aiocoap
import pytest
from aiocoap.numbers.codes import Code
from ccs_oracle import assert_temperature
from e2e_helpers import PREFIX, coap_client_notls, wait_for_prefix
from requirements import require_module, require_tool
from simnet import EngineSession
from wpan import tshark_json

from harness.bridge import Bridge, ipv6, slip
from harness.build import build_app
from harness.proc import run
from harness.sim.engine import Engine
from harness.sim.medium import RadioEvent
from harness.sim.output import Recorder
from harness.target.drivers import open_target
from harness.target.resources import SimulatedSky

emulator = require_module("harness.emulator.mote", "python setup.py build_ext --inplace")

pytestmark = pytest.mark.slow


def test_ccs_boots_and_solicits_a_router():
    elf = build_app("ccs_serial").elf
    mote = emulator.Mote(elf, node_id=7)
    counts = []
    for _ in range(10):
        mote.run_for_time(1.0)
        counts.append(len(slip.Decoder().feed(mote.uart_output())))
    frames = slip.Decoder().feed(mote.uart_output())
    assert 2 <= len(frames) <= 3  # boot, +4 s, +8 s (boot includes the DCO calibration)
    # one new frame per second at most (counted from 0: the boot RS may come within the first second)
    steps = [b - a for a, b in zip([0, *counts], counts, strict=False)]
    assert steps.count(1) == len(frames) and set(steps) <= {0, 1}
    for frame in frames:
        pkt = ipv6.parse(frame)
        assert (pkt.src, pkt.dst, pkt.hop_limit) == (
            IPv6Address("fe80::ff:fe00:7"),
            IPv6Address("ff02::2"),
            255,
        )
        assert ipv6.parse_icmp6(pkt).type == ipv6.ICMP6_ROUTER_SOLICITATION  # checksum verified
    gaps = [i for i, step in enumerate(steps) if step]
    assert all(g2 - g1 == 4 for g1, g2 in zip(gaps, gaps[1:], strict=False))  # one every 4 s


def test_emulated_ccs_behind_the_bridge_with_real_clients():
    """aiocoap and coap-client-notls -> esse bridge -> SLIP over a TCP serial socket -> UART1 of the
    emulated Sky running ccs_serial: the MSP430 build of the stack, the ADC12 driver and the LEDs."""

    temperature_adc = 2900
    mote = open_target(SimulatedSky(build_app("ccs_serial").elf, 6, adc={10: temperature_adc, 4: 1234}))

    async def scenario(url: str) -> None:
        async with Bridge(url, PREFIX, base_port=0, motes=[6]) as bridge:
            await wait_for_prefix(bridge, 6)
            await bridge.ping(6, data=bytes(200))
            ctx = await aiocoap.Context.create_client_context()
            try:
                uri = f"coap://127.0.0.1:{bridge.port_of(6)}"
                req = aiocoap.Message(code=aiocoap.GET, uri=f"{uri}/sensors/temperature")
                r = await asyncio.wait_for(ctx.request(req).response, 30)
                assert r.code == Code.CONTENT
                assert_temperature(r.payload, temperature_adc)  # degrees Celsius, by the MSP430 code
                req = aiocoap.Message(code=aiocoap.GET, uri=f"{uri}/sensors/light")
                r = await asyncio.wait_for(ctx.request(req).response, 30)
                assert (r.code, r.payload) == (Code.CONTENT, b"1234")  # the raw ADC12 count
                req = aiocoap.Message(code=aiocoap.PUT, uri=f"{uri}/actuators/leds", payload=b"5")
                assert (await asyncio.wait_for(ctx.request(req).response, 30)).code == Code.CHANGED
                req = aiocoap.Message(code=aiocoap.GET, uri=f"{uri}/.well-known/core")
                r = await asyncio.wait_for(ctx.request(req).response, 30)
                assert r.opt.content_format == 40 and r.payload.count(b"</") == 3
            finally:
                await ctx.shutdown()
            tool = require_tool("coap-client-notls", "libcoap3-bin")
            res = await asyncio.to_thread(
                run, [tool, "-B", "20", "-m", "get", f"{uri}/actuators/leds"], timeout=60
            )
            assert res.stdout.strip() == "5"  # read back from P5OUT by the firmware (sky_leds_get)

    with EngineSession(Engine([mote]), serial_mote=6) as session:  # type: ignore[list-item]
        asyncio.run(scenario(session.url))


def test_emulated_border_router_and_radio_ccs(tmp_path):
    """The whole chain on emulated hardware: host clients -> bridge -> SLIP -> border_router firmware ->
    CC2420 -> 802.15.4 (AUTOACK) -> CC2420 -> ccs firmware; fragmentation both ways; the frames on the
    air dissected by tshark."""

    br = open_target(SimulatedSky(build_app("border_router").elf, 1))
    temperature_adc = 2222  # -48.5 degC: a negative answer
    ccs = open_target(SimulatedSky(build_app("ccs").elf, 2, adc={10: temperature_adc, 4: 333}))
    engine = Engine([br, ccs], {1: (0.0, 0.0, 0.0), 2: (10.0, 0.0, 0.0)})  # type: ignore[list-item]
    frames: list[tuple[int, bytes]] = []  # (sender index, PSDU with FCS) as put on the air
    recorder = Recorder()  # the simulation's own outputs: mote lines, radio.pcap at the air times
    recorder.attach(engine)

    def on_radio(ev: RadioEvent) -> None:
        if ev.kind == "tx":
            frames.append((ev.sender - 1, ev.frame))

    engine.add_radio_listener(on_radio)

    async def scenario(url: str) -> None:
        async with Bridge(url, PREFIX, base_port=0, motes=[1, 2]) as bridge:
            await wait_for_prefix(bridge, 2)
            await bridge.ping(2, data=bytes(range(200)) * 2)  # 400 bytes: fragmented both ways
            ctx = await aiocoap.Context.create_client_context()
            try:
                uri = f"coap://127.0.0.1:{bridge.port_of(2)}"
                req = aiocoap.Message(code=aiocoap.GET, uri=f"{uri}/sensors/temperature")
                r = await asyncio.wait_for(ctx.request(req).response, 30)
                assert r.code == Code.CONTENT
                assert_temperature(r.payload, temperature_adc)
                req = aiocoap.Message(code=aiocoap.GET, uri=f"{uri}/.well-known/core")
                r = await asyncio.wait_for(ctx.request(req).response, 30)
                assert r.payload.count(b"</") == 3
            finally:
                await ctx.shutdown()
            await coap_client_notls("-m", "put", "-e", "6", f"{uri}/actuators/leds")
            assert (await coap_client_notls("-m", "get", f"{uri}/actuators/leds")).strip() == "6"

    with EngineSession(engine, serial_mote=1) as session:
        asyncio.run(scenario(session.url))
    assert any(ln.mote_id == 2 and "ccs 2 up" in ln.text for ln in recorder.lines)
    data = [(s, f) for s, f in frames if f[0] & 7 == 1]
    acks = [f for _, f in frames if f[0] & 7 == 2]
    assert acks and all(len(f) == 5 for f in acks)  # AUTOACK frames: FCF, seq, FCS
    # data frames between short addresses (node ids), PAN ID compression: 9-byte header, then 6LoWPAN
    assert all(f[1] == 0x88 and f[0] & 0x40 for _, f in data)
    unicast = [(s, f) for s, f in data if f[5:7] != b"\xff\xff"]
    frag1_senders = {s for s, f in unicast if f[9] & 0xF8 == 0xC0}
    assert frag1_senders == {0, 1}
    assert all(len(f) <= 127 for _, f in frames)
    require_tool("tshark")
    if True:
        pcap = tmp_path / "radio.pcap"
        recorder.pcap.write(pcap)
        layers = tshark_json(pcap, {"6lowpan.context0": str(PREFIX), "udp.check_checksum": "TRUE"})
        assert all("_ws.malformed" not in lay and lay["wpan"]["wpan.fcs_ok"] == "1" for lay in layers)
        assert any(lay.get("coap", {}).get("coap.code") == "69" for lay in layers)  # 2.05 Content seen
