"""What a test needs from the machine: skip when it is missing, fail under ESSE_REQUIRE_ALL=1 (CI).

A skipped test is a test that did not run. Locally a missing tool or extension skips with the command that
installs it; in CI (`ESSE_REQUIRE_ALL=1`, set by `.ci/run`) the same call fails, so a broken bootstrap cannot
pass as green. tests/conftest.py turns any other skip into a failure under the switch too, except tests
marked `cooja` (a real Cooja is never on the CI machine).
"""

from __future__ import annotations

import importlib
import os
import shutil
import socket
from types import ModuleType
from typing import NoReturn

import pytest

STRICT_ENV = "ESSE_REQUIRE_ALL"


def strict() -> bool:
    """True when missing requirements must fail instead of skip (ESSE_REQUIRE_ALL=1)."""
    return os.environ.get(STRICT_ENV, "") not in ("", "0")


def missing(reason: str) -> NoReturn:
    """Skip the current test (or module, at import time) for `reason`; fail instead under the switch."""
    if strict():
        pytest.fail(f"{reason} [{STRICT_ENV}=1: a missing requirement is a failure]", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def require(condition: object, reason: str) -> None:
    """Go on if `condition` holds, else `missing(reason)`."""
    if not condition:
        missing(reason)


def require_tool(tool: str, package: str | None = None) -> str:
    """Path of the executable `tool` on PATH (Debian `package` installs it)."""
    path = shutil.which(tool)
    if path is None:
        missing(f"{tool} not installed: apt-get install {package or tool}")
    return path


def require_module(name: str, install: str = "") -> ModuleType:
    """The imported module `name` (a project extension or an optional package; `install` says how)."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        missing(f"{name} not importable ({exc}){': ' + install if install else ''}")


def ipv6_loopback() -> bool:
    """Whether this machine can bind a UDP socket on ::1."""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True
