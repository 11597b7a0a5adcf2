"""Third-party proof (issue 10 item 8): tshark, given only the client's PSK, decrypts the DTLS records
of an ESSE session and dissects the CoAP inside, both as the client saw them (host side) and as the
mote sent and received them on the air (the radio pcap of the simulation).

tshark derives the record keys from the handshake, which runs between the client and the SSM on the
host; the records the mote handles travel on the air inside RELAY frames (type | session id | records,
docs/protocol.md). So each check writes a capture of client <-> server datagrams: the host-side one
with every datagram the SSM's client socket carried, the radio one with the same handshake followed by
the record bytes cut out of the radio pcap's RELAY frames (mote -> SSM and SSM -> mote). If the mote's
records were not valid DTLS 1.2 under the negotiated keys, tshark could not decrypt them.
"""

from __future__ import annotations

import asyncio
import json
import struct
from pathlib import Path

import pytest

from harness.proc import run
from harness.sim.output import PcapWriter
from harness.ssm import protocol
from harness.up import PREFIX, SSM_PORT
from tests.esse.esse_fixtures import (
    ALICE,
    ALICE_KEY,
    both_backends,
    demo_system,
    libcoap,
    scenario_adc,
    temperature_text,
)
from tests.ssm.harness_fixtures import need, run_tool

pytestmark = pytest.mark.slow
LINKTYPE_RAW = 101  # raw IPv4/IPv6 packets
CLIENT, SERVER = ("10.0.0.1", 40000), ("10.0.0.2", 5684)  # 5684: tshark dissects DTLS + CoAP there


def ipv4_udp(src: tuple[str, int], dst: tuple[str, int], payload: bytes) -> bytes:
    """An IPv4/UDP packet (UDP checksum 0 = none, RFC 768), header checksum computed (RFC 791)."""
    udp = struct.pack(">HHHH", src[1], dst[1], 8 + len(payload), 0) + payload
    hdr = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                      bytes(map(int, src[0].split("."))), bytes(map(int, dst[0].split("."))))  # fmt: skip
    s = sum(struct.unpack(">10H", hdr))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return hdr[:10] + struct.pack(">H", ~s & 0xFFFF) + hdr[12:] + udp


def write_capture(path: Path, datagrams: list[tuple[bool, bytes]]) -> None:
    """(from_client, payload) datagrams between CLIENT and SERVER, one millisecond apart."""
    pcap = PcapWriter(LINKTYPE_RAW)
    for i, (up, data) in enumerate(datagrams):
        pcap.add(i * 1000, ipv4_udp(CLIENT, SERVER, data) if up else ipv4_udp(SERVER, CLIENT, data))
    pcap.write(path)


def tshark(pcap: Path, *args: str) -> list[dict]:
    """tshark's JSON layers per packet."""
    res = run(["tshark", "-r", str(pcap), "-n", "-T", "json", *args], timeout=120)
    return [p["_source"]["layers"] for p in json.loads(res.stdout)]


def coap_answers(layers: list[dict]) -> list[tuple[str, str]]:
    """(CoAP code, text payload) of every CoAP message tshark decrypted and dissected."""
    out = []
    for lay in layers:
        if "coap" in lay and "dtls" in lay:
            text = "".join(lay.get("data-text-lines", {}))
            out.append((lay["coap"]["coap.code"], text.strip()))
    return out


def relay_records(radio_pcap: Path) -> list[tuple[bool, bytes]]:
    """(from the client's side, i.e. towards the mote; records) of every RELAY frame on the air."""
    layers = tshark(radio_pcap, "-o", f"6lowpan.context0:{PREFIX}", "-Y", f"udp.port == {SSM_PORT}")
    out = []
    for lay in layers:
        payload = lay.get("udp", {}).get("udp.payload")
        if payload is None:
            continue
        data = bytes.fromhex(payload.replace(":", ""))
        if data[0] == protocol.MSG_RELAY:
            out.append((lay["udp"]["udp.dstport"] == str(SSM_PORT), data[protocol.RELAY_HEADER :]))
    return out


@both_backends
def test_tshark_decrypts_the_mote_records_host_side_and_on_the_air(tmp_path, backend):
    tool = need("coap-client-openssl", "libcoap3-bin")
    need("tshark", "tshark")
    host: list[tuple[bool, bytes]] = []
    expected = temperature_text(scenario_adc(2))

    async def go() -> None:
        async with demo_system(tmp_path / "sim", backend) as system:
            d = system.delegator
            assert d is not None
            on_client, send_client = d._on_client_datagram, d._sendto_client

            def spy_in(addr, data):  # noqa: ANN001
                host.append((True, bytes(data)))
                on_client(addr, data)

            def spy_out(addr, data, **kw):  # noqa: ANN001, ANN003
                host.append((False, bytes(data)))
                send_client(addr, data, **kw)

            d._on_client_datagram = spy_in  # type: ignore[method-assign]
            d._sendto_client = spy_out  # type: ignore[method-assign]
            for s in d._sockets:  # the sockets call the handler they were opened with
                s.get_protocol().on_datagram = spy_in  # type: ignore[attr-defined]
            rc, out, err = await run_tool(
                *libcoap(tool, ALICE, ALICE_KEY, system.client_port(4), "sensors/temperature")
            )
            assert (rc, out.decode().strip()) == (0, expected), err.decode()
            await asyncio.sleep(0.5)  # the close_notify exchange

        return system.files["pcap"]

    radio = asyncio.run(go())
    psk = ["-o", f"dtls.psk:{ALICE_KEY.encode().hex()}"]

    host_pcap = tmp_path / "host.pcap"
    write_capture(host_pcap, host)
    host_coap = coap_answers(tshark(host_pcap, *psk))
    assert ("1", "") in host_coap and ("69", expected) in host_coap, host_coap  # GET, 2.05 "23.5 C"

    records = relay_records(radio)
    assert any(up for up, _ in records) and any(not up for up, _ in records), "no RELAY frames on the air"
    first_app = next(i for i, (_, data) in enumerate(host) if data[0] == 23)
    air_pcap = tmp_path / "air.pcap"
    write_capture(air_pcap, host[:first_app] + list(records))
    air_coap = coap_answers(tshark(air_pcap, *psk))
    assert ("1", "") in air_coap and ("69", expected) in air_coap, air_coap
