"""Helpers of the end-to-end tests (bridge, real clients, free ports)."""

from __future__ import annotations

import asyncio
import shutil
import socket
import struct

import aiocoap

from harness.bridge import Bridge, BridgeError
from harness.bridge.ipv6 import parse_prefix
from harness.proc import run

PREFIX = parse_prefix("fd00:e55e::/64")


def free_base_port(ids: list[int]) -> int:
    """A base port B with B + id free on 127.0.0.1 (UDP) for every id."""
    for base in range(21000, 40000, 97):
        socks = []
        try:
            for i in ids:
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(s)
                s.bind(("127.0.0.1", base + i))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free UDP ports")


async def coap(ctx: aiocoap.Context, code, uri: str, payload: bytes = b"") -> aiocoap.Message:  # noqa: ANN001
    req = aiocoap.Message(code=code, uri=uri, payload=payload)
    return await asyncio.wait_for(ctx.request(req).response, 30)


async def coap_client_notls(*args: str) -> str:
    """libcoap's coap-client-notls (Debian libcoap3-bin); its stdout."""
    tool = shutil.which("coap-client-notls")
    assert tool, "coap-client-notls missing: apt-get install libcoap3-bin"
    res = await asyncio.to_thread(run, [tool, "-B", "20", *args], timeout=60)
    return res.stdout


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
