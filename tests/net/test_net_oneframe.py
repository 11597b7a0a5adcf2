"""KEY_MATERIAL and KEY_ACK each fit one 802.15.4 frame on the real path (docs/protocol.md, "Size on the
air"): host "SSM" socket -> esse bridge -> SLIP -> border router -> radio -> CCS, and back.

The frames are read from what the radio carried and dissected by tshark (6LoWPAN context 0 = the
bridge's prefix): no fragment header, short MAC addresses with PAN ID compression, both IPv6 addresses
elided (SAC = DAC = 1, SAM = DAM = 11), UDP NHC with the ports in one byte, checksums right.
Expected sizes: MAC header 9 + IPHC 2 + UDP NHC 4 (1 dispatch, 1 ports, 2 checksum) + payload + FCS 2:
96 -> 113 bytes, 25 -> 42 bytes.

Two runs of the same firmware C: host builds (BR and CCS with mac802154.c on a perfect air, the CCS
answering with the stack's udp_send), and the emulated Skys of the demo scenario in the simulation
engine (radio.pcap), where the CCS answers an ICMPv6 echo (the CCS app's own port 61617 answer is the
sensor work's; its KEY_ACK takes the same path as this echo reply).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import oneframe
import pytest
from e2e_helpers import PREFIX, wait_for_prefix
from nethost import Air, HostMote, Node, host_session
from oneframe import frame_for, keys_values
from simnet import EngineSession
from wpan import write_pcap

from harness.bridge import Bridge
from harness.bridge import ipv6 as v6
from harness.wire.ieee802154 import with_fcs

pytestmark = pytest.mark.slow

SSM_PORT, CCS_PORT = 61616, 61617  # 0xF0B0, 0xF0B1
KEY_MATERIAL_LEN, KEY_ACK_LEN = 96, 25
CCS_ID, BR_ID = 2, 1


def tshark_layers(pcap: Path) -> list[dict]:
    """Every frame of `pcap` as tshark dissects it, with context 0 = the bridge's prefix."""
    return oneframe.tshark_layers(pcap, PREFIX)


def assert_one_udp_frame(layers: list[dict], src: int, dst: int, sport: int, dport: int, size: int) -> dict:
    """oneframe.assert_one_udp_frame with the bridge's prefix as context 0."""
    return oneframe.assert_one_udp_frame(layers, src, dst, sport, dport, size, PREFIX)


# ---- host builds: the C stack as BR and CCS, mac802154.c on a perfect air ----------------------------


def test_key_material_and_ack_one_frame_each_host_build(tmp_path):
    br, ccs = Node(tmp_path, with_mac=True), Node(tmp_path, with_mac=True)
    br.start("br", BR_ID)
    ccs.start("ccs", CCS_ID, 1)  # on the radio
    assert ccs.lib.host_udp_listen(CCS_PORT) == 0
    air = Air(tmp_path, [br, ccs])
    base, ssm_base = 0, 0  # the OS picks each loopback port
    key_material = bytes(range(KEY_MATERIAL_LEN))
    key_ack = bytes(range(100, 100 + KEY_ACK_LEN))

    udp_last = ccs.udp_last

    async def scenario(runner: EngineSession) -> None:
        loop = asyncio.get_running_loop()
        got: asyncio.Queue[bytes] = asyncio.Queue()

        class Ssm(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
                got.put_nowait(data)

        ssm, _ = await loop.create_datagram_endpoint(Ssm, local_addr=("127.0.0.1", 0))
        try:
            async with Bridge(
                runner.url, PREFIX, base_port=base, motes=[CCS_ID], port_map={5683: base, CCS_PORT: ssm_base}
            ) as bridge:
                await wait_for_prefix(bridge, CCS_ID)
                ssm.sendto(key_material, ("127.0.0.1", bridge.port_of(CCS_ID, CCS_PORT)))
                for _ in range(100):
                    count, data, src, sport = await asyncio.wrap_future(runner.call(udp_last))
                    if count:
                        break
                    await asyncio.sleep(0.05)
                assert (count, data, sport) == (1, key_material, SSM_PORT)
                assert src == bridge.host_address.packed == v6.mote_address(PREFIX, BR_ID).packed
                host = bridge.host_address.packed
                send = lambda: ccs.lib.udp_send(host, SSM_PORT, CCS_PORT, key_ack, KEY_ACK_LEN)  # noqa: E731
                assert await asyncio.wrap_future(runner.call(send)) == 0
                assert await asyncio.wait_for(got.get(), 10) == key_ack
        finally:
            ssm.close()

    with host_session([HostMote(br), HostMote(ccs)]) as runner:
        asyncio.run(scenario(runner))
    pcap = tmp_path / "air.pcap"
    write_pcap(pcap, [with_fcs(frame) for _, frame in air.log()])
    layers = tshark_layers(pcap)
    down = assert_one_udp_frame(layers, BR_ID, CCS_ID, SSM_PORT, CCS_PORT, frame_for(KEY_MATERIAL_LEN))
    up = assert_one_udp_frame(layers, CCS_ID, BR_ID, CCS_PORT, SSM_PORT, frame_for(KEY_ACK_LEN))
    for lay, src, dst in ((down, BR_ID, CCS_ID), (up, CCS_ID, BR_ID)):
        assert lay["ipv6"]["ipv6.src"] == str(v6.mote_address(PREFIX, src))  # BR_ID's address = the host's
        assert lay["ipv6"]["ipv6.dst"] == str(v6.mote_address(PREFIX, dst))
        assert lay["ipv6"]["ipv6.hlim"] == "64"


# ---- emulated Skys in the simulation engine: border_router and ccs firmware, the run's radio.pcap ---------

UDP_STATS = ["rx", "rx_bad_checksum", "rx_no_port", "tx"]  # firmware/net/udp.h udp_stats_t
ECHO_DATA = bytes(range(17))  # ICMPv6 echo of 8 + 17 = 25 bytes: the KEY_ACK's size


def test_key_material_one_frame_to_emulated_ccs(tmp_path):
    """The demo network (border router 1, CCS 2 and 3) on emulated Skys: a 96-byte datagram from a host
    socket to CCS 2's port 61617 crosses the radio as one 113-byte frame, which the CCS's UDP accepts
    (checksum over the restored addresses right); the CCS's answers to the host come back in single
    frames with the same elided addresses (an ICMPv6 echo reply: IPHC 2 + next header 1)."""
    pytest.importorskip("harness.emulator.simmote", reason="the emulator extension is not built")
    from e2e_helpers import firmware_stats
    from simnet import SimNetwork, demo_scenario

    base, ssm_base = 0, 0  # the OS picks each loopback port
    key_material = bytes(range(7, 7 + KEY_MATERIAL_LEN))

    async def scenario(url: str) -> None:
        loop = asyncio.get_running_loop()
        ssm, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0))
        try:
            async with Bridge(
                url, PREFIX, base_port=base, motes=[CCS_ID], port_map={5683: base, CCS_PORT: ssm_base}
            ) as bridge:
                await wait_for_prefix(bridge, CCS_ID)
                ssm.sendto(key_material, ("127.0.0.1", bridge.port_of(CCS_ID, CCS_PORT)))
                await bridge.ping(CCS_ID, data=ECHO_DATA, timeout=5)
                await bridge.ping(BR_ID, timeout=5)  # the border router answers on its link-local address
        finally:
            ssm.close()

    with SimNetwork(demo_scenario(), tmp_path) as net:
        asyncio.run(scenario(net.url))
    udp = firmware_stats(net.engine.by_id[CCS_ID], "udp.c", UDP_STATS)
    assert udp["rx"] >= 1 and udp["rx_bad_checksum"] == 0, udp
    layers = tshark_layers(net.files["pcap"])
    down = assert_one_udp_frame(layers, BR_ID, CCS_ID, SSM_PORT, CCS_PORT, frame_for(KEY_MATERIAL_LEN))
    assert down["ipv6"]["ipv6.src"] == str(v6.mote_address(PREFIX, BR_ID))  # the host's (lent) address
    assert down["ipv6"]["ipv6.dst"] == str(v6.mote_address(PREFIX, CCS_ID))
    assert bytes.fromhex(down["udp"]["udp.payload"].replace(":", "")) == key_material
    # how the motes learn context 0: the border router's RAs carry a 6LoWPAN Context Option (RFC 6775)
    ras = [dict(keys_values(lay)) for lay in layers if lay.get("icmpv6", {}).get("icmpv6.type") == "134"]
    assert ras, "no Router Advertisement on the air"
    for ra in ras:
        assert int(ra["wpan.src16"], 16) == BR_ID and ra["icmpv6.checksum.status"] == "1"
        assert ra["icmpv6.opt.6co.context_prefix"] == str(PREFIX.network_address)
        assert (ra["icmpv6.opt.6co.flag.c"], ra["icmpv6.opt.6co.flag.cid"]) == ("1", "0")
        assert ra["icmpv6.opt.6co.context_length"] == "64"
    replies = [lay for lay in layers if lay.get("icmpv6", {}).get("icmpv6.type") == "129"]
    assert replies, "no echo reply on the air"
    for lay in replies:  # the prefix probes ("esse") and the 17-byte echo
        f = dict(keys_values(lay))
        assert int(f["wpan.src16"], 16) == CCS_ID and int(f["wpan.dst16"], 16) == BR_ID
        elided = [f[f"6lowpan.iphc.{k}"] for k in ("sac", "sam", "dac", "dam")]
        assert elided == ["1", "0x0003", "1", "0x0003"], elided
        assert lay["ipv6"]["ipv6.dst"] == str(v6.mote_address(PREFIX, BR_ID))
        assert lay["icmpv6"]["icmpv6.checksum.status"] == "1"
    sizes = {int(lay["frame"]["frame.len"]) for lay in replies}
    assert 9 + 3 + 8 + len(ECHO_DATA) + 2 in sizes, sizes  # 39 bytes: MAC, IPHC + next header, ICMPv6, FCS
