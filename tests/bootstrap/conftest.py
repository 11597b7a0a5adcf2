"""Bootstrapping test fixtures: an AS with its SQLite repository, a controller, a wire between them."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.bootstrap.controller import Addr, Controller
from harness.bootstrap.repository import Repository
from harness.bootstrap.server import AuthServer

IK = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")
SK_CS = bytes.fromhex("000102030405060708090a0b0c0d0e0f")
NODE = 7
CTL_ID = 1
T0 = 1_800_000_000.0
DEV_ADDR: Addr = ("fd00::7", 5683)
AS_ADDR: Addr = ("fd00::1", 5690)
CTL_ADDR: Addr = ("fd00::2", 5691)


class Clock:
    """An injectable clock: tests move it instead of sleeping."""

    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


class Wire:
    """Routes datagrams between the controller and the AS in-process; returns what reaches the device."""

    def __init__(self, ctl: Controller, server: AuthServer) -> None:
        self.ctl = ctl
        self.server = server
        self.as_requests: list[bytes] = []
        self.as_replies: list[bytes] = []

    def to_controller(self, data: bytes, source: Addr = DEV_ADDR) -> list[bytes]:
        """Deliver `data` to the controller, run the AS leg, return the datagrams sent to the device."""
        queue = [(data, source, "ctl")]
        to_device: list[bytes] = []
        while queue:
            msg, src, dst = queue.pop(0)
            if dst == "as":
                self.as_requests.append(msg)
                reply = self.server.handle(msg)
                if reply is not None:
                    self.as_replies.append(reply)
                    queue.append((reply, AS_ADDR, "ctl"))
                continue
            for out, dest in self.ctl.handle(msg, src):
                if dest == AS_ADDR:
                    queue.append((out, CTL_ADDR, "as"))
                else:
                    assert dest == src or dest == DEV_ADDR
                    to_device.append(out)
        return to_device


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repository]:
    r = Repository(tmp_path / "as.sqlite")
    r.add_device(NODE, IK)
    r.add_controller(CTL_ID, SK_CS)
    yield r
    r.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def wire(repo: Repository, clock: Clock) -> Wire:
    rng = random.Random(1)
    server = AuthServer(repo, now=clock)
    ctl = Controller(CTL_ID, SK_CS, AS_ADDR, now=clock, rng=rng.randbytes)
    return Wire(ctl, server)
