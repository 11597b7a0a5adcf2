"""The ssm.toml sections of the SSM's services, as a pydantic schema in the style of harness/ssm/config.py
(every bad value reported with its key path, one line):

    [rd]      listen = "HOST:PORT", grace = SECONDS, ssm_base = "coaps://NAME:PORT"
    [http]    listen = "HOST:PORT"                       (needs [rd] listen)
    [bootstrap.controller], [bootstrap.server]           (schema: harness/bootstrap/config.py)
    [bootstrap.ccs.NAME]  device = ID_d, address = "HOST:PORT" (where the SSM reaches that CCS once it
                          has bootstrapped), ik = "32 hex" (optional: enrolled in the AS at start)

`esse ssm run` starts the controller (and the AS when [bootstrap.server] is there) when
[bootstrap.controller] is present; `[bootstrap.ccs]` maps a bootstrapped device to its `[ccs]` name."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from harness.bootstrap.config import (
    ControllerConfig,
    ControllerSection,
    ServerConfig,
    ServerSection,
    controller_config,
    server_config,
)
from harness.configfile import describe_errors
from harness.ssm.config import ConfigError
from harness.udp import check_hostport, parse_hostport

#: every key this module reads
KEYS = ("rd.listen", "rd.grace", "rd.ssm_base", "http.listen", "bootstrap.ccs.NAME.device",
        "bootstrap.ccs.NAME.address", "bootstrap.ccs.NAME.ik")

_STRICT = ConfigDict(extra="forbid", strict=True)


def _hostport(value: str, *, port_zero: bool = True) -> str:
    return check_hostport(value, port_zero=port_zero)


class _RdSection(BaseModel):
    model_config = _STRICT
    listen: str | None = None
    grace: float = Field(default=15.0, ge=0, le=86400 * 365, strict=False)
    ssm_base: str | None = None

    @field_validator("listen")
    @classmethod
    def _listen(cls, v: str | None) -> str | None:
        return None if v is None else _hostport(v)

    @field_validator("ssm_base")
    @classmethod
    def _base(cls, v: str | None) -> str | None:
        if v is not None and (not v.startswith("coaps://") or len(v) <= len("coaps://")):
            raise ValueError(f"{v!r} must be a coaps://HOST[:PORT] URI")
        return v


class _HttpSection(BaseModel):
    model_config = _STRICT
    listen: str

    @field_validator("listen")
    @classmethod
    def _listen(cls, v: str) -> str:
        return _hostport(v)


class _BootCcs(BaseModel):
    model_config = _STRICT
    device: int = Field(ge=0, le=0xFFFF)
    address: str
    ik: str | None = None

    @field_validator("address")
    @classmethod
    def _address(cls, v: str) -> str:
        return _hostport(v, port_zero=False)

    @field_validator("ik")
    @classmethod
    def _ik(cls, v: str | None) -> str | None:
        if v is None:
            return v
        try:
            raw = bytes.fromhex(v)
        except ValueError:
            raise ValueError(f"not hex: {v!r}") from None
        if len(raw) != 16:
            raise ValueError(f"want 16 bytes of hex (32 digits), got {len(raw)} bytes")
        return v


class _BootstrapSection(BaseModel):
    model_config = _STRICT
    controller: ControllerSection | None = None  # harness/bootstrap/config.py's schema
    server: ServerSection | None = None
    ccs: dict[str, _BootCcs] = {}

    @model_validator(mode="after")
    def _distinct(self) -> _BootstrapSection:
        seen: dict[int, str] = {}
        for name, c in self.ccs.items():
            if c.device in seen:
                raise ValueError(f"ccs.{name}.device {c.device} is also ccs.{seen[c.device]}.device")
            seen[c.device] = name
        return self


class ServicesFile(BaseModel):
    """The tables of ssm.toml this module checks (the delegator's own are harness/ssm/config.py's)."""

    model_config = ConfigDict(extra="ignore", strict=True)
    rd: _RdSection = _RdSection()
    http: _HttpSection | None = None
    bootstrap: _BootstrapSection | None = None


@dataclass
class BootCcs:
    """A device that bootstraps: its ID_d, the [ccs] name and address it gets, its IK_d if enrolled here."""

    name: str
    device: int
    address: tuple[str, int]
    ik: bytes | None = None


@dataclass
class ServicesConfig:
    """Where the RD and the host page listen (None = not started), and the bootstrapping daemons."""

    rd_listen: tuple[str, int] | None = None
    rd_grace: float = 15.0
    rd_ssm_base: str | None = None
    http_listen: tuple[str, int] | None = None
    controller: ControllerConfig | None = None
    server: ServerConfig | None = None
    boot_ccs: dict[int, BootCcs] = field(default_factory=dict)  # by device id


def services_from_dict(data: dict[str, Any], base: Path = Path(".")) -> ServicesConfig:
    """Read [rd], [http] and [bootstrap] from a parsed ssm.toml; ConfigError naming the key."""
    try:
        f = ServicesFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_errors(exc)) from None
    out = ServicesConfig(rd_grace=f.rd.grace)
    out.rd_listen = parse_hostport(f.rd.listen) if f.rd.listen is not None else None
    out.rd_ssm_base = f.rd.ssm_base.rstrip("/") if f.rd.ssm_base else None
    if f.http is not None:
        if out.rd_listen is None:
            raise ConfigError("http.listen: the host page lists the resource directory; set [rd] listen too")
        out.http_listen = parse_hostport(f.http.listen)
    b = f.bootstrap
    if b is None:
        return out
    out.controller = controller_config(b.controller, base) if b.controller is not None else None
    out.server = server_config(b.server, base) if b.server is not None else None
    if (b.ccs or b.server is not None) and out.controller is None:
        raise ConfigError("bootstrap: [bootstrap.ccs] and [bootstrap.server] need [bootstrap.controller]")
    for name, c in b.ccs.items():
        out.boot_ccs[c.device] = BootCcs(name, c.device, parse_hostport(c.address),
                                         bytes.fromhex(c.ik) if c.ik else None)
        if c.ik and out.server is None:
            raise ConfigError(f"bootstrap.ccs.{name}.ik: enrolling needs the AS here ([bootstrap.server])")
    return out
