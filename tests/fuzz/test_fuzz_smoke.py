"""Bounded fuzz runs in CI: firmware C parsers under ASan+UBSan, and the Python wire parsers (hypothesis)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.wire import dtls, ssm
from tests.fuzz.fuzz_build import run

CORPUS = Path(__file__).resolve().parent / "corpus"


@pytest.mark.parametrize("target", ["record", "net"])
def test_c_target_survives_bounded_run(target: str, tmp_path: Path) -> None:
    """The sanitizer build runs its seeds and 20 000 mutations clean; a crash's input is kept."""
    result = run(target, CORPUS / target, tmp_path, runs=20000, seed=1)
    if result.crashed:
        assert result.reproducer is not None
        kept = Path(__file__).resolve().parent / "crashes"
        kept.mkdir(exist_ok=True)
        shutil.copy(result.reproducer, kept / result.reproducer.name)
    assert not result.crashed, result.log[-4000:]
    assert f"runs={result.runs}" in result.log


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


@pytest.mark.parametrize("target", ["record", "net"])
def test_long_fuzz_run(target: str, tmp_path: Path) -> None:
    """`invoke fuzz` (ESSE_FUZZ_SECONDS set): seeded batches for that long; without it, about one second."""
    import os

    from tests.fuzz.fuzz_build import fuzz_for

    seconds = float(os.environ.get("ESSE_FUZZ_SECONDS", "1"))
    seed = int(os.environ.get("ESSE_FUZZ_SEED", "1"))
    summary = fuzz_for(target, seconds, tmp_path, seed, batch=50_000 if seconds > 1 else 2_000)
    print(summary)
    assert "CRASH" not in summary, summary
