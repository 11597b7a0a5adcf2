"""Property fuzzing of the Python wire parsers (hypothesis): only their own error types escape."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from harness.wire import dtls, ssm


@settings(max_examples=2000, deadline=None, derandomize=True)
@given(st.binary(max_size=300))
def test_dtls_split_only_raises_framing_error(data: bytes) -> None:
    """Arbitrary datagrams either split into records that cover them or raise DtlsFramingError."""
    try:
        dtls.split_records_strict(data)
    except dtls.DtlsFramingError:
        pass
    dtls.split_records(data)
    dtls.is_client_hello(data)


@settings(max_examples=2000, deadline=None, derandomize=True)
@given(st.binary(max_size=300))
def test_ssm_relay_parse_only_raises_protocol_error(data: bytes) -> None:
    """Arbitrary SSM frames parse or raise ProtocolError, never another exception."""
    try:
        msg_type, sid, records = ssm.parse_relay(data)
    except ssm.ProtocolError:
        return
    assert ssm.build_relay(msg_type, sid, records) == data
