"""The device side in C (firmware/bootstrap) on the host through cffi: what tests and a host stand-in
mote run against the Python controller and AS. Built when missing or stale."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.cffi_build import CffiExtension
from harness.paths import REPO_ROOT

HERE = Path(__file__).resolve().parent


def _inputs() -> list[Path]:
    firmware = REPO_ROOT / "firmware"
    return [p for folder in ("dtls_record", "bootstrap") for p in (firmware / folder).glob("*.[ch]")]


BOOT = CffiExtension("harness.bootstrap._boot", HERE / "_build_boot.py", _inputs)


class DeviceError(ValueError):
    """The C device refused a message; `code` is its ESSE_BOOT_ERR_* value."""

    def __init__(self, code: int) -> None:
        super().__init__(f"device refused the message (ESSE_BOOT_ERR {code})")
        self.code = code


def load() -> tuple[Any, Any]:
    """(ffi, lib) of harness.bootstrap._boot, building it first if needed."""
    BOOT.ensure_built()
    ext = BOOT.load()
    return ext.ffi, ext.lib


class CDevice:
    """One mote's bootstrapping state (esse_boot_t) driven from Python."""

    def __init__(self, ik: bytes, node_id: int) -> None:
        self.ffi, self.lib = load()
        self.state = self.ffi.new("esse_boot_t *")
        self.lib.esse_boot_init(self.state, ik, node_id)

    def request(self, rn_d: bytes) -> bytes:
        """BOOT_REQUEST for a fresh RN_d."""
        out = self.ffi.new("uint8_t[]", 64)
        n = self.lib.esse_boot_request(self.state, rn_d, out, 64)
        if n < 0:
            raise DeviceError(n)
        return bytes(self.ffi.buffer(out, n))

    def accept(self, response: bytes) -> tuple[bytes, bytes]:
        """(PSK_DN, BOOT_CONFIRM) for a BOOT_RESPONSE, or DeviceError."""
        psk = self.ffi.new("uint8_t[16]")
        out = self.ffi.new("uint8_t[]", 64)
        n = self.lib.esse_boot_accept(self.state, response, len(response), psk, out, 64)
        if n < 0:
            raise DeviceError(n)
        return bytes(psk), bytes(self.ffi.buffer(out, n))

    def expect_ack(self, psk_dn: bytes, response: bytes) -> bytes:
        """The BOOT_ACK this device will accept for the confirmation of `response` (DeviceError if none)."""
        out = self.ffi.new("uint8_t[15]")
        n = self.lib.esse_boot_expect_ack(psk_dn, response, len(response), out)
        if n < 0:
            raise DeviceError(n)
        return bytes(out)

    def ack_match(self, expected: bytes, ack: bytes) -> int:
        """0 when `ack` is the expected BOOT_ACK, else the device's ESSE_BOOT_ERR_* code."""
        return int(self.lib.esse_boot_ack_match(expected, ack, len(ack)))

    @property
    def pending(self) -> bool:
        """Whether a request awaits its response."""
        return bool(self.state.pending)
