"""Fixtures for the net stack tests: the host build of firmware/net and per-test node factories."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import nethost  # noqa: E402


@pytest.fixture(scope="session")
def netlib() -> Path:
    return nethost.build_library()


@pytest.fixture
def make_node(netlib: Path, tmp_path: Path) -> Callable[[], nethost.Node]:
    def make() -> nethost.Node:
        return nethost.Node(tmp_path)

    return make
