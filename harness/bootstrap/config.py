"""The `[bootstrap.*]` sections of ssm.toml (issue 13 item 5): the controller and the AS, a pydantic schema
like the rest of ssm.toml (harness/ssm/config.py, harness/services/config.py), every bad value reported
with its key path.

[bootstrap.controller]
id = 1                                       # ID_c, 0..65535
sk_cs = "000102030405060708090a0b0c0d0e0f"   # key shared with the AS, 16 bytes hex
server = "127.0.0.1:5690"                    # the AS
listen = "[::]:5691"                         # where devices send BOOT_REQUEST (their preconfigured C)
state = "controller.sqlite"                  # last TID, kept across restarts
timeout = 10.0                               # seconds a transaction waits for the AS / the confirmation
keys_out = "ccs_keys.json"                   # the CCS table: device id -> PSK_DN (optional)

[bootstrap.server]
db = "as.sqlite"                             # the AS repository
listen = "127.0.0.1:5690"
window = 30.0                                # accepted |AS clock - TS|, seconds
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from harness.configfile import describe_errors
from harness.udp import check_hostport, parse_hostport

from .controller import DEFAULT_AS_TIMEOUT
from .server import DEFAULT_WINDOW


class BootstrapConfigError(ValueError):
    """A bootstrap config value that cannot be used; the message names its key."""


@dataclass
class ControllerConfig:
    """What `esse bootstrap controller` runs with."""

    id: int
    sk_cs: bytes
    server: tuple[str, int]
    listen: tuple[str, int] = ("127.0.0.1", 5691)
    state: str = ":memory:"
    timeout: float = DEFAULT_AS_TIMEOUT
    keys_out: Path | None = None


@dataclass
class ServerConfig:
    """What `esse bootstrap as` runs with."""

    db: Path
    listen: tuple[str, int] = ("127.0.0.1", 5690)
    window: float = DEFAULT_WINDOW


_STRICT = ConfigDict(extra="forbid", strict=True)


def _key16(value: str) -> str:
    """`value` if it is a 16-byte key as 32 hex digits, else ValueError saying what is wrong."""
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise ValueError("not hex") from None
    if len(raw) != 16:
        raise ValueError(f"want 16 bytes (32 hex digits), got {len(raw)} bytes")
    return value


def _file_name(value: str) -> str:
    if not value:
        raise ValueError("want a file name")
    return value


def _seconds(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("want a positive number of seconds")
    return float(value)


# the value types of the sections: each check written once
_HostPort = Annotated[str, AfterValidator(check_hostport)]
_FileName = Annotated[str, AfterValidator(_file_name)]
_Key16 = Annotated[str, AfterValidator(_key16)]
_Seconds = Annotated[float, BeforeValidator(_seconds), Field(gt=0, le=86400 * 365, allow_inf_nan=False)]


class ControllerSection(BaseModel):
    """[bootstrap.controller] as written in the file."""

    model_config = _STRICT
    id: int = Field(ge=0, le=0xFFFF)
    sk_cs: _Key16
    server: _HostPort
    listen: _HostPort = "127.0.0.1:5691"
    state: _FileName | None = None
    timeout: _Seconds = DEFAULT_AS_TIMEOUT
    keys_out: _FileName | None = None


class ServerSection(BaseModel):
    """[bootstrap.server] as written in the file."""

    model_config = _STRICT
    db: _FileName
    listen: _HostPort = "127.0.0.1:5690"
    window: _Seconds = DEFAULT_WINDOW


class _Bootstrap(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)
    controller: ControllerSection | None = None
    server: ServerSection | None = None


class _File(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)
    bootstrap: _Bootstrap = _Bootstrap()


def _under(base: Path, name: str) -> Path:
    p = Path(name)
    return p if p.is_absolute() else base / p


def controller_config(section: ControllerSection, base: Path = Path(".")) -> ControllerConfig:
    """What the controller runs with, from its checked section (file names relative to `base`)."""
    return ControllerConfig(
        section.id, bytes.fromhex(section.sk_cs), parse_hostport(section.server),
        parse_hostport(section.listen),
        str(_under(base, section.state)) if section.state is not None else ":memory:",
        section.timeout, _under(base, section.keys_out) if section.keys_out is not None else None,
    )


def server_config(section: ServerSection, base: Path = Path(".")) -> ServerConfig:
    """What the AS runs with, from its checked section."""
    return ServerConfig(_under(base, section.db), parse_hostport(section.listen), section.window)


def _sections(data: dict[str, Any]) -> _Bootstrap:
    try:
        return _File.model_validate(data).bootstrap
    except ValidationError as exc:
        raise BootstrapConfigError(describe_errors(exc)) from None


def controller_from_dict(data: dict[str, Any], base: Path = Path(".")) -> ControllerConfig:
    """[bootstrap.controller] of a parsed TOML document."""
    section = _sections(data).controller
    if section is None:
        raise BootstrapConfigError("no [bootstrap.controller] section")
    return controller_config(section, base)


def server_from_dict(data: dict[str, Any], base: Path = Path(".")) -> ServerConfig:
    """[bootstrap.server] of a parsed TOML document."""
    section = _sections(data).server
    if section is None:
        raise BootstrapConfigError("no [bootstrap.server] section")
    return server_config(section, base)


# command-line values (`esse bootstrap ...`): the same checks, the error naming the option


def hostport(value: Any, key: str) -> tuple[str, int]:
    """'host:port' or '[v6]:port' given as option `key` -> (host, port); port 0 asks for a free one."""
    try:
        return parse_hostport(check_hostport(str(value)))
    except ValueError:
        raise BootstrapConfigError(f"{key} must be HOST:PORT or [IPv6]:PORT, got {value!r}") from None


def key16(value: Any, key: str) -> bytes:
    """A 16-byte key given as 32 hex digits in option `key`."""
    try:
        raw = bytes.fromhex(str(value))
    except ValueError:
        raise BootstrapConfigError(f"{key} must be hex, got {value!r}") from None
    if len(raw) != 16:
        raise BootstrapConfigError(f"{key} must be 16 bytes (32 hex digits), got {len(raw)} bytes")
    return raw


def node_id(value: Any, key: str) -> int:
    """An ID_c / ID_d given in option `key`: integer 0..65535."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 0xFFFF:
        raise BootstrapConfigError(f"{key} must be an integer 0..65535, got {value!r}")
    return value


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; BootstrapConfigError for a missing or malformed file."""
    try:
        return tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise BootstrapConfigError(f"{path}: no such config file") from None
    except tomllib.TOMLDecodeError as exc:
        raise BootstrapConfigError(f"{path}: {exc}") from None
