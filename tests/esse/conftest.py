"""Fixtures for the ESSE tests: the host record layer extension (built if missing or stale)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="session")
def rec() -> tuple[Any, Any]:
    """(ffi, lib) of the host record layer."""
    from harness.hostfw.record import ensure_record_extension

    return ensure_record_extension()


@pytest.fixture(scope="session")
def tinydtls() -> Any:
    """The delegator's TinyDTLS binding (built if missing or stale)."""
    from harness.ssm.handshake import ensure_tinydtls_extension

    return ensure_tinydtls_extension()
