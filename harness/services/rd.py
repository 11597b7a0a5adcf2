"""The SSM's resource directory (RFC 9176): aiocoap's RD function sets (aiocoap.cli.rd) mounted at the
RFC's example paths (/rd, /rd-lookup/ep, /rd-lookup/res, /.well-known/rd for simple registration),
with lifetimes on an injectable harness.clock.Clock and ESSE's delegation attributes stamped by the
SSM on every registration of a CCS it delegates for (see docs/services.md)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import aiocoap
from aiocoap.cli import rd as aiord
from aiocoap.numbers import ContentFormat
from aiocoap.resource import Site, WKCResource
from aiocoap.util.linkformat import Link, LinkFormat

from harness.clock import Clock, Handle, WallClock

#: endpoint attribute: the coaps:// base of the SSM through which the sensor is reached
ATTR_SSM = "ssm"
#: endpoint attribute (one value each): a DTLS cipher suite the SSM offers for the sensor
ATTR_DTLS = "dtls"

log = logging.getLogger("esse.rd")


class _ClockedRegistration(aiord.CommonRD.Registration):
    """aiocoap's registration with its lifetime timer on a Clock and the SSM's attributes enforced."""

    clock: Clock = WallClock()
    esse_attrs: dict[str, list[str]] = {}
    timeout: Handle

    def _set_timeout(self) -> None:
        self.timeout = self.clock.call_at(self.clock.now() + self.lt + self.grace_period, self.delete)

    def refresh_timeout(self) -> None:
        self.timeout.cancel()
        self._set_timeout()

    def update_params(self, network_remote: Any, registration_parameters: dict[str, Any],
                      is_initial: bool = False) -> None:
        """aiocoap's update; the SSM's own attributes are the SSM's: a mote cannot set them."""
        for name in (ATTR_SSM, ATTR_DTLS):
            registration_parameters.pop(name, None)
        super().update_params(network_remote, registration_parameters, is_initial)
        self.registration_parameters.update(self.esse_attrs)


class EsseCommonRD(aiord.CommonRD):
    """aiocoap's RD state; registrations of delegated endpoints carry `ssm` and `dtls`."""

    def __init__(self, clock: Clock, delegated: Callable[[str], dict[str, list[str]]],
                 grace: float = 15.0) -> None:
        super().__init__(log=log)
        self.Registration = type(
            "Registration", (_ClockedRegistration,), {"clock": clock, "grace_period": grace}
        )
        self._delegated = delegated

    def initialize_endpoint(self, network_remote: Any, registration_parameters: dict[str, Any]) -> Any:
        """aiocoap's registration, with the delegation attributes for this `ep` (if any) set."""
        ep = (registration_parameters.get("ep") or [None])[0]
        attrs = self._delegated(ep) if ep else {}
        cls = self.Registration
        self.Registration = type("Registration", (cls,), {"esse_attrs": attrs})
        try:
            return super().initialize_endpoint(network_remote, registration_parameters)
        finally:
            self.Registration = cls

    def endpoints(self) -> list[Any]:
        """The live registrations."""
        return list(self.get_endpoints())


def delegation_attrs(ssm_base: str | None, suites: Iterable[str], known: Callable[[str], bool]
                     ) -> Callable[[str], dict[str, list[str]]]:
    """The attribute function for EsseCommonRD: `ssm`/`dtls` for endpoints `known` says we delegate."""
    suite_list = list(suites)

    def attrs(ep: str) -> dict[str, list[str]]:
        if ssm_base is None or not known(ep):
            return {}
        out = {ATTR_SSM: [ssm_base]}
        if suite_list:
            out[ATTR_DTLS] = suite_list
        return out

    return attrs


class SensorRedirect(aiord.ThingWithCommonRD, aiord.Resource, aiord.PathCapable):
    """The paper's redirect on the SSM's CoAP entry point: GET /sensor/EP[/PATH] answers 2.05 with a
    link-format link to coaps://DELEGATOR/PATH (CoAP has no 3.xx), carrying `ep` and `dtls`."""

    async def render_get(self, request: aiocoap.Message) -> aiocoap.Message:
        """The link to the sensor's resource through the delegator, or 4.04."""
        path = list(request.opt.uri_path)
        if not path:
            raise aiord.error.BadRequest("want /sensor/EP[/PATH]")
        ep, rest = path[0], "/".join(path[1:])
        reg = next((r for (e, _d), r in self.common_rd._by_key.items() if e == ep), None)
        ssm = reg.registration_parameters.get(ATTR_SSM, [None])[0] if reg is not None else None
        if reg is None or ssm is None:
            raise aiord.error.NotFound(f"no delegated sensor {ep!r} in the RD")
        attrs = [["ep", ep]] + [[ATTR_DTLS, v] for v in reg.registration_parameters.get(ATTR_DTLS, [])]
        link = LinkFormat([Link(f"{ssm.rstrip('/')}/{rest}", attrs)])
        return aiocoap.Message(code=aiocoap.CONTENT, payload=str(link).encode(),
                               content_format=ContentFormat.LINKFORMAT)


class ResourceDirectorySite(Site):
    """The RD's CoAP site: aiocoap's function-set resources on RFC 9176's paths."""

    def __init__(self, context: aiocoap.Context, common_rd: EsseCommonRD) -> None:
        super().__init__()
        self.common_rd = common_rd
        self.add_resource([".well-known", "core"], WKCResource(self.get_resources_as_linkheader))
        self.add_resource([".well-known", "rd"], aiord.SimpleRegistration(common_rd, context))
        self.add_resource(["rd"], aiord.DirectoryResource(common_rd=common_rd))
        self.add_resource(["rd-lookup", "ep"], aiord.EndpointLookupInterface(common_rd=common_rd))
        self.add_resource(["rd-lookup", "res"], aiord.ResourceLookupInterface(common_rd=common_rd))
        self.add_resource(["sensor"], SensorRedirect(common_rd=common_rd))
        self.add_resource(list(common_rd.entity_prefix), aiord.RegistrationDispatchSite(common_rd=common_rd))


class ResourceDirectory:
    """A running RD: `async with ResourceDirectory(("127.0.0.1", 0), ...) as rd: rd.port`."""

    def __init__(self, listen: tuple[str, int], *, clock: Clock | None = None,
                 delegated: Callable[[str], dict[str, list[str]]] | None = None,
                 grace: float = 15.0) -> None:
        self.listen = listen
        self.common = EsseCommonRD(clock or WallClock(), delegated or (lambda ep: {}), grace)
        self.context: aiocoap.Context | None = None

    async def __aenter__(self) -> ResourceDirectory:
        self.context = await aiocoap.Context.create_server_context(
            None, bind=self.listen, transports=["udp6"]
        )
        self.context.serversite = ResourceDirectorySite(self.context, self.common)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.context is not None:
            await self.context.shutdown()

    @property
    def port(self) -> int:
        """The UDP port the RD is bound to (the OS's choice when listen asked for 0)."""
        assert self.context is not None
        for ti in self.context.request_interfaces:
            mi = getattr(getattr(ti, "token_interface", None), "message_interface", None)
            transport = getattr(mi, "transport", None)
            if transport is not None:
                return int(transport.get_extra_info("socket").getsockname()[1])
        raise RuntimeError("RD has no UDP socket")
