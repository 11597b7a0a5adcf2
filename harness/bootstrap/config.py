"""The `[bootstrap.*]` sections of ssm.toml (issue 13 item 5): the controller and the AS, every bad value
reported with its key.

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
from typing import Any

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


def hostport(value: Any, key: str) -> tuple[str, int]:
    """'host:port', '[v6]:port' -> (host, port); port 0 asks the OS for a free one."""
    text = str(value).strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port = text.rpartition(":")
        if ":" in host:  # a bare IPv6 address needs brackets to carry a port
            host, port = "", ""
    if not host or not port.isdigit() or int(port) > 65535:
        raise BootstrapConfigError(f"{key} must be HOST:PORT or [IPv6]:PORT, got {text!r}")
    return host, int(port)


def key16(value: Any, key: str) -> bytes:
    """A 16-byte key given as 32 hex digits."""
    try:
        raw = bytes.fromhex(str(value))
    except ValueError:
        raise BootstrapConfigError(f"{key} must be hex, got {value!r}") from None
    if len(raw) != 16:
        raise BootstrapConfigError(f"{key} must be 16 bytes (32 hex digits), got {len(raw)} bytes")
    return raw


def node_id(value: Any, key: str) -> int:
    """An ID_c / ID_d: integer 0..65535."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 0xFFFF:
        raise BootstrapConfigError(f"{key} must be an integer 0..65535, got {value!r}")
    return value


def _seconds(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise BootstrapConfigError(f"{key} must be a positive number of seconds, got {value!r}")
    return float(value)


def _path(value: Any, key: str, base: Path) -> Path:
    if not isinstance(value, str) or not value:
        raise BootstrapConfigError(f"{key} must be a file name, got {value!r}")
    p = Path(value)
    return p if p.is_absolute() else base / p


def _table(data: dict[str, Any], name: str, allowed: set[str]) -> dict[str, Any]:
    table = data.get("bootstrap", {}).get(name)
    if not isinstance(table, dict):
        raise BootstrapConfigError(f"no [bootstrap.{name}] section")
    for k in table:
        if k not in allowed:
            raise BootstrapConfigError(
                f"bootstrap.{name}.{k}: unknown key (known: {', '.join(sorted(allowed))})"
            )
    return table


def _need(table: dict[str, Any], section: str, key: str) -> Any:
    if key not in table:
        raise BootstrapConfigError(f"bootstrap.{section}.{key} is missing")
    return table[key]


def controller_from_dict(data: dict[str, Any], base: Path = Path(".")) -> ControllerConfig:
    """[bootstrap.controller] of a parsed TOML document."""
    allowed = {"id", "sk_cs", "server", "listen", "state", "timeout", "keys_out"}
    t = _table(data, "controller", allowed)
    k = "bootstrap.controller."
    cfg = ControllerConfig(
        node_id(_need(t, "controller", "id"), k + "id"),
        key16(_need(t, "controller", "sk_cs"), k + "sk_cs"),
        hostport(_need(t, "controller", "server"), k + "server"),
    )
    if "listen" in t:
        cfg.listen = hostport(t["listen"], k + "listen")
    if "state" in t:
        cfg.state = str(_path(t["state"], k + "state", base))
    if "timeout" in t:
        cfg.timeout = _seconds(t["timeout"], k + "timeout")
    if "keys_out" in t:
        cfg.keys_out = _path(t["keys_out"], k + "keys_out", base)
    return cfg


def server_from_dict(data: dict[str, Any], base: Path = Path(".")) -> ServerConfig:
    """[bootstrap.server] of a parsed TOML document."""
    t = _table(data, "server", {"db", "listen", "window"})
    k = "bootstrap.server."
    cfg = ServerConfig(_path(_need(t, "server", "db"), k + "db", base))
    if "listen" in t:
        cfg.listen = hostport(t["listen"], k + "listen")
    if "window" in t:
        cfg.window = _seconds(t["window"], k + "window")
    return cfg


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; BootstrapConfigError for a missing or malformed file."""
    try:
        return tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise BootstrapConfigError(f"{path}: no such config file") from None
    except tomllib.TOMLDecodeError as exc:
        raise BootstrapConfigError(f"{path}: {exc}") from None
