"""Acceptance (issue 13): on the emulated network a fresh mote holding only IK_d bootstraps its PSK_DN from
the SSM's controller and AS, registers in the RD, shows on the host page, and a real DTLS client
(libcoap's coap-client-openssl, PSK) found through the RD lookup reads its temperature through the
delegator; then revoking it closes its sessions, removes it from the RD and the page, refuses new
sessions and refuses its re-bootstrapping at the AS."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import socket
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from harness.bootstrap import messages as m
from harness.up import EsseSystem
from harness.wire.infomem import SEGMENT_B, SEGMENT_SIZE, Identity
from tests.esse.esse_fixtures import temperature_text
from tests.requirements import require_module
from tests.ssm.harness_fixtures import need, run_tool

pytestmark = pytest.mark.slow

IK = bytes.fromhex("0f1e2d3c4b5a69788796a5b4c3d2e1f0")
IK3 = bytes.fromhex("00ff11ee22dd33cc44bb55aa66997788")
ADC = 2920
KEY = "selfbootPSK"


def scenario() -> dict[str, Any]:
    """Border router + two CCS that hold only IK_d (mote 3 reports energest), a PSK client for mote 2."""
    return {
        "title": "selfboot",
        "seed": 3,
        "duration_s": 3600.0,
        "medium": {"transmitting_range": 50.0, "interference_range": 100.0},
        "topology": {"kind": "line", "spacing": 15.0},
        "motes": [
            {"app": "border_router"},
            {"app": "ccs", "adc": {"temperature": ADC}, "ik": IK.hex()},
            {"app": "ccs_energest", "ik": IK3.hex()},
        ],
        "serial": {"motes": [1], "base_port": 0},
        "clients": {"carol": {"key": KEY, "mote": 2}},
    }


async def rd_lookup(port: int, query: str) -> str:
    """GET /rd-lookup/ep?QUERY from the RD with aiocoap; the link-format text."""
    import aiocoap

    ctx = await aiocoap.Context.create_client_context()
    try:
        req = aiocoap.Message(code=aiocoap.GET, uri=f"coap://127.0.0.1:{port}/rd-lookup/ep?{query}")
        resp = await asyncio.wait_for(ctx.request(req).response, 10)
        return str(resp.payload.decode())
    finally:
        await ctx.shutdown()


async def wait_for(what: str, probe: Any, timeout: float) -> Any:
    """Poll the coroutine function `probe` until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        got = await probe()
        if got:
            return got
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what}: not within {timeout:g} s")
        await asyncio.sleep(0.5)


async def wait_mote(system: EsseSystem, mote: int, what: str, done: Any, timeout: float = 30) -> list[str]:
    """Wait until `done(lines)` holds for the serial lines of `mote` (the simulation checked on the
    way); those lines. A mote prints after the message it answers, so a host-side event (installed,
    registered) does not mean the mote's line is there yet."""

    async def probe() -> list[str] | None:
        system.check()
        lines = system.mote_lines(mote)
        return lines if done(lines) else None

    got: list[str] = await wait_for(what, probe, timeout)
    return got


def http_get(url: str) -> str:
    """Body of an HTTP GET."""
    with urllib.request.urlopen(url, timeout=10) as r:  # noqa: S310 - loopback test server
        return str(r.read().decode())


def http_post(url: str) -> str:
    """Body of an HTTP POST without a body (the page's revoke API)."""
    with urllib.request.urlopen(urllib.request.Request(url, method="POST"), timeout=10) as r:  # noqa: S310
        return str(r.read().decode())


def device_request_over_udp(port: int) -> bytes:
    """What the controller answers a BOOT_REQUEST made with this device's IK_d (C device side)."""
    from harness.bootstrap.device import CDevice

    dev = CDevice(IK, 2)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(dev.request(secrets.token_bytes(8)), ("127.0.0.1", port))
        return s.recv(256)


@pytest.mark.parametrize(
    ("mote", "message"),
    [
        ({"app": "ccs", "ik": "abcd"}, "ik must be 16 bytes as 32 hex digits"),
        ({"app": "ccs", "ik": "zz" * 16}, "ik must be 16 bytes as 32 hex digits"),
        ({"app": "ccs", "ik": "ff" * 16}, "(not all ff)"),
        ({"app": "ccs", "ik": IK.hex(), "count": 2}, "ik is one mote's initial key"),
        ({"app": "ccs", "ik": IK.hex(), "psk_dn": IK3.hex()}, "no count, no psk_dn beside it"),
    ],
)
def test_bad_initial_keys_are_named(tmp_path: Path, mote: dict[str, Any], message: str) -> None:
    """A bad `ik` in a scenario ends with a message naming the entry, before anything starts."""
    from harness.up import UpError

    data = scenario()
    data["motes"][1] = mote
    data["motes"] = data["motes"][:2]
    with pytest.raises(UpError, match=re.escape(message)) as err:
        EsseSystem(data, tmp_path)
    assert "[[motes]] entry 2" in str(err.value)


def test_fresh_mote_bootstraps_registers_serves_and_is_revoked(tmp_path: Path) -> None:
    """The acceptance test of issue 13, then revocation (item 4)."""
    tool = need("coap-client-openssl", "libcoap3-bin")
    lookup_tool = need("coap-client-notls", "libcoap3-bin")
    require_module("harness.emulator.simmote", "the emulator extension: setup.py build_ext --inplace")

    async def go() -> None:
        async with EsseSystem(scenario(), tmp_path) as system:
            services = system.services
            assert services is not None and system.engine is not None
            name = await services.wait_installed(2, timeout=60)
            assert name == "mote2"
            # PSK_DN durable in segment B: the AS's key, IK_d kept, segment A (old counters) erased
            info = system.engine.by_id[2].mote.read_bytes(SEGMENT_B, 2 * SEGMENT_SIZE)
            ident = Identity.decode(info)
            assert services.repo is not None
            issued = services.repo.issued(2)
            assert issued is not None and ident.psk_dn == issued.psk and ident.ik == IK
            assert info[SEGMENT_SIZE:] == b"\xff" * SEGMENT_SIZE
            assert system.delegator is not None and system.delegator.config.ccs["mote2"].psk_dn == issued.psk

            # registered in the RD with the delegation attributes; aiocoap and libcoap see it
            links = await wait_for("RD entry of mote2", lambda: rd_lookup(services.rd_port, "ep=mote2"), 60)
            assert 'ep="mote2"' in links and "ssm=" in links and "PSK_AES_128_CCM_8" in links
            rc, out, err = await run_tool(
                lookup_tool, "-B", "10", f"coap://127.0.0.1:{services.rd_port}/rd-lookup/res?rt=temperature"
            )
            assert rc == 0, err
            href = re.search(rb"<(coap://[^>]+/sensors/temperature)>", out)
            assert href is not None, out
            ssm = re.search(r'ssm="(coaps://[^"]+)"', links)
            assert ssm is not None
            # on the host page
            assert services.web is not None
            page = await asyncio.to_thread(http_get, f"http://127.0.0.1:{services.web.port}/")
            assert 'id="ep-mote2"' in page and "/sensors/temperature" in page
            # a real DTLS client at the RD's `ssm` base reads the temperature (handshake delegated)
            uri = f"{ssm.group(1)}/sensors/temperature"
            rc, out, err = await run_tool(tool, "-B", "20", "-u", "carol", "-k", KEY, uri, timeout=40)
            assert rc == 0 and out.decode().strip() == temperature_text(ADC), (out, err)
            assert len(system.delegator.sessions()) == 1

            # revocation: sessions closed, RD entry gone, new sessions refused, re-bootstrap refused
            web = f"http://127.0.0.1:{services.web.port}"
            done = json.loads(await asyncio.to_thread(http_post, f"{web}/api/revoke?ep=mote2"))
            assert done == {"kind": "ccs", "name": "mote2", "sessions_closed": 1, "device": 2,
                            "rd_removed": 1, "as_revoked": True}
            assert system.delegator.sessions() == [] and "mote2" not in system.delegator.config.ccs
            assert 'ep="mote2"' not in await rd_lookup(services.rd_port, "ep=mote2")
            page = await asyncio.to_thread(http_get, f"http://127.0.0.1:{services.web.port}/api/sensors")
            assert "mote2" not in [sensor["ep"] for sensor in json.loads(page)]
            rc, out, err = await run_tool(tool, "-B", "6", "-u", "carol", "-k", KEY, uri, timeout=30)
            assert out.decode().strip() != temperature_text(ADC)
            assert system.delegator.stats["no_route"] >= 1
            answer = await asyncio.to_thread(device_request_over_udp, services.controller_port)
            assert answer == m.boot_error(2, "revoked")

            # the page's energy line of mote 3 is energest's own summary of that mote's EG1 lines
            from harness.energy.energest import EnergestMonitor

            await services.wait_installed(3, timeout=60)
            await wait_for("RD entry of mote3", lambda: rd_lookup(services.rd_port, "ep=mote3"), 60)

            async def energy_shown() -> Any:
                sensors = json.loads(await asyncio.to_thread(http_get, f"{web}/api/sensors"))
                return next((s["energy"] for s in sensors if s["ep"] == "mote3" and s["energy"]), None)

            shown = await wait_for("energy of mote3 on the page", energy_shown, 30)
            monitor, summaries = EnergestMonitor(), []
            for line in system.mote_lines(3):
                interval = monitor.feed_line(line) if line.startswith("EG") else None
                if interval is not None:
                    summaries.append(str(interval))
            assert shown in summaries and "mJ" in shown
            page = await asyncio.to_thread(http_get, f"{web}/")
            assert 'id="ep-mote3"' in page and 'class="energy"' in page

            # a revoked device bootstraps afresh: the operator erases its PSK_DN (provisions IK_d only, as
            # a reflash would) and enrols it again; it gets a new PSK_DN, acknowledged and installed
            from harness.sim.runner import provision_mote

            mote2 = system.engine.by_id[2]
            provision_mote(mote2, Identity(node_id=2, ik=IK))
            mote2.reset()
            services.repo.add_device(2, IK)
            assert await services.wait_installed(2, timeout=60) == "mote2"
            renewed = services.repo.issued(2)
            assert renewed is not None and renewed.psk != issued.psk
            assert system.delegator.config.ccs["mote2"].psk_dn == renewed.psk
            # and registers in the RD again under its new key. Its message ID must differ from the first
            # boot's: the RD, as RFC 7252 4.5 asks, answered a repeated ID with the old response (to
            # the old token) for 247 s, and the mote stayed unregistered (ccs_secure.c reseed_random)
            links = await wait_for("RD entry of the re-enrolled mote2",
                                   lambda: rd_lookup(services.rd_port, "ep=mote2"), 20)
            assert 'ep="mote2"' in links
            lines = await wait_mote(system, 2, "mote2's second registration",
                                    lambda lines: lines.count("ccs: rd registered (lt 300)") >= 2)
            assert lines.count("ccs: PSK_DN stored, confirming") == 2
            assert lines.count("ccs: rd registered (lt 300)") == 2
            assert not any("rd failed" in ln for ln in lines)
            print("\n".join(ln for ln in lines if "bootstrap" in ln or "rd " in ln))

    asyncio.run(go())


def test_refused_mote_retries_with_a_fresh_rn_until_enrolled(tmp_path: Path) -> None:
    """A mote the AS does not know gets BOOT_ERROR unknown_device, nothing is stored; it keeps asking
    with fresh RN_d and bootstraps once the operator enrolled it."""
    require_module("harness.emulator.simmote", "the emulator extension: setup.py build_ext --inplace")
    data = scenario()
    data["motes"] = data["motes"][:2]

    class Unenrolled(EsseSystem):
        """The AS repository starts without the mote (removed before the bridge lets the mote talk)."""

        async def _early_services(self) -> dict[int, int]:
            ports = await super()._early_services()
            assert self.services is not None and self.services.repo is not None
            self.services.repo.remove_device(2)
            return ports

    async def go() -> None:
        async with Unenrolled(data, tmp_path) as system:
            services = system.services
            assert services is not None and services.repo is not None and services.auth is not None

            await wait_mote(system, 2, "two refusals of mote 2",  # the simulation runs at most real time
                            lambda lines: sum("bootstrap refused (code 6)" in ln for ln in lines) >= 2, 90)
            assert {e.code for e in services.auth.refusals} == {"unknown_device"}
            assert services.repo.snapshot()["issued"] == [] and services.installed == {}
            services.repo.add_device(2, IK)
            await services.wait_installed(2, timeout=90)
            lines = await wait_mote(system, 2, "mote 2 bootstrapped",
                                    lambda lines: any("bootstrapped" in ln for ln in lines))
            assert sum("bootstrap request" in ln for ln in lines) >= 3
            rns = {row[2] for row in services.repo.snapshot()["used_rn"] if row[0] == "d"}
            assert len(rns) == 1  # refused requests stored no RN_d; the accepted one did

    asyncio.run(go())


def test_mote_refreshes_its_registration_before_the_lifetime_ends(tmp_path: Path) -> None:
    """The bootstrapped mote repeats its simple registration every 3/4 of lt (ccs_rd.h: lt 300 s, refresh
    225 s): run the simulation 25 times faster than real time past the first refresh. Mote 3, provisioned
    with PSK_DN at build time, skips bootstrapping and registers as well."""
    require_module("harness.emulator.simmote", "the emulator extension: setup.py build_ext --inplace")
    data = scenario()
    data["motes"][2] = {"app": "ccs", "psk_dn": "00112233445566778899aabbccddeeff"}

    async def go() -> None:
        async with EsseSystem(data, tmp_path, speed=25.0) as system:
            services = system.services
            assert services is not None and system.engine is not None
            stamped: list[float] = []
            system.engine.add_line_listener(
                lambda ln: stamped.append(ln.time_us / 1e6) if ln.mote_id == 2 and "rd registered" in ln.text
                else None
            )

            async def refreshed() -> bool:
                system.check()
                return len(stamped) >= 2

            await wait_for("two registrations of mote2", refreshed, 60)
            gap = stamped[1] - stamped[0]
            assert 225 - 1 <= gap < 300, gap  # before lt (300 s) ends
            assert 'ep="mote2"' in await rd_lookup(services.rd_port, "ep=mote2")
            assert 'ep="mote3"' in await rd_lookup(services.rd_port, "ep=mote3")
            three = system.mote_lines(3)
            assert not any("bootstrap" in ln for ln in three) and any("rd registered" in ln for ln in three)
            assert services.installed == {2: "mote2"}  # only mote 2 went through the controller
            print(f"registration refreshed after {gap:.1f} s of simulated time")

    asyncio.run(go())


def test_reset_before_the_boot_ack_confirms_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A reset after the mote stored PSK_DN but before the controller's BOOT_ACK (here its confirmations
    do not reach the controller until then): at the next boot the mote sends the confirmation it stored
    with the key (segment B 0x28), the controller installs the CCS; no second bootstrap, one key."""
    require_module("harness.emulator.simmote", "the emulator extension: setup.py build_ext --inplace")
    from harness.bootstrap.controller import Controller

    data = scenario()
    data["motes"] = data["motes"][:2]
    lossy = {"drop": True, "dropped": 0}
    confirm = Controller._confirm

    def dropping(self: Controller, datagram: bytes, source: Any) -> Any:
        if lossy["drop"]:
            lossy["dropped"] += 1
            return []
        return confirm(self, datagram, source)

    monkeypatch.setattr(Controller, "_confirm", dropping)

    async def go() -> None:
        async with EsseSystem(data, tmp_path) as system:
            services = system.services
            assert services is not None and services.repo is not None and system.engine is not None

            await wait_mote(system, 2, "PSK_DN stored on mote 2",
                            lambda lines: "ccs: PSK_DN stored, confirming" in lines and lossy["dropped"] >= 1,
                            60)
            assert services.installed == {}
            lossy["drop"] = False
            system.engine.by_id[2].reset()
            assert await services.wait_installed(2, timeout=60) == "mote2"
            lines = await wait_mote(system, 2, "mote 2 bootstrapped",
                                    lambda lines: any(ln.startswith("ccs: bootstrapped in") for ln in lines))
            assert lines.count("ccs: confirming again (reset before BOOT_ACK)") == 1, lines
            assert sum("bootstrap request" in ln for ln in lines) == 1  # the same key, no second run
            assert any(ln.startswith("ccs: bootstrapped in") for ln in lines)
            issued = services.repo.issued(2)
            assert system.delegator is not None and issued is not None
            assert system.delegator.config.ccs["mote2"].psk_dn == issued.psk
            assert 'ep="mote2"' in await wait_for(
                "RD entry of mote2", lambda: rd_lookup(services.rd_port, "ep=mote2"), 30
            )

    asyncio.run(go())
