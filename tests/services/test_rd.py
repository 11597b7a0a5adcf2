"""The SSM's resource directory (RFC 9176) with real clients: aiocoap and libcoap's coap-client-notls."""

from __future__ import annotations

import asyncio
import shutil
import subprocess

import aiocoap
from aiocoap.numbers import ContentFormat

from harness.clock import SimClock
from harness.services.rd import ResourceDirectory, delegation_attrs
from tests.requirements import require

LINKS = b'</sensors/temperature>;rt="temperature-c";if="sensor",</sensors/light>;rt="light-lux"'
SSM = "coaps://127.0.0.1:5684"
SUITES = ["PSK_AES_128_CCM_8", "ECDHE_ECDSA_AES_128_CCM_8"]


def _rd(clock: SimClock | None = None) -> ResourceDirectory:
    return ResourceDirectory(("127.0.0.1", 0), clock=clock,
                             delegated=delegation_attrs(SSM, SUITES, lambda ep: ep == "sensor1"))


async def _req(ctx: aiocoap.Context, code: aiocoap.Code, uri: str, payload: bytes = b"") -> aiocoap.Message:
    msg = aiocoap.Message(code=code, uri=uri, payload=payload)
    if payload:
        msg.opt.content_format = ContentFormat.LINKFORMAT
    return await ctx.request(msg).response


def test_register_lookup_update_remove_expire_with_aiocoap() -> None:
    """Register, look up endpoint and resources (with the SSM's attributes), update, expire, remove."""

    async def run() -> None:
        clock = SimClock()
        async with _rd(clock) as rd:
            base = f"coap://127.0.0.1:{rd.port}"
            ctx = await aiocoap.Context.create_client_context()
            try:
                r = await _req(ctx, aiocoap.POST, f"{base}/rd?ep=sensor1&lt=60", LINKS)
                assert r.code == aiocoap.CREATED, r
                location = "/" + "/".join(r.opt.location_path)
                r = await _req(ctx, aiocoap.GET, f"{base}/rd-lookup/ep?ep=sensor1")
                text = r.payload.decode()
                assert f'ssm="{SSM}"' in text and 'dtls="PSK_AES_128_CCM_8"' in text, text
                assert 'ep="sensor1"' in text and location in text
                r = await _req(ctx, aiocoap.GET, f"{base}/rd-lookup/res?rt=temperature-c")
                assert "/sensors/temperature" in r.payload.decode() and "light" not in r.payload.decode()
                # lookup by the delegation attribute finds the sensor's resources
                r = await _req(ctx, aiocoap.GET, f"{base}/rd-lookup/res?ssm={SSM}")
                assert "/sensors/light" in r.payload.decode() and "/sensors/temperature" in r.payload.decode()
                # a mote that is not delegated gets no ssm attribute, and cannot forge one
                r = await _req(ctx, aiocoap.POST, f"{base}/rd?ep=other&lt=1000&ssm=coaps://evil", LINKS)
                assert r.code == aiocoap.CREATED
                r = await _req(ctx, aiocoap.GET, f"{base}/rd-lookup/ep?ep=other")
                assert 'ep="other"' in r.payload.decode() and "ssm=" not in r.payload.decode(), r.payload
                r = await _req(ctx, aiocoap.GET, f"{base}/rd-lookup/res?ssm={SSM}")
                assert r.payload.decode().count("/sensors/light") == 1  # only sensor1's
                # the paper's redirect on the CoAP entry point: to the delegator, not the sensor
                r = await _req(ctx, aiocoap.GET, f"{base}/sensor/sensor1/sensors/temperature")
                assert r.code == aiocoap.CONTENT and r.opt.content_format == ContentFormat.LINKFORMAT
                assert r.payload.decode().startswith(f"<{SSM}/sensors/temperature>;ep=\"sensor1\""), r.payload
                r = await _req(ctx, aiocoap.GET, f"{base}/sensor/other/x")
                assert r.code == aiocoap.NOT_FOUND
                # update: refreshes the lifetime (lt + 15 s grace) from now
                clock.advance(50)
                r = await _req(ctx, aiocoap.POST, f"{base}{location}?lt=60")
                assert r.code == aiocoap.CHANGED
                clock.advance(70)
                assert len(rd.common.endpoints()) == 2
                clock.advance(10)  # 130 s > 50 + 60 + 15
                r = await _req(ctx, aiocoap.GET, f"{base}/rd-lookup/ep?ep=sensor1")
                assert r.payload == b"", r.payload
                # removal
                r = await _req(ctx, aiocoap.GET, f"{base}/rd-lookup/ep?ep=other")
                other = r.payload.decode().split(">")[0].lstrip("<")
                r = await _req(ctx, aiocoap.DELETE, f"{base}{other}")
                assert r.code == aiocoap.DELETED
                assert rd.common.endpoints() == []
            finally:
                await ctx.shutdown()

    asyncio.run(run())


def test_register_and_lookup_with_libcoap() -> None:
    """coap-client-notls registers with a link-format payload and finds the resource by rt."""
    tool = shutil.which("coap-client-notls")
    require(tool, "coap-client-notls (Debian libcoap3-bin) not installed")
    assert tool is not None

    async def run() -> None:
        async with _rd() as rd:
            base = f"coap://127.0.0.1:{rd.port}"

            def client(*args: str) -> str:
                return subprocess.run([tool, "-B", "5", *args], capture_output=True, text=True,
                                      timeout=20, check=True).stdout

            await asyncio.to_thread(client, "-m", "post", "-t", "40", "-e", LINKS.decode(),
                                    f"{base}/rd?ep=sensor1&lt=300")
            eps = await asyncio.to_thread(client, "-m", "get", f"{base}/rd-lookup/ep")
            assert 'ep="sensor1"' in eps and f'ssm="{SSM}"' in eps, eps
            res = await asyncio.to_thread(client, "-m", "get", f"{base}/rd-lookup/res?rt=temperature-c")
            assert "/sensors/temperature" in res, res

    asyncio.run(run())


def test_simple_registration_fetches_well_known_core() -> None:
    """POST /.well-known/rd?ep=... (RFC 9176 §5.1): the RD GETs the mote's /.well-known/core itself."""
    from aiocoap import resource

    class Temperature(resource.Resource):
        """A sensor resource for the mote's /.well-known/core."""

        rt = "temperature-c"

        async def render_get(self, request: aiocoap.Message) -> aiocoap.Message:
            return aiocoap.Message(payload=b"21.5")

    async def run() -> None:
        async with _rd() as rd:
            site = resource.Site()
            site.add_resource([".well-known", "core"], resource.WKCResource(site.get_resources_as_linkheader))
            site.add_resource(["sensors", "temperature"], Temperature())
            mote = await aiocoap.Context.create_server_context(site, bind=("127.0.0.1", 0),
                                                               transports=["udp6"])
            try:
                r = await _req(mote, aiocoap.POST, f"coap://127.0.0.1:{rd.port}/.well-known/rd?ep=sensor1&lt=300")
                assert r.code == aiocoap.CHANGED, r
                r = await _req(mote, aiocoap.GET, f"coap://127.0.0.1:{rd.port}/rd-lookup/res?ep=sensor1")
                text = r.payload.decode()
                assert "/sensors/temperature>" in text and 'rt="temperature-c"' in text, text
            finally:
                await mote.shutdown()

    asyncio.run(run())
