"""The authentication server (AS): checks an AS_REQUEST against its SQLite repository, derives PSK_DN,
answers with AS_RESPONSE or AS_ERROR. Nothing is stored unless every check passes."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from . import messages as m
from .repository import Issued, Repository, digest

log = logging.getLogger("esse.bootstrap.as")

DEFAULT_WINDOW = 30.0  # seconds either side of the AS's clock that a TS may differ


class AuthServer:
    """The AS logic: `handle(datagram) -> reply`; the clock `now()` is injectable (tests need no sleeps)."""

    def __init__(
        self, repo: Repository, now: Callable[[], float] = time.time, window: float = DEFAULT_WINDOW
    ) -> None:
        self.repo = repo
        self.now = now
        self.window = window
        self.refusals: list[m.BootError] = []

    def handle(self, data: bytes) -> bytes | None:
        """Answer one AS_REQUEST; None for a datagram too broken to name its controller and TID."""
        try:
            return self._issue(data)
        except m.BootError as err:
            self.refusals.append(err)
            log.warning("refused: %s", err)
            if len(data) < 7 or data[0] != m.AS_REQUEST:
                return None
            return m.as_error(int.from_bytes(data[1:3], "big"), int.from_bytes(data[3:7], "big"), err.code)

    def _issue(self, data: bytes) -> bytes:
        req = m.AsRequest.decode(data)
        ctl = self.repo.controller(req.id_c)
        if ctl is None:
            raise m.BootError("controller_auth", f"controller {req.id_c} is not registered")
        sk_cs, last_tid = ctl
        if not req.verify(sk_cs):
            raise m.BootError(
                "controller_auth", f"AS_REQUEST from controller {req.id_c} fails its tag under SK_cs"
            )
        seen = self.repo.transaction_digest(req.id_c, req.tid)
        if seen is not None and seen == digest(data):
            raise m.BootError(
                "replay", f"AS_REQUEST TID {req.tid} of controller {req.id_c} was already answered"
            )
        if seen is not None or req.tid <= last_tid:
            raise m.BootError(
                "tid", f"TID {req.tid} is not above controller {req.id_c}'s last TID {last_tid}"
            )
        skew = self.now() - req.ts
        if abs(skew) > self.window:
            raise m.BootError(
                "stale_ts", f"TS {req.ts} is {skew:+.0f} s from the AS clock (window {self.window:g} s)"
            )
        boot = m.BootRequest.decode(req.request)
        ik = self.repo.device_key(boot.id_d)
        if ik is None:
            raise m.BootError("unknown_device", f"device {boot.id_d} is not in the repository")
        if not boot.verify(ik):
            raise m.BootError("device_auth", f"BOOT_REQUEST of device {boot.id_d} is not made with its IK_d")
        if self.repo.is_revoked(boot.id_d):
            raise m.BootError("revoked", f"device {boot.id_d} is revoked; enrol it again to bootstrap it")
        if self.repo.rn_used("d", boot.id_d, boot.rn_d):
            raise m.BootError("rn_reused", f"RN_d {boot.rn_d.hex()} of device {boot.id_d} was used before")
        if self.repo.rn_used("c", req.id_c, req.rn_c):
            raise m.BootError("rn_reused", f"RN_c {req.rn_c.hex()} of controller {req.id_c} was used before")
        context = m.kdf_context(boot.id_d, req.id_c, req.tid, req.ts, boot.rn_d, req.rn_c)
        psk = m.derive_psk(ik, context)
        device_tag = m.BootResponse(boot.id_d, req.id_c, req.tid, req.ts, req.rn_c).tag_for(ik, boot.rn_d)
        self.repo.record_issue(data, Issued(boot.id_d, psk, req.id_c, req.tid, req.ts), boot.rn_d, req.rn_c)
        log.info("issued PSK_DN to device %d (controller %d, TID %d)", boot.id_d, req.id_c, req.tid)
        return m.AsResponse(req.id_c, req.tid, boot.id_d, device_tag, psk).encode(sk_cs, req.rn_c)
