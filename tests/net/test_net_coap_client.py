"""The CoAP client: CON retransmission with exponential back-off, piggybacked and separate responses."""

from __future__ import annotations

import aiocoap
import pytest
from aiocoap.numbers.codes import Code
from slipmote import HOST, SlipMote

from harness.bridge import ipv6 as v6

PENDING, OK, TIMEOUT, RESET = 1, 0, -1, -2


class Client:
    def __init__(self, mote: SlipMote) -> None:
        self.mote = mote

    def request(self, path: str, con: bool = True, method: int = 1) -> int:
        return self.mote.node.lib.host_coap_request(HOST.packed, 5683, int(con), method, path.encode())

    def result(self) -> tuple[int, int, bytes]:
        return self.mote.node.coap_result()

    def sent(self) -> list[tuple[int, aiocoap.Message]]:
        out = []
        for pkt in self.mote.read():
            udp = v6.parse_udp(pkt)
            assert (pkt.dst, udp.dport, udp.sport) == (HOST, 5683, 5683)
            out.append((udp.sport, aiocoap.Message.decode(udp.data)))
        return out

    def reply(self, msg: aiocoap.Message) -> None:
        self.mote.send(v6.build_udp(HOST, self.mote.address, 5683, 5683, msg.encode()))


def response(mtype, code, mid, token, payload=b"") -> aiocoap.Message:
    m = aiocoap.Message(code=code, payload=payload)
    m.mtype, m.mid, m.token = mtype, mid, token
    return m


@pytest.fixture
def client(make_node) -> Client:
    mote = SlipMote(make_node())
    mote.tick(10_000)
    mote.read()
    return Client(mote)


def test_con_request_backs_off_exponentially_then_times_out(client):
    assert client.request("rd") >= 0
    times, msgs = [], []
    t = 10_000
    (first,) = client.sent()
    times.append(t)
    msgs.append(first[1])
    while client.result()[0] == PENDING and t < 10_000 + 100_000:
        t += 50
        client.mote.tick(t)
        for _, m in client.sent():
            times.append(t)
            msgs.append(m)
    status, _, _ = client.result()
    assert status == TIMEOUT
    assert len(msgs) == 1 + 4  # MAX_RETRANSMIT = 4
    assert all(m.mid == msgs[0].mid and m.token == msgs[0].token and m.mtype == aiocoap.CON for m in msgs)
    assert msgs[0].opt.uri_path == ("rd",) and msgs[0].code == Code.GET
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    first_timeout = gaps[0]
    assert 2000 <= first_timeout <= 3000 + 50  # [ACK_TIMEOUT, ACK_TIMEOUT * ACK_RANDOM_FACTOR]
    for i, gap in enumerate(gaps):
        assert abs(gap - first_timeout * 2**i) <= 50 * (2**i + 2), gaps  # 50 ms ticks, scaled
    assert abs(t - times[-1] - first_timeout * 16) <= 50 * 18  # the last wait doubles once more
    assert client.mote.node.lib.coap_client_active() == 0


def test_piggybacked_response_completes(client):
    client.request("sensors/x")
    ((_, req),) = client.sent()
    client.reply(response(aiocoap.ACK, Code.CONTENT, req.mid, req.token, b"42"))
    assert client.result() == (OK, int(Code.CONTENT), b"42")
    client.mote.tick(20_000)
    assert client.sent() == []  # no retransmission after the ACK


def test_separate_response_is_acknowledged(client):
    client.request("slow")
    ((_, req),) = client.sent()
    client.reply(response(aiocoap.ACK, Code.EMPTY, req.mid, b""))
    client.mote.tick(15_000)
    assert client.sent() == [] and client.result()[0] == PENDING  # retransmissions stopped, still waiting
    client.reply(response(aiocoap.CON, Code.CONTENT, 0x9999, req.token, b"late"))
    ((_, ack),) = client.sent()
    assert (ack.mtype, ack.code, ack.mid) == (aiocoap.ACK, Code.EMPTY, 0x9999)
    assert client.result() == (OK, int(Code.CONTENT), b"late")


def test_rst_ends_the_exchange(client):
    client.request("x")
    ((_, req),) = client.sent()
    client.reply(response(aiocoap.RST, Code.EMPTY, req.mid, b""))
    assert client.result()[0] == RESET


def test_unmatched_con_response_is_rejected(client):
    client.reply(response(aiocoap.CON, Code.CONTENT, 0x1234, b"\x99\x98", b"?"))
    ((_, rst),) = client.sent()
    assert (rst.mtype, rst.mid) == (aiocoap.RST, 0x1234)


def test_non_request(client):
    client.request("n", con=False)
    ((_, req),) = client.sent()
    assert req.mtype == aiocoap.NON
    client.reply(response(aiocoap.NON, Code.CONTENT, 0x2222, req.token, b"n"))
    assert client.result() == (OK, int(Code.CONTENT), b"n")
