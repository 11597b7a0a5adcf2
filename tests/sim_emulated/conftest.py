"""Emulated Sky motes in the multi-mote simulation: build the emulator core and the test firmware
once per session (a fresh clone has neither)."""

from __future__ import annotations

import pytest

from harness.emulator.core_build import ensure_built

ensure_built()


@pytest.fixture(scope="session")
def radiotest_elf():
    from harness.build import build_app

    return build_app("radiotest").elf


@pytest.fixture(scope="session")
def beacon_elf():
    from harness.build import build_app

    return build_app("beacon").elf
