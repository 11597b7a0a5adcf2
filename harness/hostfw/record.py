"""Host build of the C record layer and CCS message codec (`harness.hostfw._record`), with a clear error
when the extension is not built yet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.cffi_build import CffiExtension
from harness.paths import REPO_ROOT

HERE = Path(__file__).resolve().parent


def _record_inputs() -> list[Path]:
    """The C record layer and CCS message codec the extension compiles (firmware/ is their home)."""
    firmware = REPO_ROOT / "firmware"
    return [p for folder in ("dtls_record", "ssm_client") for p in (firmware / folder).glob("*.[ch]")]


RECORD = CffiExtension("harness.hostfw._record", HERE / "_build_record.py", _record_inputs)


def load_record() -> tuple[Any, Any]:
    """(ffi, lib) of harness.hostfw._record, or ExtensionNotBuilt saying how to build it."""
    ext = RECORD.load()
    return ext.ffi, ext.lib


def ensure_record_extension() -> tuple[Any, Any]:
    """Build harness.hostfw._record if it is missing or stale (tests' fixture, stand-in CCS), then load it."""
    RECORD.ensure_built()
    return load_record()
