"""The CCS's CoAP server (RFC 7252 message layer, resources) over its SLIP link, aiocoap as the codec."""

from __future__ import annotations

import aiocoap
import aiocoap.optiontypes as ot
import pytest
from aiocoap.numbers.codes import Code
from aiocoap.numbers.optionnumbers import OptionNumber
from ccs_oracle import assert_temperature
from slipmote import HOST, SlipMote

from harness.bridge import ipv6 as v6


def request(code, path, mtype=aiocoap.CON, mid=0x100, token=b"\x7a", payload=b"", extra=(), **opts) -> bytes:
    m = aiocoap.Message(code=code, payload=payload, uri_path=tuple(p for p in path.split("/") if p))
    m.mtype, m.mid, m.token = mtype, mid, token
    for name, value in opts.items():
        setattr(m.opt, name, value)
    for number, value in extra:
        m.opt.add_option(ot.OpaqueOption(OptionNumber(number), value))
    return m.encode()


def one(replies: list[bytes]) -> aiocoap.Message:
    assert len(replies) == 1, replies
    return aiocoap.Message.decode(replies[0])


TEMPERATURE_ADC = 2345


@pytest.fixture
def mote(make_node) -> SlipMote:
    m = SlipMote(make_node())
    m.node.lib.host_set_sensors(TEMPERATURE_ADC, 678)
    return m


def test_con_get_gets_piggybacked_ack(mote):
    r = one(mote.coap(request(aiocoap.GET, "sensors/temperature", mid=0x1234, token=b"\x01\x02\x03")))
    assert (r.mtype, r.mid, r.token, r.code) == (aiocoap.ACK, 0x1234, b"\x01\x02\x03", Code.CONTENT)
    assert r.opt.content_format == 0
    assert_temperature(r.payload, TEMPERATURE_ADC)
    r = one(mote.coap(request(aiocoap.GET, "sensors/light", mid=0x1235)))
    assert r.payload == b"678"


def test_non_request_gets_non_response_with_new_mid(mote):
    r = one(mote.coap(request(aiocoap.GET, "sensors/light", mtype=aiocoap.NON, mid=0x4444, token=b"tk")))
    assert (r.mtype, r.token, r.code, r.payload) == (aiocoap.NON, b"tk", Code.CONTENT, b"678")
    assert r.mid != 0x4444


def test_put_leds(mote):
    r = one(mote.coap(request(aiocoap.PUT, "actuators/leds", payload=b"6", mid=1)))
    assert r.code == Code.CHANGED and mote.node.lib.ccs_leds_get() == 6
    r = one(mote.coap(request(aiocoap.GET, "actuators/leds", mid=2)))
    assert r.payload == b"6"
    assert (
        one(mote.coap(request(aiocoap.PUT, "actuators/leds", payload=b"8", mid=3))).code == Code.BAD_REQUEST
    )
    assert (
        one(mote.coap(request(aiocoap.PUT, "actuators/leds", payload=b"12", mid=4))).code == Code.BAD_REQUEST
    )
    r = one(mote.coap(request(aiocoap.PUT, "actuators/leds", payload=b"1", mid=5, content_format=50)))
    assert r.code == Code.UNSUPPORTED_CONTENT_FORMAT and mote.node.lib.ccs_leds_get() == 6


def test_duplicate_con_is_answered_again_but_processed_once(mote):
    first = mote.coap(request(aiocoap.PUT, "actuators/leds", payload=b"3", mid=0x777))
    again = mote.coap(request(aiocoap.PUT, "actuators/leds", payload=b"5", mid=0x777))
    assert again == first  # same ACK, byte for byte
    assert mote.node.lib.ccs_leds_get() == 3
    # Another client port is another endpoint: not a duplicate.
    assert one(mote.coap(request(aiocoap.PUT, "actuators/leds", payload=b"5", mid=0x777), sport=40001))
    assert mote.node.lib.ccs_leds_get() == 5


def test_duplicate_of_large_get_is_recomputed(mote):
    first = one(mote.coap(request(aiocoap.GET, ".well-known/core", mid=0x900)))
    again = one(mote.coap(request(aiocoap.GET, ".well-known/core", mid=0x900)))
    assert (again.mid, again.payload) == (first.mid, first.payload)


def test_duplicate_non_is_dropped(mote):
    assert mote.coap(request(aiocoap.PUT, "actuators/leds", mtype=aiocoap.NON, payload=b"2", mid=0x55))
    assert mote.coap(request(aiocoap.PUT, "actuators/leds", mtype=aiocoap.NON, payload=b"4", mid=0x55)) == []
    assert mote.node.lib.ccs_leds_get() == 2


def test_dedup_entries_expire_after_exchange_lifetime(mote):
    mote.tick(1000)
    mote.coap(request(aiocoap.PUT, "actuators/leds", payload=b"1", mid=0x42))
    mote.tick(1000 + 246_000)
    mote.coap(request(aiocoap.PUT, "actuators/leds", payload=b"2", mid=0x42))
    assert mote.node.lib.ccs_leds_get() == 1
    mote.tick(1000 + 247_000)
    mote.read()
    mote.coap(request(aiocoap.PUT, "actuators/leds", payload=b"2", mid=0x42))
    assert mote.node.lib.ccs_leds_get() == 2


def test_coap_ping_gets_rst(mote):
    r = one(mote.coap(bytes.fromhex("4000abcd")))
    assert (r.mtype, r.code, r.mid) == (aiocoap.RST, Code.EMPTY, 0xABCD)


def test_malformed_con_gets_rst_and_malformed_non_nothing(mote):
    r = one(mote.coap(bytes.fromhex("40010042f0")))
    assert (r.mtype, r.mid) == (aiocoap.RST, 0x42)
    assert mote.coap(bytes.fromhex("50010043f0")) == []


def test_errors(mote):
    assert one(mote.coap(request(aiocoap.GET, "sensors/humidity"))).code == Code.NOT_FOUND
    assert one(mote.coap(request(aiocoap.GET, ""))).code == Code.NOT_FOUND
    assert one(mote.coap(request(aiocoap.POST, "sensors/temperature", mid=2))).code == Code.METHOD_NOT_ALLOWED
    assert one(mote.coap(request(aiocoap.DELETE, ".well-known/core", mid=3))).code == Code.METHOD_NOT_ALLOWED
    r = one(mote.coap(request(aiocoap.GET, "sensors/temperature", mid=4, accept=40)))
    assert r.code == Code.NOT_ACCEPTABLE and r.payload == b""
    assert one(mote.coap(request(aiocoap.GET, "sensors/temperature", mid=5, accept=0))).code == Code.CONTENT


def test_unknown_critical_option_is_refused_elective_ignored(mote):
    critical = request(aiocoap.GET, "sensors/temperature", mid=7, extra=[(2049, b"x")])  # odd number
    assert one(mote.coap(critical)).code == Code.BAD_OPTION
    elective = request(aiocoap.GET, "sensors/temperature", mid=8, extra=[(2048, b"x")])  # even number
    assert one(mote.coap(elective)).code == Code.CONTENT


def test_well_known_core(mote):
    r = one(mote.coap(request(aiocoap.GET, ".well-known/core")))
    assert r.code == Code.CONTENT and r.opt.content_format == 40
    links = r.payload.decode().split(",")
    assert [link.split(">")[0] for link in links] == [
        "</sensors/temperature",
        "</sensors/light",
        "</actuators/leds",
    ]
    assert all(";ct=0" in link for link in links)
    assert 'rt="temperature"' in links[0]


def test_long_uri_path_with_extended_option_length(mote):
    long_segment = "x" * 300  # option length 300: the two-byte extended form
    assert one(mote.coap(request(aiocoap.GET, "sensors/" + long_segment))).code == Code.NOT_FOUND


def test_ping_is_answered(mote):
    mote.send(v6.build_echo(HOST, mote.address, 0x1111, 7, b"abc" * 50))
    (pkt,) = mote.read()
    msg = v6.parse_icmp6(pkt)
    assert (msg.type, msg.body) == (v6.ICMP6_ECHO_REPLY, bytes.fromhex("11110007") + b"abc" * 50)
