"""Host build of the C record layer and CCS message codec (`harness.ssm._record`), with a clear error
when the extension is not built yet."""

from __future__ import annotations

from typing import Any


class RecordExtensionNotBuilt(ImportError):
    pass


def load_record() -> tuple[Any, Any]:
    """(ffi, lib) of harness.ssm._record."""
    try:
        from harness.ssm import _record  # type: ignore[attr-defined]
    except ImportError as exc:
        raise RecordExtensionNotBuilt(
            "the record-layer extension harness.ssm._record is not built; run:\n"
            "    python harness/ssm/_build_record.py\n"
            "(or reinstall: pip install -e '.[dev]')"
        ) from exc
    return _record.ffi, _record.lib


def build_record_extension() -> None:
    """Compile harness.ssm._record in place (what the tests' fixture and the stand-in CCS call)."""
    import os
    import runpy

    from harness.paths import REPO_ROOT

    cwd = os.getcwd()
    try:
        os.chdir(REPO_ROOT)
        runpy.run_path(str(REPO_ROOT / "harness" / "ssm" / "_build_record.py"), run_name="__main__")
    finally:
        os.chdir(cwd)


def record_sources_newer_than_extension() -> bool:
    """True when the extension is missing or older than one of its C sources or its build script."""
    from harness.paths import REPO_ROOT

    here = REPO_ROOT / "harness" / "ssm"
    built = sorted(here.glob("_record.*.so"))
    if not built:
        return True
    stamp = built[-1].stat().st_mtime
    inputs = [here / "_build_record.py"]
    for folder in ("dtls_record", "ssm_client"):
        inputs += list((REPO_ROOT / "firmware" / folder).glob("*.[ch]"))
    return any(p.stat().st_mtime > stamp for p in inputs)


def ensure_record_extension() -> tuple[Any, Any]:
    if record_sources_newer_than_extension():
        build_record_extension()
    return load_record()
