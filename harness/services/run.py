"""`esse ssm run` with services: the delegator plus, when ssm.toml asks, the bootstrapping controller
(and AS), the RD and the host page, wired as in `SsmServices` (harness/services/stack.py)."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from harness.bootstrap.config import read_toml
from harness.services.config import ServicesConfig, services_from_dict
from harness.services.stack import BootstrapSetup, SsmServices
from harness.ssm.config import ConfigError, SsmConfig
from harness.ssm.delegator import Delegator
from harness.ssm.shards import ShardGroup
from harness.udp import Address, resolve


def load_services(path: Path) -> ServicesConfig:
    """The [rd]/[http]/[bootstrap] keys of the ssm.toml at path; ConfigError naming the file and key."""
    try:
        return services_from_dict(read_toml(path), base=path.parent)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def uri(scheme: str, host: str, port: int) -> str:
    """scheme://HOST:PORT with an IPv6 literal in brackets."""
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


def bootstrap_setup(services: ServicesConfig) -> BootstrapSetup | None:
    """Controller (+ AS) of [bootstrap.*]; None without [bootstrap.controller]."""
    ctl, srv = services.controller, services.server
    if ctl is None:
        return None
    addresses: dict[int, tuple[str, Address]] = {
        d: (c.name, resolve(*c.address)) for d, c in services.boot_ccs.items()
    }
    keys_out = ctl.keys_out

    def on_install(device: int, psk: bytes) -> None:
        if keys_out is not None:
            from harness.bootstrap.cli import write_ccs_table

            write_ccs_table(keys_out, device, psk)

    return BootstrapSetup(
        id_c=ctl.id, sk_cs=ctl.sk_cs, db=srv.db if srv is not None else None, state=Path(ctl.state),
        ccs_for=addresses.__getitem__,
        devices={d: c.ik for d, c in services.boot_ccs.items() if c.ik is not None},
        listen=ctl.listen, as_listen=srv.listen if srv is not None else None,
        as_addr=None if srv is not None else resolve(*ctl.server), timeout=ctl.timeout,
        window=srv.window if srv is not None else 30.0, on_install=on_install,
    )


async def run_forever(cfg: SsmConfig, services: ServicesConfig) -> None:
    """The delegator; the controller/AS with [bootstrap.controller]; the RD with [rd] listen; the host
    page with [http] listen."""
    async with contextlib.AsyncExitStack() as stack:
        if cfg.processes > 1:  # several event loops on the same ports (harness/ssm/shards.py)
            group = await stack.enter_async_context(ShardGroup(cfg))
            assert group.delegator is not None
            d = group.delegator
        else:
            d = await stack.enter_async_context(Delegator(cfg))
        print(f"esse ssm: DTLS on {d.client_addresses}, CCS side on {d.ccs_address}", flush=True)
        setup = bootstrap_setup(services)
        if services.rd_listen is not None or setup is not None:
            s = await stack.enter_async_context(SsmServices(
                d, bootstrap=setup, http=services.http_listen is not None,
                host=(services.rd_listen or ("127.0.0.1", 0))[0], rd_listen=services.rd_listen,
                rd_grace=services.rd_grace, ssm_base=services.rd_ssm_base, http_listen=services.http_listen))
            if s.controller is not None and setup is not None:
                host = (setup.listen or ("127.0.0.1", 0))[0]
                where = "with its AS" if s.auth is not None else "AS elsewhere"
                print(f"esse ssm: bootstrapping controller on {uri('udp', host, s.controller_port)}"
                      f" ({where})",
                      flush=True)
            if services.rd_listen is not None:
                print(f"esse ssm: resource directory on {uri('coap', services.rd_listen[0], s.rd_port)}/rd",
                      flush=True)
            if s.web is not None and services.http_listen is not None:
                page = uri("http", services.http_listen[0], s.web.port)
                print(f"esse ssm: host page on {page}/", flush=True)
        await asyncio.Event().wait()
