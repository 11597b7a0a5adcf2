"""End to end: unmodified host CoAP clients -> esse bridge -> serial byte stream -> C stack as a mote.

The serial line is a TCP socket carrying SLIP (what the emulator's / Cooja's serial socket carries);
in the border-router cases the 802.15.4 frames between the border router and the CCS travel through
the test's medium (6LoWPAN payloads) or air (whole MAC frames, mac802154.c) (tests/net/nethost.py).
The same on emulated motes: test_net_ccs_emulated.py.
"""

from __future__ import annotations

import asyncio
import re
import sys

import aiocoap
import pytest
from aiocoap.numbers.codes import Code
from ccs_oracle import assert_temperature
from e2e_helpers import PREFIX, coap, coap_client_notls, server_port, wait_for_prefix
from nethost import Air, HostMote, Node, host_session
from simnet import EngineSession

from harness.bridge import Bridge
from harness.proc import run

pytestmark = pytest.mark.slow


def test_serial_ccs_with_aiocoap_and_libcoap(make_node):
    ccs = make_node()
    ccs.start("ccs", 4, 0)
    temperature_adc = 1999
    ccs.set_sensors(temperature_adc, 321)

    async def scenario(url: str) -> None:
        async with Bridge(url, PREFIX, base_port=0, motes=[4]) as bridge:
            await wait_for_prefix(bridge, 4)
            ctx = await aiocoap.Context.create_client_context()
            try:
                uri = f"coap://127.0.0.1:{bridge.port_of(4)}"
                r = await coap(ctx, aiocoap.GET, uri + "/sensors/temperature")
                assert (r.code, r.opt.content_format) == (Code.CONTENT, 0)
                assert_temperature(r.payload, temperature_adc)
                r = await coap(ctx, aiocoap.PUT, uri + "/actuators/leds", b"7")
                assert r.code == Code.CHANGED
                r = await coap(ctx, aiocoap.GET, uri + "/.well-known/core")
                assert r.opt.content_format == 40 and b"</sensors/light>" in r.payload
            finally:
                await ctx.shutdown()
            assert (await coap_client_notls("-m", "get", uri + "/sensors/light")).strip() == "321"
            await coap_client_notls("-m", "put", "-e", "2", uri + "/actuators/leds")
            assert (await coap_client_notls("-m", "get", uri + "/actuators/leds")).strip() == "2"
            assert bridge.stats["rx_bad"] == 0

    with host_session([HostMote(ccs)]) as runner:
        asyncio.run(scenario(runner.url))
    assert ccs.lib.ccs_leds_get() == 2


@pytest.mark.parametrize("with_mac", [False, True], ids=["6lowpan-medium", "mac802154-air"])
def test_border_router_and_radio_mote(tmp_path, with_mac):
    br, ccs = Node(tmp_path, with_mac), Node(tmp_path, with_mac)
    br.start("br", 1)
    ccs.start("ccs", 2, 1)  # on the radio
    air = Air(tmp_path, [br, ccs]) if with_mac else None
    temperature_adc = 1234
    ccs.set_sensors(temperature_adc, 99)

    async def scenario(url: str) -> None:
        async with Bridge(url, PREFIX, base_port=0, motes=[1, 2]) as bridge:
            await wait_for_prefix(bridge, 2)
            await bridge.ping(1)  # the border router itself
            await bridge.ping(2, data=bytes(range(250)) + bytes(100))  # fragmented both ways
            ctx = await aiocoap.Context.create_client_context()
            try:
                uri = f"coap://127.0.0.1:{bridge.port_of(2)}"
                r = await coap(ctx, aiocoap.GET, uri + "/.well-known/core")  # > 1 frame: fragmented reply
                assert r.code == Code.CONTENT and len(r.payload) > 120
                assert r.payload.count(b"</") == 3
                r = await coap(ctx, aiocoap.GET, uri + "/sensors/temperature")
                assert_temperature(r.payload, temperature_adc)
                # A request that does not fit one frame either: a long Uri-Query, fragmented towards the mote.
                r = await coap(ctx, aiocoap.GET, uri + "/sensors/light?" + "q=" + "x" * 150)
                assert r.payload == b"99"
            finally:
                await ctx.shutdown()
            await coap_client_notls("-m", "put", "-e", "5", uri + "/actuators/leds")

    with host_session([HostMote(br), HostMote(ccs)]) as runner:
        asyncio.run(scenario(runner.url))
    assert ccs.lib.ccs_leds_get() == 5
    if air is None:
        assert br.lib.host_mac_oversize() == 0 and ccs.lib.host_mac_oversize() == 0
        medium = runner.engine.group.medium  # type: ignore[union-attr]
        senders = {src for src, _, payload in medium.frames if payload[0] & 0xF8 == 0xC0}
    else:  # whole 802.15.4 frames: header, then the 6LoWPAN dispatch
        assert all(len(frame) + 2 <= 127 for _, frame in air.log())
        data = [(i, frame) for i, frame in air.log() if frame[0] & 7 == 1]
        assert all(frame[1] == 0x88 for _, frame in data)  # FCF: short destination and source addresses
        senders = {(br, ccs)[i].lladdr() for i, frame in data if frame[9] & 0xF8 == 0xC0}
    assert senders == {br.lladdr(), ccs.lladdr()}  # FRAG1 both ways: fragmented in both directions


def test_cli_ping(make_node):
    ccs = make_node()
    ccs.start("ccs", 3, 0)
    with host_session([HostMote(ccs)]) as runner:
        res = run(
            [
                sys.executable,
                "-m",
                "harness.bridge",
                "--serial",
                runner.url,
                "--prefix",
                str(PREFIX),
                "--base-port",
                "0",
                "--motes",
                "3",
                "--map",
                "61617=0",
                "--ping",
                "3",
                "--count",
                "2",
                "--timeout",
                "10",
            ],
            timeout=60,
        )
    assert res.stdout.count("echo reply from mote 3") == 2
    # base 0: the OS picked the ports, the CLI prints them
    coap_port = re.search(r"coap://127\.0\.0\.1:(\d+)/ -> \[fd00:e55e::ff:fe00:3\]:5683\n", res.stdout)
    ssm_port = re.search(r"udp 127\.0\.0\.1:(\d+) -> \[fd00:e55e::ff:fe00:3\]:61617\n", res.stdout)
    assert coap_port and ssm_port, res.stdout
    assert 0 < int(coap_port[1]) != int(ssm_port[1]) > 0


def test_cli_reports_a_bad_serial_url():
    res = run(
        [
            sys.executable,
            "-m",
            "harness.bridge",
            "--serial",
            "socket://127.0.0.1:1",
            "--duration",
            "1",
        ],
        check=False,
        timeout=60,
    )
    assert res.returncode == 1 and "cannot open serial line 'socket://127.0.0.1:1'" in res.stderr


def test_mote_initiated_exchanges_and_extra_port_maps(make_node):
    """A mote's CoAP client reaches a host aiocoap server as [host address]:D; a second mapped mote port
    (61617, the CCS's SSM port) carries datagrams both ways, the source port kept."""
    import aiocoap.resource as resource

    ccs = make_node()
    ccs.start("ccs", 4, 0)
    ccs.lib.host_udp_listen(61617)

    class Hello(resource.Resource):
        async def render_get(self, request):
            return aiocoap.Message(payload=b"hi mote")

    def coap_result() -> tuple[int, bytes]:
        status, _, payload = ccs.coap_result()
        return status, payload

    def udp_last() -> tuple[int, bytes, int]:
        count, data, _, sport = ccs.udp_last()
        return count, data, sport

    async def scenario(runner: EngineSession) -> None:
        site = resource.Site()
        site.add_resource(["hello"], Hello())
        server = await aiocoap.Context.create_server_context(site, bind=("127.0.0.1", 0))  # the OS picks
        port = server_port(server)
        loop = asyncio.get_running_loop()
        ssm_got: asyncio.Queue[tuple[bytes, tuple[str, int]]] = asyncio.Queue()

        class Ssm(asyncio.DatagramProtocol):
            def datagram_received(self, data, addr):
                ssm_got.put_nowait((data, addr))

        ssm, _ = await loop.create_datagram_endpoint(Ssm, local_addr=("127.0.0.1", 0))
        try:
            async with Bridge(
                runner.url, PREFIX, base_port=0, motes=[4], port_map={5683: 0, 61617: 0}
            ) as bridge:
                await wait_for_prefix(bridge, 4)
                host = bridge.host_address.packed
                # mote -> host CoAP server
                await asyncio.wrap_future(
                    runner.call(lambda: ccs.lib.host_coap_request(host, port, 1, 1, b"hello"))
                )
                for _ in range(100):
                    status, payload = await asyncio.wrap_future(runner.call(coap_result))
                    if status != 1:
                        break
                    await asyncio.sleep(0.05)
                assert (status, payload) == (0, b"hi mote")
                # host "SSM" -> mote port 61617, and the mote's answer from 61617 -> the SSM
                ssm.sendto(b"KEY_MATERIAL", ("127.0.0.1", bridge.port_of(4, 61617)))
                for _ in range(100):
                    count, data, sport = await asyncio.wrap_future(runner.call(udp_last))
                    if count:
                        break
                    await asyncio.sleep(0.05)
                # the SSM's ephemeral port becomes 61616 (0xF0B0) on the IPv6 side: UDP NHC compressible
                assert (count, data, sport) == (1, b"KEY_MATERIAL", 61616)
                send = lambda: ccs.lib.udp_send(host, 61616, 61617, b"KEY_ACK", 7)  # noqa: E731
                assert await asyncio.wrap_future(runner.call(send)) == 0
                data, addr = await asyncio.wait_for(ssm_got.get(), 10)
                assert (data, addr) == (b"KEY_ACK", ("127.0.0.1", bridge.port_of(4, 61617)))
        finally:
            ssm.close()
            await server.shutdown()

    with host_session([HostMote(ccs)]) as runner:
        asyncio.run(scenario(runner))


def test_host_node_is_a_target_whose_reset_restarts_its_role(make_node):
    """nethost.Node implements harness.target.Target: UART1 both ways, node id, and a reset that brings
    a fresh copy of the stack up in the same role (its router solicitations start over)."""
    from ipaddress import IPv6Address

    from harness.bridge import ipv6, slip
    from harness.target import Target

    node = make_node()
    node.start("ccs", 9, 0)
    node.set_sensors(1500, 7)
    assert isinstance(node, Target) and node.node_id == 9

    def solicitations() -> list[IPv6Address]:
        node.set_time(node.time_ms + 5000)  # past the RS interval
        node.periodic()
        return [ipv6.parse(f).src for f in slip.Decoder().feed(node.read_serial())]

    assert solicitations() == [IPv6Address("fe80::ff:fe00:9")]
    node.lib.ccs_leds_set(5)
    old = node.path
    node.reset()
    assert node.path != old and node.lib.ccs_leds_get() == 0  # fresh globals
    assert solicitations() == [IPv6Address("fe80::ff:fe00:9")]  # up again in its role
