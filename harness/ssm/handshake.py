"""The delegator's use of TinyDTLS: key export and peer retirement (tinydtls_patches/0010-key-export.patch)
through H2's binding (harness.tinydtls.binding) extended by the cdef fragment
harness/tinydtls/cdef/50-esse-key-export.{cdef,c}."""

from __future__ import annotations

from typing import Any

from harness.tinydtls.extension import ensure_built
from harness.wire.ssm import KEYSTATE_LEN, KeyState


def ensure_tinydtls_extension() -> Any:
    """Build H2's TinyDTLS extension if missing/stale, then return the binding module."""
    ensure_built()
    from harness.tinydtls import binding

    return binding


def _binding() -> Any:
    from harness.tinydtls import binding

    return binding


def export_keys(ctx: Any, addr: Any) -> KeyState | None:
    """The record state of the connected peer at addr as the 75-byte key state, or None.

    Key bytes go from TinyDTLS's export struct straight into bytearrays (which the caller wipes)
    and the export struct is zeroed before it is released."""
    b = _binding()
    ffi, lib = b.ffi, b.lib
    out = ffi.new("dtls_key_export_t *")
    try:
        if lib.dtls_export_keys(ctx.raw, b.session_from_address(addr), out) != 0:
            return None
        body = bytearray(KEYSTATE_LEN)
        body[0:8] = ffi.buffer(out.session_id, 8)
        ks = KeyState(
            bytes(body[0:8]),
            int(out.cipher_suite),
            int(out.version),
            1 if int(out.role) == int(lib.DTLS_SERVER) else 0,
            int(out.epoch),
            int(out.next_send_seq),
            int(out.recv_seq),
            int(out.recv_window),
            bytearray(16),
            bytearray(16),
            bytearray(4),
            bytearray(4),
        )
        ks.client_write_key[:] = ffi.buffer(out.client_write_key, 16)
        ks.server_write_key[:] = ffi.buffer(out.server_write_key, 16)
        ks.client_iv[:] = ffi.buffer(out.client_iv, 4)
        ks.server_iv[:] = ffi.buffer(out.server_iv, 4)
        return ks
    finally:
        ffi.memmove(out, bytes(ffi.sizeof("dtls_key_export_t")), ffi.sizeof("dtls_key_export_t"))


def psk_identity(ctx: Any, addr: Any) -> bytes | None:
    """The PSK identity a (still handshaking or just connected) peer used."""
    b = _binding()
    peer = ctx.raw_peer(addr)
    if peer is None:
        return None
    buf = b.ffi.new("unsigned char[64]")
    n = b.lib.esse_peer_psk_identity(peer, buf, 64)
    return None if n < 0 else bytes(b.ffi.buffer(buf, n))


def wipe_peer(ctx: Any, addr: Any) -> int | None:
    """Wipe the peer's key material in place; returns the count of non-zero key bytes left (0)."""
    b = _binding()
    peer = ctx.raw_peer(addr)
    if peer is None:
        return None
    b.lib.dtls_wipe_peer_keys(ctx.raw, peer)
    return int(b.lib.esse_peer_key_bytes_nonzero(peer))


def key_bytes_held(ctx: Any, addr: Any) -> int | None:
    """Bytes of key material TinyDTLS still holds for a peer (None: no peer)."""
    b = _binding()
    peer = ctx.raw_peer(addr)
    return None if peer is None else int(b.lib.esse_peer_key_bytes_nonzero(peer))


def retire(ctx: Any, addr: Any) -> bool:
    """Wipe and drop the peer without sending anything on it."""
    b = _binding()
    return b.lib.dtls_retire_peer(ctx.raw, b.session_from_address(addr)) == 0


def peer_count(ctx: Any) -> int:
    """Number of peers in a TinyDTLS context."""
    b = _binding()
    return int(b.lib.esse_peer_count(ctx.raw))
