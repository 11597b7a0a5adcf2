"""Pinned TinyDTLS: the fetch/verify/patch pipeline, the host binding through cffi, the mote profiles.

    pipeline     prepare_tree() -> build/tinydtls/<hash of UPSTREAM + series + patches>/ (STAMP inside)
    binding      DtlsContext (PSK and ECDHE-ECDSA raw public keys), PskStore, EcdsaKey, events/alerts
    udp          DtlsServer / DtlsClient: asyncio UDP sockets driving a DtlsContext, retransmissions on a
                 harness.clock Clock (the one home of DTLS over asyncio UDP)
    mote_link    a TinyDTLS profile on the emulated mote talking to a host DtlsContext over UART1
    extension    ensure_built(): build the cffi module if missing or stale (before importing binding)
    profiles     record / psk / ecc builds for the MSP430F1611 and their sizes
    firmware     importing it registers those, ccs-tinydtls and ccs-full with `build_all()` (the CLI,
                 tasks and the demo import it; this package itself must not: the cffi build script
                 imports the pipeline at install time, before pyelftools is there)
    cdef/        numbered cdef + C-glue fragments; add a pair there to extend the binding

The binding and udp names below are imported lazily so that the pipeline, which the cffi build script
itself runs, works before the extension exists.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    **{name: "binding" for name in (
        "Address", "Alert", "AlertLevel", "Cipher", "DtlsContext", "DtlsError", "DtlsEvent", "EcdsaKey",
        "ExtensionNotBuilt", "PeerInfo", "PeerState", "PskStore", "alert_error", "normalize_address",
        "set_log_level",
    )},
    **{name: "udp" for name in ("DtlsEndpoint", "DtlsServer", "DtlsClient")},
    **{name: "pipeline" for name in (
        "prepare_tree", "PatchFailed", "SdistHashMismatch", "TinyDtlsPipelineError",
    )},
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'harness.tinydtls' has no attribute {name!r}")
    return getattr(importlib.import_module(f"harness.tinydtls.{module}"), name)


__all__ = sorted(_LAZY)

