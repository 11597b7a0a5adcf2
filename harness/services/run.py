"""`esse ssm run` with services: the delegator plus, when ssm.toml asks, the RD and the host page."""

from __future__ import annotations

import asyncio
import contextlib
import tomllib
from pathlib import Path

from harness.services.config import ServicesConfig, services_from_dict
from harness.services.rd import ResourceDirectory, delegation_attrs
from harness.services.web import HostServer
from harness.ssm.config import ConfigError, SsmConfig
from harness.ssm.delegator import Delegator

#: what the delegator offers when ssm.toml names no cipher_suites (its default list)
DEFAULT_SUITES = ("PSK_AES_128_CCM_8", "PSK_AES_128_CCM", "ECDHE_ECDSA_AES_128_CCM_8")


def load_services(path: Path) -> ServicesConfig:
    """The [rd]/[http] keys of the ssm.toml at path; ConfigError naming the file and key."""
    try:
        return services_from_dict(tomllib.loads(path.read_text()))
    except (OSError, tomllib.TOMLDecodeError, ConfigError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def uri(scheme: str, host: str, port: int) -> str:
    """scheme://HOST:PORT with an IPv6 literal in brackets."""
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


async def run_forever(cfg: SsmConfig, services: ServicesConfig) -> None:
    """The delegator, the RD if [rd] listen is set, the host page if [http] listen is set."""
    async with contextlib.AsyncExitStack() as stack:
        d = await stack.enter_async_context(Delegator(cfg))
        print(f"esse ssm: DTLS on {d.client_addresses}, CCS side on {d.ccs_address}", flush=True)
        if services.rd_listen is not None:
            # a wildcard listen address is no address for clients: set rd.ssm_base then
            ssm = services.rd_ssm_base or uri("coaps", *d.client_addresses[0][:2])
            attrs = delegation_attrs(ssm, cfg.cipher_suites or DEFAULT_SUITES, lambda ep: ep in cfg.ccs)
            rd = await stack.enter_async_context(
                ResourceDirectory(services.rd_listen, delegated=attrs, grace=services.rd_grace))
            print(f"esse ssm: resource directory on {uri('coap', services.rd_listen[0], rd.port)}/rd",
                  flush=True)
            if services.http_listen is not None:
                host = HostServer(rd.common, cfg.clients)
                port = await host.start(*services.http_listen)
                stack.push_async_callback(host.stop)
                print(f"esse ssm: host page on {uri('http', services.http_listen[0], port)}/", flush=True)
        await asyncio.Event().wait()
