"""The C CoAP codec against aiocoap's Message.encode/decode as the oracle."""

from __future__ import annotations

import aiocoap
import aiocoap.optiontypes as ot
import pytest
from aiocoap.numbers.optionnumbers import OptionNumber
from hypothesis import given, settings
from hypothesis import strategies as st
from nethost import Node, ffi

# Option numbers aiocoap treats as opaque (it would normalise uint options such as Size1 = 60).
OPAQUE_NUMBERS = [2, 268, 269, 270, 300, 1000, 2049, 65000, 65535]
CODES = [0, 1, 2, 3, 4, 65, 66, 67, 68, 69, 128, 130, 132, 133, 134, 143, 160, 165]
TYPES = [aiocoap.CON, aiocoap.NON, aiocoap.ACK, aiocoap.RST]


class CCodec:
    def __init__(self, node: Node) -> None:
        self.lib = node.lib

    def describe(self, data: bytes) -> tuple[int, str, bytes]:
        text, out = ffi.new("char[]", 8192), ffi.new("uint8_t[]", 4096)
        n = self.lib.host_coap_describe(data, len(data), text, len(text), out, len(out))
        return n, ffi.string(text).decode(), ffi.buffer(out, max(n, 0))[:]


_codec: CCodec | None = None


def codec(tmp_path_factory) -> CCodec:
    global _codec
    if _codec is None:
        _codec = CCodec(Node(tmp_path_factory.mktemp("coap")))
    return _codec


def oracle_text(msg: aiocoap.Message) -> str:
    """What host_coap_describe prints for a message, from aiocoap's decoding."""
    opts = " ".join(f"{int(o.number)}={o.encode().hex()}" for o in msg.opt.option_list())
    return f"{int(msg.mtype)} {int(msg.code)} {msg.mid} {msg.token.hex()} | {opts}{' ' if opts else ''}| " + (
        msg.payload.hex()
    )


def make(mtype, code, mid, token, path=(), query=(), cf=None, extra=(), payload=b"") -> aiocoap.Message:
    m = aiocoap.Message(code=aiocoap.numbers.codes.Code(code), payload=payload)
    m.mtype, m.mid, m.token = mtype, mid, token
    if path:
        m.opt.uri_path = path
    if query:
        m.opt.uri_query = query
    if cf is not None:
        m.opt.content_format = cf
    for number, value in extra:
        m.opt.add_option(ot.OpaqueOption(OptionNumber(number), value))
    return m


segment = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=300)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(
    mtype=st.sampled_from(TYPES),
    code=st.sampled_from(CODES[1:]),
    mid=st.integers(0, 0xFFFF),
    token=st.binary(max_size=8),
    path=st.lists(segment, max_size=4).map(tuple),
    query=st.lists(st.text(alphabet="abcdefgh=&0123456789", max_size=20), max_size=3).map(tuple),
    cf=st.one_of(st.none(), st.sampled_from([0, 40, 50, 60, 11542, 65000])),
    extra=st.lists(st.tuples(st.sampled_from(OPAQUE_NUMBERS), st.binary(max_size=280)), max_size=3),
    payload=st.binary(max_size=64),
)
def test_random_messages_match_aiocoap(
    tmp_path_factory, mtype, code, mid, token, path, query, cf, extra, payload
):
    msg = make(mtype, code, mid, token, path, query, cf, extra, payload)
    wire = msg.encode()
    n, text, reencoded = codec(tmp_path_factory).describe(wire)
    assert n == len(wire)
    assert text == oracle_text(aiocoap.Message.decode(wire))
    assert reencoded == wire  # the C writer produces aiocoap's bytes from the parsed fields


def test_extended_delta_and_length_forms(tmp_path_factory):
    """Nibbles 13 (1 extra byte) and 14 (2 extra bytes) for both delta and length."""
    for number, size in [(12, 12), (13, 13), (268, 268), (269, 269), (270, 1000), (65535, 5)]:
        wire = make(aiocoap.CON, 1, 1, b"", extra=[(number, b"v" * size)]).encode()
        n, text, out = codec(tmp_path_factory).describe(wire)
        assert n == len(wire) and out == wire, (number, size)
        assert text.split(" | ")[1] == f"{number}={(b'v' * size).hex()}"


def test_empty_message(tmp_path_factory):
    wire = make(aiocoap.CON, 0, 0xBEEF, b"").encode()
    assert wire == bytes.fromhex("4000beef")
    n, text, out = codec(tmp_path_factory).describe(wire)
    assert (n, text, out) == (4, "0 0 48879  | | ", wire)


@pytest.mark.parametrize(
    "wire,why,aiocoap_rejects",
    [
        (bytes.fromhex("8001"), "truncated", True),
        (bytes.fromhex("80010001"), "bad version", True),
        (bytes.fromhex("4901000102030405060708090a"), "token length 9", False),
        (bytes.fromhex("42010001aa"), "token runs past the end", False),
        (bytes.fromhex("40010001f0"), "option delta nibble 15", True),
        (bytes.fromhex("400100010f"), "option length nibble 15", True),
        (bytes.fromhex("40010001d1"), "extended delta byte missing", True),
        (bytes.fromhex("40010001e100"), "extended delta short", True),
        (bytes.fromhex("4001000134616263"), "option value runs past the end", True),
        (bytes.fromhex("40010001ff"), "payload marker without payload", False),
        (bytes.fromhex("41000001aa"), "empty message with a token", False),
    ],
)
def test_malformed_messages_are_refused(tmp_path_factory, wire, why, aiocoap_rejects):
    """RFC 7252 §3 and §4.1 format errors. aiocoap is lenient about some; the C parser is not."""
    n, _, _ = codec(tmp_path_factory).describe(wire)
    assert n < 0, why
    if aiocoap_rejects:
        with pytest.raises(Exception):  # noqa: B017 - aiocoap raises its own error classes
            aiocoap.Message.decode(wire)
