"""Delegator configuration (TOML). Example: docs/protocol.md, "Configuration".

[ssm]
listen = ["127.0.0.1:5684", "[::1]:5684"]   # DTLS endpoints for outside clients
ccs_listen = "127.0.0.1:0"                   # socket towards the CCSs
db = "build/ssm/relay.sqlite"                # relay reference table
handshake_timeout = 10.0                     # seconds a half-open handshake may live
max_handshakes = 256                         # half-open handshakes kept (heaviest source's oldest evicted)
source_prefix_v4 = 32                        # a source (fair share of half-open slots): IPv4 /32,
source_prefix_v6 = 64                        # IPv6 /64
hello_rate_per_source = 20.0                 # ClientHellos with a cookie per second and source (more
hello_burst_per_source = 40                  # are dropped unanswered), bucket depth
workers = 2                                  # server handshakes in N worker processes (0: in-process)
processes = 4                                # delegator processes sharing the ports (SO_REUSEPORT)
ack_timeout = 0.5                            # key-material retransmission interval
ack_retries = 3
idle_timeout = 3600.0                        # relay sessions unused this long are freed
cipher_suites = ["PSK_AES_128_CCM_8", "PSK_AES_128_CCM", "ECDHE_ECDSA_AES_128_CCM_8"]
metrics = "127.0.0.1:9464"                  # optional: Prometheus /metrics listen address
max_sessions_per_identity = 8                # optional quotas: beyond them the oldest session of
max_sessions_per_address = 16                # that identity / client IP is closed

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

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from harness.configfile import describe_errors, read_toml
from harness.udp import Address, parse_hostport, resolve


class ConfigError(ValueError):
    """A config file that cannot be used; the one-line message names the file and the key."""


@dataclass
class CcsEntry:
    """One constrained CoAP server the delegator hands sessions to."""

    name: str
    address: Address
    psk_dn: bytes


@dataclass
class ClientEntry:
    """A PSK identity of outside clients and the CCS it reaches."""

    identity: bytes
    key: bytes
    ccs: str


@dataclass
class EcdsaClient:
    """An accepted client raw public key and the CCS it reaches."""

    public_x: bytes
    public_y: bytes
    ccs: str


@dataclass
class SsmConfig:
    """The delegator's settings after validation."""

    listen: list[tuple[str, int]] = field(default_factory=lambda: [("127.0.0.1", 5684)])
    ccs_listen: tuple[str, int] = ("127.0.0.1", 0)
    db: Path = Path("build/ssm/relay.sqlite")
    handshake_timeout: float = 10.0
    max_handshakes: int = 256
    source_prefix_v4: int = 32  # a "source" for fair sharing / rate limits: this network of the address
    source_prefix_v6: int = 64
    hello_rate_per_source: float = 20.0  # cookie-carrying ClientHellos per second and source
    hello_burst_per_source: int = 40
    workers: int = 0  # handshake worker processes; 0: handshakes on the event loop
    processes: int = 1  # delegator processes (event loops) sharing the ports and the relay table
    ack_timeout: float = 0.5
    ack_retries: int = 3
    idle_timeout: float = 3600.0
    cipher_suites: list[str] | None = None
    metrics: tuple[str, int] | None = None
    max_sessions_per_identity: int | None = None  # None: no quota
    max_sessions_per_address: int | None = None
    ccs: dict[str, CcsEntry] = field(default_factory=dict)
    clients: dict[bytes, ClientEntry] = field(default_factory=dict)
    ecdsa_private: bytes | None = None
    ecdsa_public: tuple[bytes, bytes] | None = None
    ecdsa_clients: list[EcdsaClient] = field(default_factory=list)
    outbound: dict[bytes, bytes] = field(default_factory=dict)  # identity -> key

    def validate(self) -> None:
        """Check cross references (clients naming CCSs)."""
        for c in self.clients.values():
            if c.ccs not in self.ccs:
                raise ConfigError(f"client {c.identity!r} names unknown CCS {c.ccs!r}")
        for e in self.ecdsa_clients:
            if e.ccs not in self.ccs:
                raise ConfigError(f"ECDSA client names unknown CCS {e.ccs!r}")


# ---- the schema of the TOML file (what a user may write; ranges are the ones that admit clients) ----

_STRICT = ConfigDict(extra="forbid", strict=True)
Seconds = Annotated[float, Field(gt=0, le=86400 * 365, strict=False)]


def _check_hostport(value: str) -> str:
    try:
        host, port = parse_hostport(value)
    except ValueError as exc:
        if "invalid literal" in str(exc):
            raise ValueError(f"port of {value!r} is not a number (want host:port, port 0..65535)") from None
        raise
    if not host:
        raise ValueError(f"address {value!r} has no host (want host:port or [v6]:port)")
    if not 0 <= port <= 65535:
        raise ValueError(f"port {port} of {value!r} outside 0..65535")
    return value


def _check_hex(value: str, size: int | None) -> str:
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise ValueError(f"not hex: {value!r}") from None
    if size is not None and len(raw) != size:
        raise ValueError(f"want {size} bytes of hex ({2 * size} digits), got {len(raw)} bytes")
    if size is None and not raw:
        raise ValueError("empty key")
    return value


def _suite_names() -> list[str]:
    from harness.tinydtls.binding import Cipher

    return list(Cipher.__members__)


class _SsmSection(BaseModel):
    model_config = _STRICT
    listen: list[str] = Field(default=["127.0.0.1:5684"], min_length=1)
    ccs_listen: str = "127.0.0.1:0"
    db: str = Field(default="build/ssm/relay.sqlite", min_length=1)
    handshake_timeout: Seconds = 10.0
    max_handshakes: int = Field(default=256, ge=1, le=1_000_000)
    source_prefix_v4: int = Field(default=32, ge=8, le=32)
    source_prefix_v6: int = Field(default=64, ge=16, le=128)
    hello_rate_per_source: float = Field(default=20.0, gt=0, le=1_000_000, strict=False)
    hello_burst_per_source: int = Field(default=40, ge=1, le=1_000_000)
    workers: int = Field(default=0, ge=0, le=1024)
    processes: int = Field(default=1, ge=1, le=256)
    ack_timeout: Seconds = 0.5
    ack_retries: int = Field(default=3, ge=0, le=100)
    idle_timeout: Seconds = 3600.0
    cipher_suites: list[str] | None = Field(default=None, min_length=1)
    metrics: str | None = None
    max_sessions_per_identity: int | None = Field(default=None, ge=1, le=1_000_000)
    max_sessions_per_address: int | None = Field(default=None, ge=1, le=1_000_000)

    @field_validator("listen")
    @classmethod
    def _listen(cls, v: list[str]) -> list[str]:
        for x in v:
            _check_hostport(x)  # port 0: the OS picks one (tests)
        return v

    @field_validator("ccs_listen", "metrics")
    @classmethod
    def _addr(cls, v: str | None) -> str | None:
        return None if v is None else _check_hostport(v)

    @field_validator("cipher_suites")
    @classmethod
    def _suites(cls, v: list[str] | None) -> list[str] | None:
        if v is not None:
            known = _suite_names()
            for name in v:
                if name not in known:
                    raise ValueError(f"unknown cipher suite {name!r} (known: {', '.join(known)})")
        return v


class _CcsSection(BaseModel):
    model_config = _STRICT
    address: str
    psk_dn: str

    @field_validator("address")
    @classmethod
    def _address(cls, v: str) -> str:
        _check_hostport(v)
        if parse_hostport(v)[1] == 0:
            raise ValueError(f"port of {v!r} must be 1..65535")
        return v

    @field_validator("psk_dn")
    @classmethod
    def _psk(cls, v: str) -> str:
        return _check_hex(v, 16)


class _KeyedSection(BaseModel):
    model_config = _STRICT
    identity: str | None = Field(default=None, min_length=1, max_length=255)
    key: str | None = Field(default=None, min_length=1, max_length=255)
    key_hex: str | None = None

    @field_validator("key_hex")
    @classmethod
    def _key_hex(cls, v: str | None) -> str | None:
        return None if v is None else _check_hex(v, None)

    def key_bytes(self) -> bytes | None:
        """The PSK as bytes, None when neither key nor key_hex is given."""
        if self.key_hex is not None:
            return bytes.fromhex(self.key_hex)
        return None if self.key is None else self.key.encode()


class _ClientSection(_KeyedSection):
    ccs: str


class _EcdsaClientSection(BaseModel):
    model_config = _STRICT
    public_x: str
    public_y: str
    ccs: str

    @field_validator("public_x", "public_y")
    @classmethod
    def _h(cls, v: str) -> str:
        return _check_hex(v, 32)


class _EcdsaSection(BaseModel):
    model_config = _STRICT
    private: str
    public_x: str
    public_y: str
    clients: list[_EcdsaClientSection] = []

    @field_validator("private", "public_x", "public_y")
    @classmethod
    def _h(cls, v: str) -> str:
        return _check_hex(v, 32)


class SsmFile(BaseModel):
    """The schema of `ssm.toml` (every table and key the delegator reads)."""

    model_config = _STRICT
    ssm: _SsmSection = _SsmSection()
    ccs: dict[str, _CcsSection] = {}
    clients: dict[str, _ClientSection] = {}
    ecdsa: _EcdsaSection | None = None
    outbound: dict[str, _KeyedSection] = {}
    # tables other services read and check themselves (harness/services/config.py, harness/bootstrap)
    rd: dict[str, Any] | None = None
    http: dict[str, Any] | None = None
    bootstrap: dict[str, Any] | None = None


def _address(text: str, what: str) -> Address:
    host, port = parse_hostport(text)
    try:
        return resolve(host, port)
    except (socket.gaierror, UnicodeError) as exc:
        raise ConfigError(f"{what}: cannot resolve {host!r}: {exc}") from None


def from_dict(data: dict[str, Any], base: Path | None = None) -> SsmConfig:
    """Validate parsed TOML against the schema and build an SsmConfig; ConfigError names the key."""
    try:
        f = SsmFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_errors(exc)) from None
    s = f.ssm
    cfg = SsmConfig()
    cfg.listen = [parse_hostport(x) for x in s.listen]
    cfg.ccs_listen = parse_hostport(s.ccs_listen)
    db = Path(s.db)
    cfg.db = db if db.is_absolute() or base is None else base / db
    if cfg.db.is_dir():
        raise ConfigError(f"ssm.db: {cfg.db} is a directory (want a SQLite file path)")
    parent = cfg.db.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise ConfigError(f"ssm.db: cannot create {cfg.db} ({parent} is not a writable directory)")
    cfg.handshake_timeout, cfg.ack_timeout = s.handshake_timeout, s.ack_timeout
    cfg.idle_timeout = s.idle_timeout
    cfg.max_handshakes, cfg.ack_retries = s.max_handshakes, s.ack_retries
    cfg.source_prefix_v4, cfg.source_prefix_v6 = s.source_prefix_v4, s.source_prefix_v6
    cfg.hello_rate_per_source, cfg.hello_burst_per_source = s.hello_rate_per_source, s.hello_burst_per_source
    cfg.workers, cfg.processes = s.workers, s.processes
    if s.processes > 1 and (f.bootstrap is not None or f.http is not None):
        # run-time changes (a bootstrapped CCS's key, a revocation) would reach the first process only
        raise ConfigError("ssm.processes: more than 1 cannot be combined with [bootstrap] or [http] "
                          "(run-time key changes and revocation need processes = 1)")
    cfg.cipher_suites = s.cipher_suites
    cfg.metrics = parse_hostport(s.metrics) if s.metrics else None
    cfg.max_sessions_per_identity = s.max_sessions_per_identity
    cfg.max_sessions_per_address = s.max_sessions_per_address
    for name, c in f.ccs.items():
        cfg.ccs[name] = CcsEntry(name, _address(c.address, f"ccs.{name}.address"), bytes.fromhex(c.psk_dn))
    for name, cl in f.clients.items():
        key = cl.key_bytes()
        if key is None:
            raise ConfigError(f"clients.{name}: needs key or key_hex")
        identity = (cl.identity or name).encode()
        cfg.clients[identity] = ClientEntry(identity, key, cl.ccs)
    if f.ecdsa is not None:
        e = f.ecdsa
        cfg.ecdsa_private = bytes.fromhex(e.private)
        cfg.ecdsa_public = (bytes.fromhex(e.public_x), bytes.fromhex(e.public_y))
        cfg.ecdsa_clients = [
            EcdsaClient(bytes.fromhex(c.public_x), bytes.fromhex(c.public_y), c.ccs) for c in e.clients
        ]
    for name, ob in f.outbound.items():
        key = ob.key_bytes()
        if key is None:
            raise ConfigError(f"outbound.{name}: needs key or key_hex")
        cfg.outbound[(ob.identity or name).encode()] = key
    cfg.validate()
    return cfg


def load(path: Path) -> SsmConfig:
    """Read and validate an `ssm.toml`; ConfigError with a one-line message on any problem."""
    try:
        data = read_toml(path)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    try:
        return from_dict(data, base=path.parent)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
