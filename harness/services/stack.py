"""The SSM's services around a running delegator (paper §3.2): the bootstrapping controller and AS,
the resource directory and the host page, wired together. A device that bootstraps gets its PSK_DN
installed in the delegator (`Delegator.install_ccs`); revoking it closes its relay sessions, forgets
the key, removes its RD entry and makes the AS refuse it until it is enrolled again."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from harness.bootstrap.controller import DEFAULT_AS_TIMEOUT, Controller, TidStore
from harness.bootstrap.repository import Repository
from harness.bootstrap.server import DEFAULT_WINDOW, AuthServer
from harness.bootstrap.udp import serve_as, serve_controller
from harness.services.rd import ResourceDirectory, delegation_attrs
from harness.services.web import EnergySource, HostServer
from harness.ssm.config import CcsEntry
from harness.ssm.delegator import Delegator
from harness.udp import Address

log = logging.getLogger("esse.services")

#: what the delegator offers when ssm.toml names no cipher_suites (its default list)
DEFAULT_SUITES = ("PSK_AES_128_CCM_8", "PSK_AES_128_CCM", "ECDHE_ECDSA_AES_128_CCM_8")


@dataclass
class Revocation:
    """What one revocation did: relay sessions closed; for a CCS also RD entries removed and whether
    the AS now refuses the device (kind "ccs" or "client")."""

    kind: str
    name: str
    sessions_closed: int
    device: int | None = None
    rd_removed: int = 0
    as_revoked: bool = False


@dataclass
class BootstrapSetup:
    """Controller and AS of one SSM: keys, the AS repository file (None: the AS runs elsewhere, at
    `as_addr`), how devices map to CCS entries, where each listens (None: loopback, a free port)."""

    id_c: int
    sk_cs: bytes
    db: Path | None
    state: Path
    ccs_for: Callable[[int], tuple[str, Address]]  # device id -> (CCS name, its address); KeyError: none
    devices: dict[int, bytes] = field(default_factory=dict)  # enrolled at start: id -> IK_d
    listen: tuple[str, int] | None = None  # the controller (devices send BOOT_REQUEST here)
    as_listen: tuple[str, int] | None = None
    as_addr: Address | None = None  # a remote AS (db None)
    timeout: float = DEFAULT_AS_TIMEOUT
    window: float = DEFAULT_WINDOW
    on_install: Callable[[int, bytes], None] | None = None  # e.g. write the keys_out table


class SsmServices:
    """`async with SsmServices(delegator, bootstrap=..., http=True) as s:` controller and AS (when
    `bootstrap` is given), RD and host page on loopback ports the OS picks."""

    def __init__(
        self,
        delegator: Delegator,
        *,
        bootstrap: BootstrapSetup | None = None,
        http: bool = True,
        energy: EnergySource | None = None,
        host: str = "127.0.0.1",
        rd_listen: tuple[str, int] | None = None,
        rd_grace: float = 15.0,
        ssm_base: str | None = None,
        http_listen: tuple[str, int] | None = None,
    ) -> None:
        self.delegator = delegator
        self.setup = bootstrap
        self.http = http
        self.energy = energy
        self.host = host
        self.rd_listen = rd_listen or (host, 0)
        self.rd_grace = rd_grace
        self.ssm_base = ssm_base
        self.http_listen = http_listen or (host, 0)
        self.repo: Repository | None = None
        self.auth: AuthServer | None = None
        self.controller: Controller | None = None
        self.controller_port = 0
        self.rd: ResourceDirectory | None = None
        self.web: HostServer | None = None
        self.installed: dict[int, str] = {}  # device id -> CCS name, as bootstrapped
        self._stack = contextlib.AsyncExitStack()

    def _on_psk(self, device: int, psk: bytes) -> None:
        assert self.setup is not None
        if self.setup.on_install is not None:
            self.setup.on_install(device, psk)
        try:
            name, address = self.setup.ccs_for(device)
        except KeyError:
            log.warning("device %d bootstrapped, but no CCS entry names it: not installed", device)
            return
        self.delegator.install_ccs(CcsEntry(name, address, psk))
        self.installed[device] = name
        log.info("device %d bootstrapped: CCS %s installed", device, name)

    async def __aenter__(self) -> SsmServices:
        try:
            await self._start()
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def _start(self) -> None:
        s = self.setup
        if s is not None:
            as_addr = s.as_addr
            if s.db is not None:
                self.repo = Repository(s.db)
                self._stack.callback(self.repo.close)
                self.repo.add_controller(s.id_c, s.sk_cs)
                for device, ik in s.devices.items():
                    self.repo.add_device(device, ik)
                self.auth = AuthServer(self.repo, window=s.window)
                as_transport = await serve_as(self.auth, *(s.as_listen or (self.host, 0)))
                self._stack.callback(as_transport.close)
                as_addr = as_transport.get_extra_info("sockname")[:2]
                if as_addr[0] in ("0.0.0.0", "::"):  # noqa: S104 - a wildcard bind: reach it on loopback
                    as_addr = ("127.0.0.1" if as_addr[0] == "0.0.0.0" else "::1", as_addr[1])  # noqa: S104
            if as_addr is None:
                raise ValueError("bootstrapping needs an AS: a repository (db) or the address of one")
            self.controller = Controller(s.id_c, s.sk_cs, as_addr, on_psk=self._on_psk,
                                         tids=TidStore(s.state), timeout=s.timeout)
            ctl_transport = await serve_controller(self.controller, *(s.listen or (self.host, 0)))
            self._stack.callback(ctl_transport.close)
            self.controller_port = int(ctl_transport.get_extra_info("sockname")[1])
        cfg = self.delegator.config
        host, port = self.delegator.client_addresses[0][:2]
        ssm = self.ssm_base or (f"coaps://[{host}]:{port}" if ":" in host else f"coaps://{host}:{port}")
        attrs = delegation_attrs(ssm, cfg.cipher_suites or DEFAULT_SUITES, lambda ep: ep in cfg.ccs)
        self.rd = await self._stack.enter_async_context(
            ResourceDirectory(self.rd_listen, delegated=attrs, grace=self.rd_grace))
        if self.http:
            self.web = HostServer(self.rd.common, cfg.clients, energy=self.energy, revoke=self.revoke_any)
            await self.web.start(*self.http_listen)
            self._stack.push_async_callback(self.web.stop)

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    @property
    def rd_port(self) -> int:
        """The RD's UDP port."""
        assert self.rd is not None
        return self.rd.port

    def _remove_registrations(self, ep: str) -> int:
        assert self.rd is not None
        removed = 0
        for reg in list(self.rd.common.endpoints()):
            if dict(reg.get_host_link().attr_pairs).get("ep") == ep:
                reg.delete()
                removed += 1
        return removed

    def revoke(self, name: str) -> Revocation:
        """Revoke the CCS `name` (a [ccs] name, e.g. mote2): close its relay sessions (ERROR
        session-closed to the CCS), forget its PSK_DN, remove its RD entry, and have the AS refuse
        its bootstrapping until it is enrolled again. KeyError for a name that is no CCS."""
        if name not in self.delegator.config.ccs:
            raise KeyError(f"no CCS named {name!r}")
        closed = self.delegator.revoke_ccs(name)
        removed = self._remove_registrations(name)
        device = next((d for d, n in self.installed.items() if n == name), None)
        revoked = False
        if device is not None and self.repo is not None:
            revoked = self.repo.revoke(device, int(time.time()))
            self.installed.pop(device, None)
            if self.controller is not None:
                self.controller.installed.pop(device, None)
        log.warning("CCS %s revoked: %d sessions closed, %d RD entries removed", name, closed, removed)
        return Revocation("ccs", name, closed, device, removed, revoked)

    def revoke_client(self, identity: str) -> Revocation:
        """Revoke an outside client's PSK identity: its relay sessions are closed at the CCS and its
        handshakes refused from now on. KeyError for an identity the SSM does not know."""
        if identity.encode() not in self.delegator.config.clients:
            raise KeyError(f"no client identity {identity!r}")
        closed = self.delegator.revoke_client(identity.encode())
        log.warning("client %r revoked: %d sessions closed", identity, closed)
        return Revocation("client", identity, closed)

    def revoke_any(self, kind: str, name: str) -> Revocation:
        """revoke (kind "ccs") or revoke_client (kind "client"); KeyError for another kind or name."""
        if kind == "ccs":
            return self.revoke(name)
        if kind == "client":
            return self.revoke_client(name)
        raise KeyError(f"nothing of kind {kind!r} can be revoked (ccs or client)")

    async def wait_installed(self, device: int, timeout: float) -> str:
        """Until the device has bootstrapped (its CCS name); TimeoutError otherwise."""
        deadline = asyncio.get_running_loop().time() + timeout
        while device not in self.installed:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"device {device} did not bootstrap within {timeout:g} s")
            await asyncio.sleep(0.1)
        return self.installed[device]
