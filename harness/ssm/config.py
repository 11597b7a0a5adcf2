"""Delegator configuration (TOML). Example: docs/protocol.md, "Configuration".

[ssm]
listen = ["127.0.0.1:5684", "[::1]:5684"]   # DTLS endpoints for outside clients
ccs_listen = "127.0.0.1:0"                   # socket towards the CCSs
db = "build/ssm/relay.sqlite"                # relay reference table
handshake_timeout = 10.0                     # seconds a half-open handshake may live
max_handshakes = 256                         # half-open handshakes kept (oldest evicted)
ack_timeout = 0.5                            # key-material retransmission interval
ack_retries = 3
idle_timeout = 3600.0                        # relay sessions unused this long are freed
cipher_suites = ["PSK_AES_128_CCM_8", "PSK_AES_128_CCM", "ECDHE_ECDSA_AES_128_CCM_8"]

[ccs.sensor1]
address = "127.0.0.1:61617"
psk_dn = "00112233445566778899aabbccddeeff"  # hex, 16 bytes

[clients.alice]                             # a PSK identity outside clients use
key = "secretPSK"                            # text, or key_hex = "..."
ccs = "sensor1"

[ecdsa]                                      # our raw public key (ECDHE-ECDSA)
private = "hex32"
public_x = "hex32"
public_y = "hex32"
[[ecdsa.clients]]                            # accepted client keys and their CCS
public_x = "hex32"
public_y = "hex32"
ccs = "sensor1"

[outbound.web1]                              # credentials for CCS-initiated (outbound) sessions
identity = "sensor1"
key = "..."
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.udp import Address, parse_hostport, resolve


class ConfigError(ValueError):
    pass


@dataclass
class CcsEntry:
    name: str
    address: Address
    psk_dn: bytes


@dataclass
class ClientEntry:
    identity: bytes
    key: bytes
    ccs: str


@dataclass
class EcdsaClient:
    public_x: bytes
    public_y: bytes
    ccs: str


@dataclass
class SsmConfig:
    listen: list[tuple[str, int]] = field(default_factory=lambda: [("127.0.0.1", 5684)])
    ccs_listen: tuple[str, int] = ("127.0.0.1", 0)
    db: Path = Path("build/ssm/relay.sqlite")
    handshake_timeout: float = 10.0
    max_handshakes: int = 256
    ack_timeout: float = 0.5
    ack_retries: int = 3
    idle_timeout: float = 3600.0
    cipher_suites: list[str] | None = None
    ccs: dict[str, CcsEntry] = field(default_factory=dict)
    clients: dict[bytes, ClientEntry] = field(default_factory=dict)
    ecdsa_private: bytes | None = None
    ecdsa_public: tuple[bytes, bytes] | None = None
    ecdsa_clients: list[EcdsaClient] = field(default_factory=list)
    outbound: dict[bytes, bytes] = field(default_factory=dict)  # identity -> key

    def validate(self) -> None:
        for c in self.clients.values():
            if c.ccs not in self.ccs:
                raise ConfigError(f"client {c.identity!r} names unknown CCS {c.ccs!r}")
        for e in self.ecdsa_clients:
            if e.ccs not in self.ccs:
                raise ConfigError(f"ECDSA client names unknown CCS {e.ccs!r}")


def _hex(value: Any, what: str, size: int | None = None) -> bytes:
    try:
        raw = bytes.fromhex(str(value))
    except ValueError as exc:
        raise ConfigError(f"{what}: not hex: {value!r}") from exc
    if size is not None and len(raw) != size:
        raise ConfigError(f"{what}: want {size} bytes, got {len(raw)}")
    return raw


def _key(table: dict[str, Any], what: str) -> bytes:
    if "key_hex" in table:
        return _hex(table["key_hex"], f"{what}.key_hex")
    if "key" in table:
        return str(table["key"]).encode()
    raise ConfigError(f"{what}: needs key or key_hex")


def from_dict(data: dict[str, Any], base: Path | None = None) -> SsmConfig:
    cfg = SsmConfig()
    ssm = data.get("ssm", {})
    if "listen" in ssm:
        cfg.listen = [parse_hostport(x) for x in ssm["listen"]]
    if "ccs_listen" in ssm:
        cfg.ccs_listen = parse_hostport(ssm["ccs_listen"])
    if "db" in ssm:
        db = Path(ssm["db"])
        cfg.db = db if db.is_absolute() or base is None else base / db
    for name in ("handshake_timeout", "ack_timeout", "idle_timeout"):
        if name in ssm:
            setattr(cfg, name, float(ssm[name]))
    for name in ("max_handshakes", "ack_retries"):
        if name in ssm:
            setattr(cfg, name, int(ssm[name]))
    if "cipher_suites" in ssm:
        cfg.cipher_suites = list(ssm["cipher_suites"])
    for name, table in data.get("ccs", {}).items():
        host, port = parse_hostport(table["address"])
        cfg.ccs[name] = CcsEntry(name, resolve(host, port), _hex(table["psk_dn"], f"ccs.{name}.psk_dn", 16))
    for name, table in data.get("clients", {}).items():
        identity = str(table.get("identity", name)).encode()
        cfg.clients[identity] = ClientEntry(identity, _key(table, f"clients.{name}"), str(table["ccs"]))
    ecdsa = data.get("ecdsa")
    if ecdsa:
        cfg.ecdsa_private = _hex(ecdsa["private"], "ecdsa.private", 32)
        cfg.ecdsa_public = (
            _hex(ecdsa["public_x"], "ecdsa.public_x", 32),
            _hex(ecdsa["public_y"], "ecdsa.public_y", 32),
        )
        for i, c in enumerate(ecdsa.get("clients", [])):
            cfg.ecdsa_clients.append(
                EcdsaClient(
                    _hex(c["public_x"], f"ecdsa.clients[{i}].public_x", 32),
                    _hex(c["public_y"], f"ecdsa.clients[{i}].public_y", 32),
                    str(c["ccs"]),
                )
            )
    for name, table in data.get("outbound", {}).items():
        cfg.outbound[str(table.get("identity", name)).encode()] = _key(table, f"outbound.{name}")
    cfg.validate()
    return cfg


def load(path: Path) -> SsmConfig:
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such config file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    try:
        return from_dict(data, base=path.parent)
    except (KeyError, ValueError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
