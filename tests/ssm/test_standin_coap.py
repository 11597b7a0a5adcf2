"""The stand-in CCS's CoAP answers (harness/standin/ccs.py, aiocoap as its codec): piggybacked ACK for
CON, NON for NON, 4.04 / 4.05, and an echo of application data that is no CoAP request."""

from __future__ import annotations

from typing import Any

import aiocoap
from aiocoap.numbers.codes import Code

from harness.standin.ccs import StandinCcs
from tests.ssm.harness_fixtures import PSK_DN


def request(code: Code, path: tuple[str, ...], mtype: Any = aiocoap.CON, mid: int = 0x1234) -> bytes:
    m = aiocoap.Message(code=code, uri_path=path)
    m.mtype, m.mid, m.token = mtype, mid, b"\x01\x02"
    return bytes(m.encode())


def answer(ccs: StandinCcs, data: bytes) -> aiocoap.Message:
    reply = ccs._application(data)
    assert reply is not None
    return aiocoap.Message.decode(reply)


def test_get_temperature_con_and_non(rec) -> None:
    ccs = StandinCcs(PSK_DN)
    try:
        r = answer(ccs, request(Code.GET, ("sensors", "temperature")))
        assert (r.mtype, r.mid, r.token, r.code, r.payload) == (
            aiocoap.ACK, 0x1234, b"\x01\x02", Code.CONTENT, b"22.5 C"
        )
        assert r.opt.content_format == 0  # text/plain
        r = answer(ccs, request(Code.GET, ("sensors", "temperature"), aiocoap.NON, 0xFFFF))
        assert (r.mtype, r.mid, r.code) == (aiocoap.NON, 0x0000, Code.CONTENT)
    finally:
        ccs.close()


def test_errors_and_echo(rec) -> None:
    ccs = StandinCcs(PSK_DN)
    try:
        assert answer(ccs, request(Code.GET, ("nothing",))).code == Code.NOT_FOUND
        assert answer(ccs, request(Code.POST, ("sensors", "temperature"))).code == Code.METHOD_NOT_ALLOWED
        assert ccs._application(b"hello\n") == b"hello\n"  # not a request: echoed (openssl s_client)
        assert ccs._application(b"\x40") == b"\x40"  # too short for CoAP
        assert ccs.stats["coap_requests"] == 2 and ccs.stats["app_records"] == 4
    finally:
        ccs.close()
