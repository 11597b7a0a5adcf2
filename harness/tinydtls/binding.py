"""Host TinyDTLS from Python: a DTLS context with PSK and ECDHE-ECDSA (raw public key) callbacks.

    ctx = DtlsContext(send=lambda addr, data: sock.sendto(data, addr), psk=PskStore({b"id": key}))
    ctx.handle_message(addr, datagram)       # feed every datagram received on the socket
    ctx.connect(addr); ctx.write(addr, b"hi"); ctx.close(addr)
    delay = ctx.check_retransmit()           # call again after `delay` seconds (None: nothing pending)

TinyDTLS's time: the system clock by default (and with a harness.clock.WallClock); with any other
clock (SimClock) every call into TinyDTLS sees that clock's now() in TinyDTLS ticks (ms), frozen for
the call, so retransmissions follow simulated time (tinydtls_patches/0020). `seed=` makes the
context's random bytes (randoms, cookie secret, ECDHE keys) a reproducible stream: simulations only.

Addresses are Python socket tuples: (host, port) for IPv4, (host, port[, flowinfo, scope_id]) for IPv6.
All TinyDTLS calls for one context must come from one thread (TinyDTLS keeps static buffers).
An exception raised by a user callback is re-raised from the TinyDTLS call that triggered it.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import ipaddress
import logging
import math
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from harness.cffi_build import ExtensionNotBuilt
from harness.clock import Clock, WallClock
from harness.tinydtls.extension import EXTENSION

log = logging.getLogger("harness.tinydtls")

Address = tuple[Any, ...]


def load_ffi() -> tuple[Any, Any]:
    """(ffi, lib) of the compiled extension, or ExtensionNotBuilt saying how to build it."""
    ext = EXTENSION.load()
    return ext.ffi, ext.lib


ffi, lib = load_ffi()


class DtlsError(RuntimeError):
    """A TinyDTLS call failed (the message names the call and the return code or alert)."""


class Cipher(enum.IntEnum):
    """The cipher suites TinyDTLS offers."""
    PSK_AES_128_CCM = int(lib.TLS_PSK_WITH_AES_128_CCM)
    PSK_AES_128_CCM_8 = int(lib.TLS_PSK_WITH_AES_128_CCM_8)
    ECDHE_ECDSA_AES_128_CCM = int(lib.TLS_ECDHE_ECDSA_WITH_AES_128_CCM)
    ECDHE_ECDSA_AES_128_CCM_8 = int(lib.TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8)


class AlertLevel(enum.IntEnum):
    """TLS alert levels (RFC 5246 §7.2)."""
    WARNING = int(lib.DTLS_ALERT_LEVEL_WARNING)
    FATAL = int(lib.DTLS_ALERT_LEVEL_FATAL)


class Alert(enum.IntEnum):
    """TLS alert descriptions (RFC 5246 §7.2)."""

    CLOSE_NOTIFY = 0
    UNEXPECTED_MESSAGE = 10
    BAD_RECORD_MAC = 20
    RECORD_OVERFLOW = 22
    DECOMPRESSION_FAILURE = 30
    HANDSHAKE_FAILURE = 40
    BAD_CERTIFICATE = 42
    UNSUPPORTED_CERTIFICATE = 43
    CERTIFICATE_REVOKED = 44
    CERTIFICATE_EXPIRED = 45
    CERTIFICATE_UNKNOWN = 46
    ILLEGAL_PARAMETER = 47
    UNKNOWN_CA = 48
    ACCESS_DENIED = 49
    DECODE_ERROR = 50
    DECRYPT_ERROR = 51
    PROTOCOL_VERSION = 70
    INSUFFICIENT_SECURITY = 71
    INTERNAL_ERROR = 80
    USER_CANCELED = 90
    NO_RENEGOTIATION = 100
    UNSUPPORTED_EXTENSION = 110


class DtlsEvent(enum.IntEnum):
    """Session events (TinyDTLS codes >= 256); alerts arrive as Alert with their level."""

    CONNECT = int(lib.DTLS_EVENT_CONNECT)
    CONNECTED = int(lib.DTLS_EVENT_CONNECTED)


class PeerState(enum.IntEnum):
    """TinyDTLS peer states."""
    INIT = int(lib.DTLS_STATE_INIT)
    CONNECTED = int(lib.DTLS_STATE_CONNECTED)
    CLOSING = int(lib.DTLS_STATE_CLOSING)
    CLOSED = int(lib.DTLS_STATE_CLOSED)
    HANDSHAKING = -1  # any of TinyDTLS's intermediate handshake states


def alert_error(desc: Alert) -> int:
    """The negative return value TinyDTLS callbacks use to make TinyDTLS send a fatal alert."""
    return -((int(AlertLevel.FATAL) << 8) | int(desc))


@dataclass
class PskStore:
    """PSK credentials. `keys` maps identity -> key (server side lookup); `identity` is what a client
    sends (its key must be in `keys`); `hint` is what a server offers (TinyDTLS servers send none)."""

    keys: Mapping[bytes, bytes]
    identity: bytes | None = None
    hint: bytes = b""

    def key_for(self, identity: bytes) -> bytes | None:
        """The PSK of an identity, or None when unknown."""
        return self.keys.get(bytes(identity))


@dataclass
class EcdsaKey:
    """A secp256r1 key pair as raw 32-byte big-endian values (RFC 7250 raw public keys)."""

    private: bytes
    public_x: bytes
    public_y: bytes

    @classmethod
    def from_cryptography(cls, key: Any) -> EcdsaKey:
        """From a `cryptography` EllipticCurvePrivateKey on SECP256R1."""
        numbers = key.private_numbers()
        return cls(
            numbers.private_value.to_bytes(32, "big"),
            numbers.public_numbers.x.to_bytes(32, "big"),
            numbers.public_numbers.y.to_bytes(32, "big"),
        )

    @classmethod
    def generate(cls) -> EcdsaKey:
        """A fresh secp256r1 key pair."""
        from cryptography.hazmat.primitives.asymmetric import ec

        return cls.from_cryptography(ec.generate_private_key(ec.SECP256R1()))


@dataclass
class PeerInfo:
    """A snapshot of one TinyDTLS peer."""

    address: Address
    role: str  # "client" or "server": our role towards that peer
    state: PeerState
    epoch: int | None
    next_send_seq: int | None  # TinyDTLS's rseq: the sequence number of the next record we send
    key_block: bytes | None


# ---------------------------------------------------------------------------------------------
# addresses


@functools.lru_cache(maxsize=4096)
def _packed_ip(host: str | bytes) -> tuple[int, bytes]:
    """(IP version, packed address) of a host: parsed once per host, it is on every datagram's path."""
    ip = ipaddress.ip_address(host.split("%", 1)[0] if isinstance(host, str) else host)
    return ip.version, ip.packed


def session_from_address(addr: Address) -> Any:
    """A fresh session_t for a socket address tuple."""
    host, port = addr[0], int(addr[1])
    version, packed = _packed_ip(host)
    session = ffi.new("session_t *")
    if version == 4:
        rc = lib.esse_session_set(session, 4, packed, port, 0)
    else:
        scope = int(addr[3]) if len(addr) >= 4 else 0
        rc = lib.esse_session_set(session, 6, packed, port, scope)
    if rc != 0:
        raise ValueError(f"unsupported address {addr!r}")
    return session


def address_from_session(session: Any) -> Address:
    """The socket address a TinyDTLS session stands for."""
    raw = ffi.new("unsigned char[16]")
    port = ffi.new("uint16_t *")
    scope = ffi.new("uint32_t *")
    family = lib.esse_session_get(session, raw, port, scope)
    if family == 4:
        return (socket.inet_ntop(socket.AF_INET, bytes(ffi.buffer(raw, 4))), int(port[0]))
    if family == 6:
        return (socket.inet_ntop(socket.AF_INET6, bytes(ffi.buffer(raw, 16))), int(port[0]), 0, int(scope[0]))
    raise DtlsError("session_t with an unknown address family")


def normalize_address(addr: Address) -> Address:
    """The form TinyDTLS callbacks report for `addr` (so callers can compare tuples)."""
    return address_from_session(session_from_address(addr))


# ---------------------------------------------------------------------------------------------
# library-wide state

_initialized = False
_LOG_LEVELS = {
    int(lib.DTLS_LOG_EMERG): logging.CRITICAL,
    int(lib.DTLS_LOG_ALERT): logging.CRITICAL,
    int(lib.DTLS_LOG_CRIT): logging.CRITICAL,
    int(lib.DTLS_LOG_WARN): logging.WARNING,
    int(lib.DTLS_LOG_NOTICE): logging.INFO,
    int(lib.DTLS_LOG_INFO): logging.INFO,
    int(lib.DTLS_LOG_DEBUG): logging.DEBUG,
}


def _init_library() -> None:
    global _initialized
    if not _initialized:
        lib.dtls_init()
        lib.dtls_set_log_handler(lib._esse_log)
        lib.dtls_set_log_level(lib.DTLS_LOG_WARN)
        _initialized = True


def set_log_level(level: int) -> None:
    """TinyDTLS's own log level (lib.DTLS_LOG_*); messages go to the `harness.tinydtls` logger."""
    _init_library()
    lib.dtls_set_log_level(level)


def version() -> str:
    """The TinyDTLS package version string."""
    return ffi.string(lib.dtls_package_version()).decode()


def now_ticks() -> int:
    """TinyDTLS's clock now, in its ticks (the system clock's, outside a context's call)."""
    t = ffi.new("dtls_tick_t *")
    lib.dtls_ticks(t)
    return int(t[0])


TICK_MASK = 0xFFFFFFFF  # dtls_tick_t is 32 bits; TinyDTLS compares ticks modulo 2**32


def ticks_at(seconds: float) -> int:
    """The unwrapped TinyDTLS tick count of a clock time (ticks since the clock's 0). The nanosecond
    nudge keeps a time that is a whole tick in decimal (1.001 s) from flooring to the tick before."""
    return math.floor(seconds * int(lib.DTLS_TICKS_PER_SECOND) + 1e-6)


@ffi.def_extern()
def _esse_log(level: int, message: Any) -> None:
    text = ffi.string(message).decode(errors="replace").rstrip()
    log.log(_LOG_LEVELS.get(int(level), logging.DEBUG), "%s", text)


# ---------------------------------------------------------------------------------------------
# the context

_threads = threading.local()  # .calling: contexts inside a TinyDTLS call on this thread, innermost last


def _calling() -> list[DtlsContext]:
    stack = getattr(_threads, "calling", None)
    if stack is None:
        stack = _threads.calling = []
    return stack


SendFn = Callable[[Address, bytes], None]
DataFn = Callable[[Address, bytes], None]
EventFn = Callable[[Address, "DtlsEvent | Alert", AlertLevel | None], None]
VerifyKeyFn = Callable[[Address, bytes, bytes], bool]
UserParamsFn = Callable[[Address], "tuple[list[Cipher], bool] | None"]


class DtlsContext:
    """One TinyDTLS context: any number of client and server sessions sharing one set of callbacks.

    send(addr, datagram)          required: put a datagram on the wire
    on_data(addr, plaintext)      application data received
    on_event(addr, event, level)  DtlsEvent.CONNECTED etc.; alerts as (Alert, AlertLevel)
    psk                           PskStore for TLS_PSK_WITH_AES_128_CCM(_8)
    ecdsa_key                     our EcdsaKey for TLS_ECDHE_ECDSA_WITH_AES_128_CCM(_8)
    verify_peer_key(addr, x, y)   accept the peer's raw public key (True) or not; a server with it
                                  requests client authentication
    cipher_suites                 offered/accepted suites (default: TinyDTLS's, i.e. all enabled)
    force_extended_master_secret  None keeps TinyDTLS's default (required)
    clock                         TinyDTLS's time: None / WallClock = the system clock, else that
                                  clock's now() (harness.clock.SimClock)
    seed                          a reproducible random stream for this context (simulations)
    """

    def __init__(
        self,
        send: SendFn,
        *,
        on_data: DataFn | None = None,
        on_event: EventFn | None = None,
        psk: PskStore | None = None,
        ecdsa_key: EcdsaKey | None = None,
        verify_peer_key: VerifyKeyFn | None = None,
        cipher_suites: list[Cipher] | None = None,
        force_extended_master_secret: bool | None = None,
        clock: Clock | None = None,
        seed: int | None = None,
    ) -> None:
        _init_library()
        self.clock = clock
        self._pinned = clock is not None and not isinstance(clock, WallClock)
        self._ticks = ffi.new("dtls_tick_t *")
        self._prng_state: Any = None
        if seed is not None:
            self._prng_state = ffi.new("uint64_t *", int(seed) & 0xFFFFFFFFFFFFFFFF)
        self._send = send
        self.on_data = on_data
        self.on_event = on_event
        self.psk = psk
        self.ecdsa_key = ecdsa_key
        self.verify_peer_key = verify_peer_key
        if cipher_suites is not None and not 1 <= len(cipher_suites) <= int(lib.DTLS_MAX_CIPHER_SUITES):
            raise ValueError(f"cipher_suites: 1..{int(lib.DTLS_MAX_CIPHER_SUITES)} entries")
        self.cipher_suites = cipher_suites
        self.force_extended_master_secret = force_extended_master_secret
        self._pending_error: BaseException | None = None
        self._ecdsa_cdata: list[Any] = []  # keeps the key bytes alive while TinyDTLS points at them
        self._handle = ffi.new_handle(self)
        self._handler = ffi.new("dtls_handler_t *")
        self._handler.write = lib._esse_write
        self._handler.read = lib._esse_read
        self._handler.event = lib._esse_event
        self._handler.get_user_parameters = lib._esse_get_user_parameters
        self._handler.get_psk_info = lib._esse_get_psk_info
        if ecdsa_key is not None:
            self._handler.get_ecdsa_key = lib._esse_get_ecdsa_key
        if verify_peer_key is not None:
            self._handler.verify_ecdsa_key = lib._esse_verify_ecdsa_key
        with self._time():  # the context's cookie secret and its age
            ctx = lib.dtls_new_context(self._handle)
        if ctx == ffi.NULL:
            raise DtlsError("dtls_new_context failed")
        ctx.h = self._handler
        self._ctx = ctx

    # -- lifecycle

    @property
    def raw(self) -> Any:
        """The dtls_context_t * (for extensions that call more of the C API)."""
        self._check_open()
        return self._ctx

    def free(self) -> None:
        """Release the context (and all its peers) without sending anything."""
        if self._ctx is not None:
            with self._time():
                lib.dtls_free_context(self._ctx)
            self._ctx = None

    def __enter__(self) -> DtlsContext:
        return self

    def __exit__(self, *exc: object) -> None:
        self.free()

    def __del__(self) -> None:
        try:
            self.free()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    def _check_open(self) -> None:
        if self._ctx is None:
            raise DtlsError("context already freed")

    @contextlib.contextmanager
    def _time(self) -> Iterator[None]:
        """Around every call into TinyDTLS: pin its clock to ours and select our random stream. The
        hooks are per thread; a call made from inside a callback (another context) gets its own and
        the outer call's are restored afterwards, the defaults once the outermost call returns."""
        calling = _calling()
        calling.append(self)
        self._apply_hooks()
        try:
            yield
        finally:
            calling.pop()
            if calling:
                calling[-1]._apply_hooks()
            else:
                lib.dtls_ticks_override(ffi.NULL)
                lib.dtls_prng_override(ffi.NULL)

    def _apply_hooks(self) -> None:
        if self._pinned:
            assert self.clock is not None
            self._ticks[0] = ticks_at(self.clock.now()) & TICK_MASK
            lib.dtls_ticks_override(self._ticks)
        else:
            lib.dtls_ticks_override(ffi.NULL)
        lib.dtls_prng_override(ffi.NULL if self._prng_state is None else self._prng_state)

    def _raise_pending(self) -> None:
        err, self._pending_error = self._pending_error, None
        if err is not None:
            raise err

    # -- operations

    def handle_message(self, addr: Address, data: bytes) -> int:
        """Feed one received datagram from addr. Returns TinyDTLS's result (0 ok, < 0 error)."""
        self._check_open()
        buf = ffi.from_buffer("uint8[]", bytearray(data))
        with self._time():
            rc = lib.dtls_handle_message(self._ctx, session_from_address(addr), buf, len(data))
        self._raise_pending()
        return int(rc)

    def connect(self, addr: Address) -> None:
        """Start a handshake as client towards addr (no-op result 0 if already connected)."""
        self._check_open()
        with self._time():
            rc = lib.dtls_connect(self._ctx, session_from_address(addr))
        self._raise_pending()
        if rc < 0:
            raise DtlsError(f"dtls_connect({addr!r}) failed: {rc}")

    def write(self, addr: Address, data: bytes) -> int:
        """Send application data; returns the bytes accepted (0 while the handshake is not done)."""
        self._check_open()
        buf = ffi.from_buffer("uint8[]", bytearray(data))
        with self._time():
            rc = lib.dtls_write(self._ctx, session_from_address(addr), buf, len(data))
        self._raise_pending()
        if rc < 0:
            raise DtlsError(f"dtls_write({addr!r}) failed: {rc}")
        return int(rc)

    def close(self, addr: Address) -> None:
        """Send close_notify to addr and drop the session."""
        self._check_open()
        with self._time():
            rc = lib.dtls_close(self._ctx, session_from_address(addr))
        self._raise_pending()
        if rc < 0:
            raise DtlsError(f"dtls_close({addr!r}) failed: {rc}")

    def check_retransmit(self) -> float | None:
        """Retransmit what is due; return seconds until the next due retransmission (None: none)."""
        delta = self._retransmit_ticks()
        if delta is None:
            return None
        return delta[0] / int(lib.DTLS_TICKS_PER_SECOND)

    def retransmit_at(self) -> float | None:
        """Retransmit what is due; return the time on this context's clock (the wall clock without
        one) at which the next retransmission is due, None when none is pending. On a SimClock that
        is exactly the tick TinyDTLS's timer names."""
        delta = self._retransmit_ticks()
        if delta is None:
            return None
        ticks, now = delta
        per_s = int(lib.DTLS_TICKS_PER_SECOND)
        if self._pinned:
            return (now + ticks) / per_s
        return (self.clock or WallClock()).now() + ticks / per_s

    def _retransmit_ticks(self) -> tuple[int, int] | None:
        """dtls_check_retransmit: (ticks until the next due retransmission, the unwrapped tick count of
        now on a pinned clock, else 0), or None when nothing is pending."""
        self._check_open()
        nxt = ffi.new("clock_time_t *")
        with self._time():
            lib.dtls_check_retransmit(self._ctx, nxt)
            now = int(self._ticks[0]) if self._pinned else now_ticks()
        self._raise_pending()
        if nxt[0] == 0:
            return None
        delta = (int(nxt[0]) - now) & TICK_MASK
        if delta > TICK_MASK >> 1:  # already due
            delta = 0
        unwrapped = ticks_at(self.clock.now()) if self._pinned and self.clock is not None else 0
        return delta, unwrapped

    def peer(self, addr: Address) -> PeerInfo | None:
        """State of the session with addr, or None if TinyDTLS has none."""
        raw = self.raw_peer(addr)
        if raw is None:
            return None
        state = int(raw.state)
        try:
            pstate = PeerState(state)
        except ValueError:
            pstate = PeerState.HANDSHAKING
        sec = lib.dtls_security_params(raw)
        epoch = seq = key_block = None
        if sec != ffi.NULL:
            epoch, seq = int(sec.epoch), int(sec.rseq)
            key_block = bytes(ffi.buffer(sec.key_block, int(lib.MAX_KEYBLOCK_LENGTH)))
        role = "server" if raw.role == lib.DTLS_SERVER else "client"
        return PeerInfo(address_from_session(ffi.addressof(raw.session)), role, pstate, epoch, seq, key_block)

    def raw_peer(self, addr: Address) -> Any | None:
        """The dtls_peer_t * for addr (or None), for extensions reading TinyDTLS internals."""
        self._check_open()
        raw = lib.dtls_get_peer(self._ctx, session_from_address(addr))
        return None if raw == ffi.NULL else raw

    def is_connected(self, addr: Address) -> bool:
        """Whether the peer at `addr` has completed its handshake."""
        info = self.peer(addr)
        return info is not None and info.state == PeerState.CONNECTED

    # -- callbacks from TinyDTLS (through the extern "Python" trampolines below)

    def _cb_write(self, addr: Address, data: bytes) -> int:
        self._send(addr, data)
        return len(data)

    def _cb_read(self, addr: Address, data: bytes) -> None:
        if self.on_data is not None:
            self.on_data(addr, data)

    def _cb_event(self, addr: Address, level: int, code: int) -> None:
        if self.on_event is None:
            return
        if code >= 256:
            try:
                event: DtlsEvent | Alert = DtlsEvent(code)
            except ValueError:
                log.debug("unknown TinyDTLS event %#x from %r", code, addr)
                return
            self.on_event(addr, event, None)
        else:
            try:
                alert = Alert(code)
            except ValueError:
                log.debug("unknown alert %d from %r", code, addr)
                return
            self.on_event(addr, alert, AlertLevel(level) if level else None)

    def _cb_user_parameters(self, params: Any) -> None:
        if self.cipher_suites is not None:
            suites = [int(c) for c in self.cipher_suites] + [int(lib.TLS_NULL_WITH_NULL_NULL)]
            for i, suite in enumerate(suites):
                params.cipher_suites[i] = suite
        if self.force_extended_master_secret is not None:
            params.force_extended_master_secret = int(self.force_extended_master_secret)

    def _cb_psk_info(self, kind: int, desc: bytes, result: Any, result_len: int) -> int:
        psk = self.psk
        if psk is None:
            return alert_error(Alert.HANDSHAKE_FAILURE)
        if kind == lib.DTLS_PSK_IDENTITY:
            value = psk.identity
            if value is None:
                return alert_error(Alert.INTERNAL_ERROR)
        elif kind == lib.DTLS_PSK_KEY:
            value = psk.key_for(desc)
            if value is None:
                log.info("no PSK for identity %r", desc)
                return alert_error(Alert.ILLEGAL_PARAMETER)
        elif kind == lib.DTLS_PSK_HINT:
            value = psk.hint
        else:
            return alert_error(Alert.INTERNAL_ERROR)
        if len(value) > result_len:
            return alert_error(Alert.INTERNAL_ERROR)
        ffi.memmove(result, value, len(value))
        return len(value)

    def _cb_ecdsa_key(self, result: Any) -> int:
        key = self.ecdsa_key
        if key is None:
            return -1
        if not self._ecdsa_cdata:
            priv = ffi.new("unsigned char[]", key.private)
            x = ffi.new("unsigned char[]", key.public_x)
            y = ffi.new("unsigned char[]", key.public_y)
            ck = ffi.new("dtls_ecdsa_key_t *", {"curve": lib.DTLS_ECDH_CURVE_SECP256R1,
                                                "priv_key": priv, "pub_key_x": x, "pub_key_y": y})
            self._ecdsa_cdata = [ck, priv, x, y]
        result[0] = self._ecdsa_cdata[0]
        return 0

    def _cb_verify_key(self, addr: Address, x: bytes, y: bytes) -> int:
        if self.verify_peer_key is None or not self.verify_peer_key(addr, x, y):
            return alert_error(Alert.BAD_CERTIFICATE)
        return 0


def _dispatch(ctx: Any, default: int, call: Callable[[DtlsContext], Any]) -> Any:
    """Run a callback on the DtlsContext behind ctx->app. An exception is kept on the context and
    re-raised by the Python call that entered TinyDTLS; TinyDTLS sees `default`."""
    context: DtlsContext = ffi.from_handle(ctx.app)
    try:
        return call(context)
    except BaseException as exc:  # noqa: BLE001 - must not unwind through C
        if context._pending_error is None:
            context._pending_error = exc
        return default


@ffi.def_extern()
def _esse_write(ctx: Any, session: Any, buf: Any, length: int) -> int:
    data = bytes(ffi.buffer(buf, length))
    return _dispatch(ctx, -1, lambda c: c._cb_write(address_from_session(session), data))


@ffi.def_extern()
def _esse_read(ctx: Any, session: Any, buf: Any, length: int) -> int:
    data = bytes(ffi.buffer(buf, length))
    _dispatch(ctx, -1, lambda c: c._cb_read(address_from_session(session), data))
    return 0


@ffi.def_extern()
def _esse_event(ctx: Any, session: Any, level: int, code: int) -> int:
    _dispatch(ctx, 0, lambda c: c._cb_event(address_from_session(session), int(level), int(code)))
    return 0


@ffi.def_extern()
def _esse_get_user_parameters(ctx: Any, session: Any, params: Any) -> None:
    _dispatch(ctx, 0, lambda c: c._cb_user_parameters(params))


@ffi.def_extern()
def _esse_get_psk_info(ctx: Any, session: Any, kind: int, desc: Any, desc_len: int, result: Any,
                       result_len: int) -> int:
    d = bytes(ffi.buffer(desc, desc_len)) if desc != ffi.NULL and desc_len else b""
    return _dispatch(ctx, alert_error(Alert.INTERNAL_ERROR),
                     lambda c: c._cb_psk_info(int(kind), d, result, int(result_len)))


@ffi.def_extern()
def _esse_get_ecdsa_key(ctx: Any, session: Any, result: Any) -> int:
    return _dispatch(ctx, -1, lambda c: c._cb_ecdsa_key(result))


@ffi.def_extern()
def _esse_verify_ecdsa_key(ctx: Any, session: Any, x: Any, y: Any, size: int) -> int:
    px, py = bytes(ffi.buffer(x, size)), bytes(ffi.buffer(y, size))
    return _dispatch(ctx, alert_error(Alert.BAD_CERTIFICATE),
                     lambda c: c._cb_verify_key(address_from_session(session), px, py))


__all__ = [
    "Address", "Alert", "AlertLevel", "Cipher", "DtlsContext", "DtlsError", "DtlsEvent", "EcdsaKey",
    "ExtensionNotBuilt", "PeerInfo", "PeerState", "PskStore", "address_from_session", "alert_error",
    "ffi", "lib", "load_ffi", "normalize_address", "now_ticks", "session_from_address", "set_log_level",
    "ticks_at", "version",
]
