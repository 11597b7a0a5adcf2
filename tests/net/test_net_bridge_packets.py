"""harness.bridge's own IPv6/UDP/ICMPv6 packets (as tshark reads them) and its command-line parsing."""

from __future__ import annotations

import argparse
from ipaddress import IPv6Address, IPv6Network

import pytest
from requirements import require_tool
from wpan import tshark_json, write_pcap

from harness.bridge import ipv6 as v6
from harness.bridge.cli import parse_motes, parse_port_map

LINKTYPE_IPV6 = 229
PREFIX = IPv6Network("fd00:1:2:3::/64")


def test_addressing():
    assert v6.eui64_from_node_id(0x1234) == bytes.fromhex("0012740000001234")
    # RFC 6282 §3.2.2: the IID of short address 0x0007 is 0000:00ff:fe00:0007
    assert v6.mote_address(PREFIX, 7) == IPv6Address("fd00:1:2:3:0:ff:fe00:7")
    assert v6.mote_link_local(0x1234) == IPv6Address("fe80::ff:fe00:1234")
    # 0xfffe and 0xffff are no short addresses: the EUI-64 with the U/L bit flipped
    assert v6.mote_link_local(0xFFFE) == IPv6Address("fe80::212:7400:0:fffe")
    # the host takes the border router's global address (node 1 unless told otherwise)
    assert v6.default_host_address(PREFIX) == IPv6Address("fd00:1:2:3:0:ff:fe00:1")
    assert v6.default_host_address(PREFIX, border_router=9) == v6.mote_address(PREFIX, 9)
    with pytest.raises(ValueError, match="needs a /64"):
        v6.parse_prefix("fd00::/48")
    with pytest.raises(ValueError, match="bad prefix"):
        v6.parse_prefix("fd00::1/64")  # host bits set


def test_parse_rejects_what_is_not_ipv6():
    with pytest.raises(v6.PacketError, match="shorter"):
        v6.parse(b"\x60" * 10)
    with pytest.raises(v6.PacketError, match="version 4"):
        v6.parse(b"\x45" + bytes(39))
    pkt = bytearray(v6.build_udp(IPv6Address("fe80::1"), IPv6Address("fe80::2"), 1, 2, b"abc"))
    pkt[-1] ^= 1
    with pytest.raises(v6.PacketError, match="checksum"):
        v6.parse_udp(v6.parse(bytes(pkt)))


def test_tshark_reads_the_bridges_packets(tmp_path):
    require_tool("tshark")
    host, mote = v6.default_host_address(PREFIX), v6.mote_address(PREFIX, 3)
    packets = [
        v6.build_router_advertisement(IPv6Address("fe80::1"), PREFIX),
        v6.build_echo(host, mote, 0xE55E, 1, b"ping"),
        v6.build_udp(host, mote, 49152, 5683, bytes.fromhex("4001abcd") + b"\xbb.well-known\x04core"),
    ]
    pcap = tmp_path / "bridge.pcap"
    write_pcap(pcap, packets, linktype=LINKTYPE_IPV6)
    ra, echo, udp = tshark_json(pcap, {"udp.check_checksum": "TRUE"})
    assert ra["icmpv6"]["icmpv6.type"] == "134" and ra["icmpv6"]["icmpv6.checksum.status"] == "1"
    assert ra["ipv6"]["ipv6.hlim"] == "255"
    assert '"fd00:1:2:3::"' in str(ra["icmpv6"]).replace("'", '"')  # the Prefix Information option
    assert echo["icmpv6"]["icmpv6.type"] == "128" and echo["icmpv6"]["icmpv6.checksum.status"] == "1"
    assert udp["udp"]["udp.checksum.status"] == "1"
    assert udp["coap"]["coap.opt.uri_path_recon"] == "/.well-known/core"


def test_cli_parsers():
    assert parse_motes("1-3,7") == [1, 2, 3, 7]
    assert parse_port_map("61617=6100") == (61617, 6100)
    assert parse_port_map("61617=0") == (61617, 0)  # ports the OS picks
    for bad in ("", "x", "3-a", "70000"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_motes(bad)
    for bad in ("61617", "a=b", "0=5", "61617=70000", "61617=-1"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_port_map(bad)


def test_host_ports_for_short_mote_ports_compress():
    """Clients of a mote port in 0xF0B0..0xF0BF get host-side ports in that range (61616 first), so UDP
    NHC carries both ports in one byte; other mote ports keep the client's port (port-preserving)."""
    from harness.bridge import Bridge

    bridge = Bridge("socket://127.0.0.1:9", PREFIX, motes=[2, 3])
    assert bridge.motes == [2, 3] and bridge.host_address == v6.mote_address(PREFIX, 1)
    ports = [bridge._nat_for_client(2, 61617, ("127.0.0.1", p)).v6_port for p in (40000, 40001, 61620)]
    assert ports == [61616, 61617, 61620]  # a client already in the range keeps its port
    assert bridge._nat_for_client(3, 61617, ("127.0.0.1", 40000)).v6_port == 61616  # per mote
    assert bridge._nat_for_client(2, 5683, ("127.0.0.1", 40000)).v6_port == 40000
    assert Bridge("socket://127.0.0.1:9", PREFIX, motes=[1, 2], border_router=2).motes == [1]
