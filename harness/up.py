"""`esse up SCENARIO`: the whole ESSE system from one scenario file, in one process.

    simulation (emulated border router + CCS motes, real time)  --serial socket-->  bridge
    bridge: 127.0.0.1:<coap base + N> -> mote N port 5683 (plain CoAP baseline),
            127.0.0.1:<ssm base + N>  -> mote N port 61617 (the SSM <-> CCS messages)
    SSM delegator: DTLS for outside clients on 127.0.0.1 / [::1]; its relay table names every CCS mote
    at its bridge port with the PSK_DN the scenario provisioned into that mote's information flash.

Scenario keys beyond the simulator's (cooja_configs/scenarios/esse_demo.toml):

    [[motes]] psk_dn = "32 hex digits"     # per CCS mote: written into its information flash
    [[motes]] ik = "32 hex digits"         # or IK_d only: the mote bootstraps its PSK_DN from the SSM's
                                           # controller (and AS, which enrols it), then registers in the RD
    [clients.alice]                        # a PSK identity outside clients use
    key = "secretPSK"                      # text (or key_hex)
    mote = 2                               # the CCS mote it reaches
    [ssm]                                  # delegator options (harness/ssm/config.py), e.g. cipher_suites
    [ecdsa] private/public_x/public_y      # the SSM's raw public key (ECDHE-ECDSA), hex
    [[ecdsa.clients]] public_x, public_y, mote   # accepted client keys and the CCS mote they reach

Every start provisions the motes afresh (information flash erased, counters at 0), so the delegator's
table and counters start afresh too (relay.sqlite and its counter file in the output folder are replaced).
"""

from __future__ import annotations

import asyncio
import hashlib
import signal
import socket
import sys
import threading
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from harness.bridge import Bridge, BridgeError
from harness.bridge.ipv6 import parse_prefix
from harness.build import build_app
from harness.sim.cli import add_translate_option
from harness.sim.engine import Engine
from harness.sim.output import Recorder
from harness.sim.runner import build_motes, provision_mote
from harness.sim.scenario import ScenarioError, scenario_from_dict
from harness.sim.serial_socket import attach_serial_servers
from harness.ssm.config import ClientEntry, ConfigError, SsmConfig, from_dict
from harness.ssm.delegator import Delegator
from harness.ssm.relay_table import remove_table
from harness.tinydtls.ccs_full_build import DTLS_PORT
from harness.wire.infomem import Identity

SSM_PORT = 61617  # the CCS's port for SSM messages (firmware/apps/ccs/ccs_secure.h)
MGMT_PORT = 61618  # the CCS's plain management port (outbound trigger)
COAP_PORT = 5683
FULL_DTLS_PORT = DTLS_PORT  # the full-handshake CCS's DTLS server (ccs_full.h)
PREFIX = "fd00:e55e::/64"
BORDER_ROUTER_APP = "border_router"
SYSTEM_KEYS = ("clients", "ssm", "ecdsa", "outbound")
BOOT_PORT = 61619  # the controller's port on the host address (firmware/apps/ccs/ccs_boot.h)
RD_PORT = 5683  # the RD's port on the host address (firmware/apps/ccs/ccs_rd.h)
CONTROLLER_ID = 1


class UpError(RuntimeError):
    """The system could not come up; the message says which part and why."""


@dataclass(frozen=True)
class Client:
    """An outside client's PSK identity and the CCS mote it reaches."""

    identity: str
    key: bytes
    mote: int


def _free_base(count: int, span: int) -> int:
    """A base port B with B + 1 .. B + span free on 127.0.0.1 (UDP), ports from the OS."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1] - 1
        if base + span >= 65535:
            continue
        socks = []
        try:
            for i in range(1, span + 1):
                t = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(t)
                t.bind(("127.0.0.1", base + i))
            return base
        except OSError:
            continue
        finally:
            for t in socks:
                t.close()
    raise UpError(f"no {count} runs of {span} free UDP ports on 127.0.0.1")


def build_scenario_app(app: str) -> None:
    """Build a scenario's firmware: an app folder, ccs-tinydtls (the ccs with TinyDTLS records) or a
    full-handshake CCS (ccs-full-psk, ccs-full-ecc, ...: harness/tinydtls/ccs_full_build.py)."""
    from harness.tinydtls.ccs_full_build import VARIANTS, build_variant

    if app == "ccs-tinydtls":
        from harness.tinydtls.ccs_build import build_ccs_tinydtls

        build_ccs_tinydtls()
    elif app in VARIANTS:
        build_variant(app)
    else:
        build_app(app)


def load_system(path: Path) -> dict[str, Any]:
    """The scenario file as a dict (UpError naming the file when it cannot be read)."""
    try:
        return tomllib.loads(Path(path).read_text())
    except FileNotFoundError:
        raise UpError(f"{path}: no such scenario file") from None
    except tomllib.TOMLDecodeError as exc:
        raise UpError(f"{path}: {exc}") from None


class NetworkSystem:
    """The emulated network of a scenario (real time) and the bridge into it: what `esse up` and the
    full-handshake baseline share. Subclasses name the mote ports the bridge maps (`mote_ports`), the
    motes it reaches (`bridged_motes`) and what starts once every one answers pings (`_services`)."""

    mote_ports: tuple[int, ...] = (COAP_PORT,)

    def __init__(
        self, data: dict[str, Any], out_dir: Path, *, seed: int | None = None, speed: float = 1.0
    ) -> None:
        self.out_dir = Path(out_dir)
        sim_data = {k: v for k, v in data.items() if k not in SYSTEM_KEYS}
        sim_data["motes"] = [{k: v for k, v in m.items() if k != "ik"} for m in data.get("motes", [])]
        try:
            self.scenario = scenario_from_dict(sim_data, "scenario")
        except ScenarioError as exc:
            raise UpError(str(exc)) from None
        self.seed = seed if seed is not None else int(data.get("seed", 1))
        self.speed = speed
        apps = [m["app"] for m in data["motes"] for _ in range(int(m.get("count", 1)))]
        self.apps = {i: app for i, app in enumerate(apps, start=1)}
        router_apps = (BORDER_ROUTER_APP, f"{BORDER_ROUTER_APP}_lpl")  # always-on or low-power listening
        routers = [i for i, app in self.apps.items() if app in router_apps]
        if len(routers) != 1:
            raise UpError(f"scenario: want exactly one {BORDER_ROUTER_APP} mote, found {len(routers)}")
        self.border_router = routers[0]
        self.files: dict[str, Path] = {}
        self.lines: list[tuple[int, str]] = []  # (mote id, UART1 line) as the motes print them
        self.engine: Engine | None = None
        self.bridge: Bridge | None = None
        self.bases: dict[int, int] = {}  # mote port -> loopback base port (mote N at base + N)
        self._thread: threading.Thread | None = None
        self._servers: list[Any] = []
        self._error: BaseException | None = None

    @property
    def bridged_motes(self) -> list[int]:
        """Ids of the motes the bridge maps ports of (default: every mote but the border router)."""
        return [i for i in self.apps if i != self.border_router]

    def _provision(self, motes: list[Any]) -> None:
        """Write what each mote needs into its information flash before it boots (nothing here)."""

    def _on_line(self, line: Any) -> None:
        self.lines.append((line.mote_id, line.text))

    async def _early_services(self) -> dict[int, int]:
        """Start what the motes reach as soon as they have the prefix; {host port: OS-chosen port}."""
        return {}

    async def _services(self) -> None:
        """Start what runs on top of the network (nothing here)."""

    async def _stop_services(self) -> None:
        """Stop what _services started."""

    async def start(self) -> None:
        """Build, start the simulation and the bridge; once every bridged mote answers pings, the services."""
        for app in sorted(set(self.apps.values())):
            await asyncio.to_thread(build_scenario_app, app)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        sim = self.scenario.sim
        try:
            motes = build_motes(sim, translate=self.scenario.translate)
        except ValueError as exc:  # e.g. a firmware that cannot be translated: names the mote
            raise UpError(str(exc)) from None
        self._provision(motes)
        m = sim.medium
        self.engine = Engine(motes, {s.mote_id: s.position for s in sim.motes}, m, seed=self.seed)
        self.recorder = Recorder()
        self.recorder.attach(self.engine)
        self.engine.add_line_listener(self._on_line)
        self._servers = attach_serial_servers(self.engine, {self.border_router: 0}, announce=lambda _: None)
        url = f"socket://127.0.0.1:{self._servers[0].port}"
        self._thread = threading.Thread(target=self._run, name="esse-sim", daemon=True)
        self._thread.start()
        span = max(self.apps)
        bases: list[int] = []
        while len(bases) < len(self.mote_ports):
            b = _free_base(1, span)
            if all(abs(b - o) > span for o in bases):
                bases.append(b)
        self.bases = dict(zip(self.mote_ports, bases, strict=True))
        services = await self._early_services()
        self.bridge = Bridge(
            url,
            parse_prefix(PREFIX),
            base_port=self.bases[self.mote_ports[0]],
            motes=self.bridged_motes,
            port_map=self.bases,
            services=services,
        )
        try:
            await self.bridge.start()
        except BridgeError as exc:
            raise UpError(f"bridge: {exc}") from None
        for mote in self.bridged_motes:
            await self.wait_for_mote(mote)
        await self._services()

    async def wait_for_mote(self, mote: int, timeout: float = 60.0) -> None:
        """Until the mote answers a ping at its global address (it has the prefix from the bridge's RA)."""
        assert self.bridge is not None
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            self.check()
            try:
                await self.bridge.ping(mote, timeout=0.5)
                return
            except BridgeError:
                await asyncio.sleep(0.1)
        raise UpError(f"mote {mote} never answered a ping through the border router")

    async def reboot(self, mote_id: int) -> None:
        """Power-cycle one emulated mote: the simulation pauses, the MCU takes a power-on reset (RAM is
        lost to crt0, the information flash stays), then the simulation resumes."""
        assert self.engine is not None and self._thread is not None
        mote = next((m for m in self.engine.motes if m.mote_id == mote_id), None)
        if mote is None or not hasattr(mote, "mote"):
            raise UpError(f"no emulated mote {mote_id}")
        self.engine.stop()
        await asyncio.to_thread(self._thread.join, 30)
        mote.mote.reset()
        self._thread = threading.Thread(target=self._run, name="esse-sim", daemon=True)
        self._thread.start()

    def mote_lines(self, mote_id: int) -> list[str]:
        """What one mote printed so far."""
        return [text for m, text in self.lines if m == mote_id]

    def _run(self) -> None:
        assert self.engine is not None
        try:
            self.engine.run(speed=self.speed)
        except BaseException as exc:  # noqa: BLE001 - reported in the caller's thread by check()
            self._error = exc

    def check(self) -> None:
        """Raise at once if the simulation thread died (e.g. an emulator fault)."""
        if self._error is not None:
            raise UpError(f"simulation failed: {self._error}")

    async def stop(self) -> None:
        """Stop the services, bridge and simulation; write the simulation outputs (radio.pcap, ...)."""
        await self._stop_services()
        if self.bridge is not None:
            await self.bridge.stop()
            self.bridge = None
        if self.engine is not None:
            self.engine.stop()
            if self._thread is not None:
                await asyncio.to_thread(self._thread.join, 30)
            for s in self._servers:
                s.close()
            self.files = self.recorder.write(
                self.out_dir,
                seed=self.seed,
                power=self.engine.power(),
                stats=self.engine.medium.stats,
                per_mote=self.engine.medium.per_mote,
                end_us=self.engine.now_us,
                reason="stopped",
                verdict=None,
            )

    async def __aenter__(self) -> Self:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


class BaselineSystem(NetworkSystem):
    """`async with BaselineSystem(data, out_dir) as system:` the network with full-handshake CCS motes
    (`app = "ccs-full-psk"` / `"ccs-full-ecc"`, harness/tinydtls/ccs_full_build.py) and no SSM: a client
    does the whole DTLS handshake with mote N at 127.0.0.1:`system.dtls_port(N)`."""

    mote_ports = (COAP_PORT, FULL_DTLS_PORT)

    def dtls_port(self, mote: int) -> int:
        """The loopback port standing for mote N's DTLS port."""
        return self.bases[FULL_DTLS_PORT] + mote


class EsseSystem(NetworkSystem):
    """`async with EsseSystem(data, out_dir) as system:` simulation, bridge and SSM until the block ends;
    `system.files` (radio.pcap, ...) exist afterwards."""

    mote_ports = (COAP_PORT, SSM_PORT, MGMT_PORT)

    def __init__(
        self, data: dict[str, Any], out_dir: Path, *, seed: int | None = None, speed: float = 1.0
    ) -> None:
        super().__init__(data, out_dir, seed=seed, speed=speed)
        self.ik = self._initial_keys(data)
        self.psk_dn = self.scenario.sim.esse_psk_dn()
        if not self.psk_dn and not self.ik:
            raise UpError("scenario: no mote has a psk_dn or ik, so no CCS can take part in ESSE")
        self.clients = self._clients(data.get("clients", {}))
        self.ssm_options = dict(data.get("ssm", {}))
        self.ecdsa = dict(data.get("ecdsa", {}))
        self.outbound_credentials = dict(data.get("outbound", {}))
        self.delegator: Delegator | None = None
        self.services: Any = None  # SsmServices (controller, AS, RD, host page) with bootstrapping motes
        self.energest: dict[int, Any] = {}  # mote id -> EnergestMonitor fed with its EG1 lines
        self.energy_lines: dict[int, str] = {}  # mote id -> the last interval's summary

    @staticmethod
    def _initial_keys(sim_data: dict[str, Any]) -> dict[int, bytes]:
        """{mote id: IK_d} of the [[motes]] entries with `ik` (one mote each, like psk_dn)."""
        out: dict[int, bytes] = {}
        mote = 0
        for i, m in enumerate(sim_data.get("motes", [])):
            raw = m.get("ik")
            mote += int(m.get("count", 1)) if raw is None else 1
            if raw is None:
                continue
            where = f"scenario: [[motes]] entry {i + 1}"
            if "count" in m or "psk_dn" in m:
                raise UpError(f"{where}: ik is one mote's initial key; no count, no psk_dn beside it")
            try:
                key = bytes.fromhex(str(raw))
            except ValueError:
                key = b""
            if len(key) != 16 or key == b"\xff" * 16:
                raise UpError(f"{where}: ik must be 16 bytes as 32 hex digits (not all ff), got {raw!r}")
            out[mote] = key
        return out

    def _clients(self, table: dict[str, Any]) -> list[Client]:
        out = []
        for name, c in table.items():
            mote = c.get("mote")
            if mote not in self.psk_dn and mote not in self.ik:
                raise UpError(f"scenario: [clients.{name}] mote = {mote!r} is not a mote with a psk_dn or ik")
            if "key_hex" in c:
                key = bytes.fromhex(str(c["key_hex"]))
            elif "key" in c:
                key = str(c["key"]).encode()
            else:
                raise UpError(f"scenario: [clients.{name}] needs key or key_hex")
            out.append(Client(str(c.get("identity", name)), key, int(mote)))
        if not out:
            raise UpError("scenario: no [clients.NAME] table, so no outside client could reach a mote")
        return out

    @property
    def ccs_motes(self) -> list[int]:
        """Ids of the motes that take part in ESSE (they have a PSK_DN, or IK_d to bootstrap one)."""
        return sorted({*self.psk_dn, *self.ik})

    @property
    def bridged_motes(self) -> list[int]:
        """The CCS motes."""
        return self.ccs_motes

    @property
    def coap_base(self) -> int:
        """Loopback base of the motes' plain CoAP port (mote N at base + N)."""
        return self.bases[COAP_PORT]

    @property
    def ssm_base(self) -> int:
        """Loopback base of the motes' SSM port."""
        return self.bases[SSM_PORT]

    @property
    def mgmt_base(self) -> int:
        """Loopback base of the motes' management port."""
        return self.bases[MGMT_PORT]

    def _provision(self, motes: list[Any]) -> None:
        """Bootstrapping motes: only their initial key in the information flash."""
        for sim_mote in motes:
            if sim_mote.mote_id in self.ik:
                provision_mote(sim_mote, Identity(node_id=sim_mote.mote_id, ik=self.ik[sim_mote.mote_id]))

    def _on_line(self, line: Any) -> None:
        super()._on_line(line)
        from harness.energy.energest import EnergestMonitor

        if line.text.startswith("EG"):
            monitor = self.energest.setdefault(line.mote_id, EnergestMonitor())
            interval = monitor.feed_line(line.text)
            if interval is not None:
                self.energy_lines[line.mote_id] = str(interval)

    def energy_of(self, ep: str) -> str | None:
        """The host page's energy hook: the last energest interval of CCS `ep` (moteN), or None."""
        return self.energy_lines.get(int(ep[4:])) if ep.startswith("mote") and ep[4:].isdigit() else None

    async def _early_services(self) -> dict[int, int]:
        """With bootstrapping motes, the SSM and its controller, AS, RD and host page before the bridge:
        motes bootstrap as soon as they have the prefix."""
        remove_table(self.out_dir / "relay.sqlite")  # its counter file too: the motes' counters restart
        if not self.ik:
            return {}
        self.delegator = Delegator(self.ssm_config(self.ssm_base))
        await self.delegator.start()
        await self._start_services(self.ssm_base)
        return {BOOT_PORT: self.services.controller_port, RD_PORT: self.services.rd_port}

    async def _start_services(self, ssm_base: int) -> None:
        """Controller + AS (every ik mote enrolled), RD and host page; motes reach the controller and
        the RD at fixed ports of the host address, which the bridge maps to the OS-chosen ones."""
        from harness.services.stack import BootstrapSetup, SsmServices

        assert self.delegator is not None
        setup = BootstrapSetup(
            id_c=CONTROLLER_ID,
            sk_cs=hashlib.sha256(b"esse up SK_cs %d" % self.seed).digest()[:16],
            db=self.out_dir / "as.sqlite",
            state=self.out_dir / "controller.sqlite",
            ccs_for=lambda d: (f"mote{d}", ("127.0.0.1", ssm_base + d)),
            devices=dict(self.ik),
        )
        for name in ("as.sqlite", "controller.sqlite"):
            (self.out_dir / name).unlink(missing_ok=True)
        self.services = SsmServices(self.delegator, bootstrap=setup, energy=self.energy_of)
        await self.services.__aenter__()

    async def _services(self) -> None:
        """The SSM delegator (unless bootstrapping started it), every CCS mote at its bridge port."""
        if self.delegator is None:
            self.delegator = Delegator(self.ssm_config(self.ssm_base))
            await self.delegator.start()

    async def _stop_services(self) -> None:
        """Stop the services and the delegator."""
        if self.services is not None:
            await self.services.__aexit__(None, None, None)
            self.services = None
        if self.delegator is not None:
            await self.delegator.stop()
            self.delegator = None

    def ssm_config(self, ssm_base: int) -> SsmConfig:
        """The delegator's configuration: every CCS mote at its bridge port."""
        ssm = {
            "listen": ["127.0.0.1:0", "[::1]:0"],
            "ccs_listen": "127.0.0.1:0",
            "ack_timeout": 1.0,
            "ack_retries": 4,
            **self.ssm_options,
            "db": str(self.out_dir / "relay.sqlite"),
        }
        data = {
            "ssm": ssm,
            "ccs": {
                f"mote{n}": {"address": f"127.0.0.1:{ssm_base + n}", "psk_dn": key.hex()}
                for n, key in self.psk_dn.items()
            },
            "clients": {
                c.identity: {"key_hex": c.key.hex(), "ccs": f"mote{c.mote}"}
                for c in self.clients
                if c.mote in self.psk_dn
            },
        }
        if self.outbound_credentials:  # credentials for sessions the motes ask for (paper 5.2)
            data["outbound"] = self.outbound_credentials
        if self.ecdsa:  # raw public keys: [ecdsa] as in the SSM config, clients name their mote
            clients = [
                {"public_x": c["public_x"], "public_y": c["public_y"], "ccs": f"mote{c['mote']}"}
                for c in self.ecdsa.get("clients", [])
            ]
            data["ecdsa"] = {**self.ecdsa, "clients": clients}
        try:
            cfg = from_dict(data)
        except (ConfigError, KeyError, ValueError) as exc:
            raise UpError(f"scenario [ssm]/[clients]: {exc}") from None
        for c in self.clients:  # clients of bootstrapping motes: routed once their CCS is installed
            if c.mote in self.ik:
                cfg.clients[c.identity.encode()] = ClientEntry(c.identity.encode(), c.key, f"mote{c.mote}")
        return cfg

    # -- lifecycle

    async def outbound(
        self,
        mote: int,
        host: str,
        port: int,
        identity: bytes,
        path: str,
        method: str = "PUT",
        ssm: Any = None,
    ) -> None:
        """Ask a CCS mote (management port) to have its SSM (default: ours) handshake with host:port as
        `identity`, then send `method` `path` there (PUT: its temperature); see ccs_secure.h."""
        import ipaddress

        assert self.bridge is not None
        server = ipaddress.ip_address(host).packed
        delegator = ssm or self.delegator
        assert delegator is not None
        ssm_port = int(delegator.ccs_address[1])
        methods = {"GET": 1, "PUT": 3}
        if method not in methods:
            raise UpError(f"outbound method {method!r}: GET or PUT")
        req = (
            self.bridge.host_address.packed
            + ssm_port.to_bytes(2, "big")
            + bytes([len(server)])
            + server
            + port.to_bytes(2, "big")
            + bytes([len(identity)])
            + identity
            + bytes([methods[method]])
            + path.encode()
        )
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[bytes] = loop.create_future()

        class Proto(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: Any) -> None:
                if not answer.done():
                    answer.set_result(data)

        transport, _ = await loop.create_datagram_endpoint(Proto, local_addr=("127.0.0.1", 0))
        try:
            for _ in range(5):  # plain UDP over the LLN: ask again when the answer got lost
                transport.sendto(req, ("127.0.0.1", self.mgmt_base + mote))
                try:
                    status = await asyncio.wait_for(asyncio.shield(answer), 2.0)
                    break
                except TimeoutError:
                    continue
            else:
                raise UpError(f"mote {mote} did not answer the outbound request")
        finally:
            transport.close()
        if status != b"\x00":
            raise UpError(f"mote {mote} refused the outbound request (status {status.hex()})")

    # -- what to tell the user

    def client_port(self, family: int = 4) -> int:
        """The SSM's DTLS port for outside clients."""
        assert self.delegator is not None
        return self.delegator.client_port(family)

    def usage(self) -> list[str]:
        """One line per client: the command that reaches its mote through the SSM."""
        port = self.client_port(4)
        return [
            f"mote {c.mote}: coap-client-openssl -u {c.identity} -k {c.key.decode(errors='replace')} "
            f"coaps://127.0.0.1:{port}/sensors/temperature"
            for c in self.clients
        ]


# -- `esse up`


async def _serve(
    path: Path, out_dir: Path, seed: int | None, port: int, stop: asyncio.Event, translate: bool | None
) -> None:
    data = load_system(path)
    data.setdefault("ssm", {})["listen"] = [f"127.0.0.1:{port}", f"[::1]:{port}"]
    if translate is not None:  # --translate / --no-translate: over the scenario's `translate`
        data["translate"] = translate
    async with EsseSystem(data, out_dir, seed=seed) as system:
        assert system.delegator is not None
        print(f"esse up: ready: CCS motes {system.ccs_motes} behind the SSM", flush=True)
        print(f"  DTLS (coaps) on 127.0.0.1:{system.client_port(4)} and [::1]:{system.client_port(6)}")
        for mote in system.ccs_motes:
            print(f"  plain CoAP baseline of mote {mote}: coap://127.0.0.1:{system.coap_base + mote}/")
        for line in system.usage():
            print(f"  {line}")
        print("Ctrl-C stops everything", flush=True)
        waiter = asyncio.ensure_future(stop.wait())
        while not waiter.done():
            await asyncio.wait([waiter], timeout=0.5)
            system.check()
    print(f"esse up: stopped; simulation outputs in {out_dir}", flush=True)


def up_command(
    scenario: str, out: str | None, seed: int | None, port: int = 0, translate: bool | None = None
) -> int:
    """Run the system until Ctrl-C/SIGTERM; a clear message and exit 1 when it cannot come up."""
    path = Path(scenario)
    out_dir = Path(out) if out else Path("build") / "up" / path.stem

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await _serve(path, out_dir, seed, port, stop, translate)

    try:
        asyncio.run(main())
    except UpError as exc:
        print(f"esse up: {exc}", file=sys.stderr)
        return 1
    return 0


def add_cli(sub: Any) -> None:
    """Register `esse up SCENARIO`."""
    p = sub.add_parser("up", help="bring up simulation + bridge + SSM from one scenario, print coaps:// URLs")
    p.add_argument("scenario", help="scenario TOML with psk_dn per CCS mote and [clients.NAME] tables")
    p.add_argument("--out", help="output folder (default build/up/<scenario>)")
    p.add_argument("--seed", type=int, help="simulation seed (default: the scenario's)")
    p.add_argument("--port", type=int, default=0, help="SSM DTLS port, e.g. 5684 (default: one the OS picks)")
    add_translate_option(p)
    p.set_defaults(func=lambda a: up_command(a.scenario, a.out, a.seed, a.port, a.translate))


# -- the DTLS part of `esse demo`

DEMO_SCENARIO_NAME = "esse_demo.toml"


async def _tool(*argv: str, stdin: bytes | None = None, timeout: float = 30.0) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(stdin), timeout)
    except TimeoutError:
        proc.kill()
        out, err = await proc.communicate()
    return proc.returncode or 0, (out + err).decode(errors="replace")


async def _s_client(port: int, identity: str, key: bytes, line: bytes) -> str:
    """openssl s_client (PSK-AES128-CCM8): send one line, return the line that comes back."""
    proc = await asyncio.create_subprocess_exec(
        "openssl", "s_client", "-dtls1_2", "-connect", f"127.0.0.1:{port}", "-psk", key.hex(),
        "-psk_identity", identity, "-cipher", "PSK-AES128-CCM8", "-quiet",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    try:
        await asyncio.sleep(1.0)  # handshake with the SSM, hand-off to the mote
        proc.stdin.write(line)
        await proc.stdin.drain()
        return (await asyncio.wait_for(proc.stdout.readline(), 20)).decode(errors="replace")
    finally:
        proc.kill()
        await proc.wait()


async def demo_dtls(out_dir: Path, scenario: Path) -> list[str]:
    """Bring the ESSE demo up and reach each CCS mote over DTLS through the SSM with libcoap and
    openssl s_client; returns the printed answer lines (UpError when one is missing)."""
    import shutil

    for tool in ("coap-client-openssl", "openssl"):
        if shutil.which(tool) is None:
            raise UpError(f"{tool} missing: apt-get install libcoap3-bin openssl")
    answers = []
    async with EsseSystem(load_system(scenario), out_dir) as system:
        port = system.client_port(4)
        for c in system.clients:
            url = f"coaps://127.0.0.1:{port}/sensors/temperature"
            t0 = time.monotonic()
            argv = ["coap-client-openssl", "-B", "20", "-u", c.identity, "-k", c.key.decode(), url]
            rc, out = await _tool(*argv)
            if rc != 0 or not out.strip().endswith(" C"):
                raise UpError(f"coaps GET of mote {c.mote} as {c.identity} failed: {out.strip()}")
            answers.append(
                f"coaps GET {url} as {c.identity} -> mote {c.mote}: '{out.strip()}' "
                f"(coap-client-openssl, PSK, {time.monotonic() - t0:.2f} s with the handshake)"
            )
            print(answers[-1], flush=True)
        c = system.clients[0]
        echo = await _s_client(port, c.identity, c.key, b"hello mote\n")
        if echo != "hello mote\n":
            raise UpError(f"openssl s_client got {echo!r} back instead of the echo")
        answers.append(
            f"openssl s_client -dtls1_2 PSK-AES128-CCM8 as {c.identity}: "
            f"echoed 'hello mote' from mote {c.mote}"
        )
        print(answers[-1], flush=True)
        assert system.delegator is not None
        answers.append(
            f"SSM: {system.delegator.stats['handoffs']} hand-offs, {system.delegator.stats['acks']} acked"
        )
        print(answers[-1], flush=True)
    return answers
