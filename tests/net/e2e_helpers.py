"""Helpers of the end-to-end tests (bridge, real clients)."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Callable

import aiocoap
from requirements import require_tool

from harness.bridge import Bridge, BridgeError
from harness.bridge.ipv6 import parse_prefix
from harness.proc import run

PREFIX = parse_prefix("fd00:e55e::/64")


async def coap(ctx: aiocoap.Context, code, uri: str, payload: bytes = b"") -> aiocoap.Message:  # noqa: ANN001
    req = aiocoap.Message(code=code, uri=uri, payload=payload)
    return await asyncio.wait_for(ctx.request(req).response, 30)


def server_port(ctx: aiocoap.Context) -> int:
    """The UDP port the OS gave an aiocoap server context bound to port 0 (its udp6 transport's socket)."""
    for ri in ctx.request_interfaces:
        message_interface = getattr(getattr(ri, "token_interface", None), "message_interface", None)
        transport = getattr(message_interface, "transport", None)
        sock = transport.get_extra_info("socket") if transport is not None else None
        if sock is not None:
            return int(sock.getsockname()[1])
    raise AssertionError("the aiocoap server context has no bound UDP socket")


async def coap_client_notls(*args: str) -> str:
    """libcoap's coap-client-notls (Debian libcoap3-bin); its stdout."""
    tool = require_tool("coap-client-notls", "libcoap3-bin")
    res = await asyncio.to_thread(run, [tool, "-B", "20", *args], timeout=60)
    return res.stdout


async def until(pred: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    """Wait for a condition another thread or task makes true (a readiness check, not a fixed delay)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not pred():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not reached in {timeout} s: {what}")
        await asyncio.sleep(0.01)


async def wait_for_prefix(bridge: Bridge, mote_id: int) -> None:
    """Until the mote answers a ping at its global address (it has the prefix)."""
    for _ in range(100):
        try:
            await bridge.ping(mote_id, timeout=0.5)
            return
        except BridgeError:
            await asyncio.sleep(0.1)
    raise AssertionError(f"mote {mote_id} never answered a ping")


def firmware_stats(sim_mote, source: str, fields: list[str]) -> dict[str, int]:  # noqa: ANN001 - SkySimMote
    """A module's uint16_t counters (`static ... stats` in firmware/net/`source`) read from an emulated
    mote's RAM, named by `fields` in declaration order."""
    from elftools.elf.elffile import ELFFile

    with open(sim_mote.firmware, "rb") as f:
        symtab = ELFFile(f).get_section_by_name(".symtab")
        current = None
        for sym in symtab.iter_symbols():
            if sym["st_info"]["type"] == "STT_FILE":
                current = sym.name
            elif sym.name == "stats" and current == source:
                raw = sim_mote.mote.read_bytes(sym["st_value"], 2 * len(fields))
                return dict(zip(fields, struct.unpack(f"<{len(fields)}H", raw), strict=True))
    raise AssertionError(f"no {source} stats symbol in {sim_mote.firmware}")
