"""Emulator tests: build the cffi core before collection (a fresh clone has no .so) and share
the assembled-program fixtures (helpers live in emu_helpers.py)."""

from __future__ import annotations

import pytest

from harness.emulator.core_build import ensure_built

ensure_built()

from emu_helpers import Batch, mote_from_asm  # noqa: E402


@pytest.fixture
def asm_mote():
    """mote_from_asm: assemble a program (text at 0x4000, vectors from `_start`) into a Mote."""
    return mote_from_asm


@pytest.fixture(scope="session")
def batch_factory():
    cache: dict[tuple[str, ...], Batch] = {}

    def make(lines: list[str]) -> Batch:
        key = tuple(lines)
        if key not in cache:
            cache[key] = Batch(lines)
        return cache[key]

    return make
