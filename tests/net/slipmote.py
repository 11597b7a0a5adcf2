"""A host-built CCS on its SLIP line, driven synchronously: datagrams in, datagrams out."""

from __future__ import annotations

from ipaddress import IPv6Address, IPv6Network

from nethost import Node

from harness.bridge import ipv6 as v6
from harness.bridge import slip

PREFIX = IPv6Network("fd00::/64")
HOST = v6.default_host_address(PREFIX)


class SlipMote:
    def __init__(self, node: Node, node_id: int = 5) -> None:
        self.node = node
        self.node_id = node_id
        self.decoder = slip.Decoder()
        node.start("ccs", node_id, 0)
        self.address = v6.mote_address(PREFIX, node_id)
        self.send(v6.build_router_advertisement(IPv6Address("fe80::1"), PREFIX))
        self.read()  # drop whatever the boot produced (RS)

    def send(self, packet: bytes) -> None:
        self.node.uart_write(slip.encode(packet))

    def read(self) -> list[v6.Packet]:
        return [v6.parse(f) for f in self.decoder.feed(self.node.uart_read())]

    def tick(self, ms: int) -> None:
        self.node.set_time(ms)
        self.node.periodic()

    def coap(self, data: bytes, sport: int = 40000) -> list[bytes]:
        """One CoAP datagram from the host to the mote's port 5683; the CoAP replies."""
        self.send(v6.build_udp(HOST, self.address, sport, 5683, data))
        replies = []
        for pkt in self.read():
            udp = v6.parse_udp(pkt)
            assert (pkt.src, pkt.dst, udp.sport, udp.dport) == (self.address, HOST, 5683, sport)
            replies.append(udp.data)
        return replies
