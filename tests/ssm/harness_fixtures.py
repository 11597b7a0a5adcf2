"""Shared helpers for the delegator tests: a stand-in CCS plus a delegator in-process, configured on
ephemeral ports, run inside asyncio.run from plain pytest tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiocoap
from aiocoap.numbers.codes import Code
from requirements import require_tool

from harness.clock import Clock
from harness.ssm.config import from_dict
from harness.ssm.delegator import Delegator
from harness.standin.ccs import StandinCcsServer

PSK_DN = bytes.fromhex("00112233445566778899aabbccddeeff")
CLIENT_ID = "alice"
CLIENT_KEY = "secretPSK"


def config(db: Path, ccs_address: tuple, **ssm: Any) -> Any:
    extra = ssm.pop("extra", {})
    data = {
        "ssm": {"listen": ["127.0.0.1:0", "[::1]:0"], "db": str(db), **ssm},
        "ccs": {"s1": {"address": f"{ccs_address[0]}:{ccs_address[1]}", "psk_dn": PSK_DN.hex()}},
        "clients": {CLIENT_ID: {"key": CLIENT_KEY, "ccs": "s1"}},
        **extra,
    }
    return from_dict(data)


@contextlib.asynccontextmanager
async def ssm_and_ccs(
    tmp_path: Path, clock: Clock | None = None, **ssm: Any
) -> AsyncIterator[tuple[Delegator, StandinCcsServer]]:
    async with StandinCcsServer(PSK_DN) as ccs:
        async with Delegator(config(tmp_path / "relay.sqlite", ccs.address, **ssm), clock=clock) as d:
            yield d, ccs


def get_temperature(mid: int = 7, token: bytes = b"t") -> bytes:
    """A CON GET /sensors/temperature, encoded by aiocoap."""
    m = aiocoap.Message(code=Code.GET, uri_path=("sensors", "temperature"))
    m.mtype, m.mid, m.token = aiocoap.CON, mid, token
    return bytes(m.encode())


def coap_decode(data: bytes) -> aiocoap.Message:
    """aiocoap's parse of a CoAP message."""
    return aiocoap.Message.decode(data)


def coap_get(tool: str, host: str, port: int) -> list[str]:
    """argv of a libcoap client GET of the stand-in CCS's temperature through the delegator (PSK)."""
    return [tool, "-B", "8", "-k", CLIENT_KEY, "-u", CLIENT_ID, f"coaps://{host}:{port}/sensors/temperature"]


def need(tool: str, package: str) -> str:
    """Path of a client the test runs (skip, or fail under ESSE_REQUIRE_ALL=1, when missing)."""
    return require_tool(tool, package)


async def run_tool(*argv: str, timeout: float = 20.0, stdin: bytes | None = None) -> tuple[int, bytes, bytes]:
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.PIPE if stdin is not None else None,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(stdin), timeout)
    except TimeoutError:
        proc.kill()
        out, err = await proc.communicate()
        return -9, out, err
    return proc.returncode or 0, out, err


async def wait_until(pred: Any, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not pred():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)
