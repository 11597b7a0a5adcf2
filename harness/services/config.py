"""The `[rd]` and `[http]` keys of ssm.toml, parsed apart from the delegator's schema (the lead merges
them into harness/ssm/config.py's schema): `[rd] listen = "HOST:PORT"`, `[rd] grace = SECONDS`,
`[rd] ssm_base = "coaps://NAME:PORT"` (what the `ssm` attribute says; default: the delegator's first
listen address), `[http] listen = "HOST:PORT"`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.ssm.config import ConfigError
from harness.udp import parse_hostport

#: every key this module reads, for the schema merge
KEYS = ("rd.listen", "rd.grace", "rd.ssm_base", "http.listen")


@dataclass
class ServicesConfig:
    """Where the RD and the host page listen; None = not started."""

    rd_listen: tuple[str, int] | None = None
    rd_grace: float = 15.0
    rd_ssm_base: str | None = None
    http_listen: tuple[str, int] | None = None


def _hostport(table: dict[str, Any], section: str) -> tuple[str, int] | None:
    if "listen" not in table:
        return None
    value = table["listen"]
    try:
        return parse_hostport(str(value))
    except ValueError as exc:
        raise ConfigError(f"{section}.listen: {value!r} is not HOST:PORT ({exc})") from None


def services_from_dict(data: dict[str, Any]) -> ServicesConfig:
    """Read [rd] and [http] from a parsed ssm.toml; ConfigError naming the key on a bad value."""
    out = ServicesConfig()
    for section in ("rd", "http"):
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise ConfigError(f"{section}: must be a table")
        unknown = sorted(set(table) - {k.split(".")[1] for k in KEYS if k.startswith(section + ".")})
        if unknown:
            raise ConfigError(f"{section}.{unknown[0]}: unknown key")
    out.rd_listen = _hostport(data.get("rd", {}), "rd")
    out.http_listen = _hostport(data.get("http", {}), "http")
    if "grace" in data.get("rd", {}):
        grace = data["rd"]["grace"]
        if not isinstance(grace, (int, float)) or isinstance(grace, bool) or grace < 0:
            raise ConfigError(f"rd.grace: {grace!r} must be a number of seconds >= 0")
        out.rd_grace = float(grace)
    if "ssm_base" in data.get("rd", {}):
        base = data["rd"]["ssm_base"]
        if not isinstance(base, str) or not base.startswith("coaps://") or len(base) <= len("coaps://"):
            raise ConfigError(f"rd.ssm_base: {base!r} must be a coaps://HOST[:PORT] URI")
        out.rd_ssm_base = base.rstrip("/")
    if out.http_listen is not None and out.rd_listen is None:
        raise ConfigError("http.listen: the host page lists the resource directory; set [rd] listen too")
    return out
