"""Fixtures for the SSM tests: build the extensions they need (fresh clone in CI)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="session")
def rec() -> tuple[Any, Any]:
    """(ffi, lib) of the host record layer, built if missing or stale."""
    from harness.hostfw.record import ensure_record_extension

    return ensure_record_extension()


@pytest.fixture(scope="session")
def tinydtls() -> Any:
    """H2's TinyDTLS binding with the key export fragment (built if missing or stale)."""
    from harness.ssm.handshake import ensure_tinydtls_extension

    return ensure_tinydtls_extension()
