"""Is the host TinyDTLS extension built and current? Build it if not (used by tests and tools).

Call `ensure_built()` before the first `import harness.tinydtls.binding` in a process: a module that
is already loaded cannot be replaced.
"""

from __future__ import annotations

from pathlib import Path

from harness import paths
from harness.cffi_build import CffiExtension

HERE = Path(__file__).resolve().parent


def inputs() -> list[Path]:
    """What the extension is built from besides its build script (the TinyDTLS tree itself is keyed
    by the patches; the cdef/ fragments include the delegator's key export; host_ecc/ is the
    libcrypto secp256r1 backend that replaces TinyDTLS's ecc.c on the host)."""
    cdef_dir = HERE / "cdef"
    patches = paths.TINYDTLS_PATCHES_DIR
    return [*sorted(cdef_dir.glob("*")), *sorted((HERE / "host_ecc").glob("*.[ch]")),
            *sorted(p for p in patches.glob("*") if p.is_file())]


EXTENSION = CffiExtension("harness.tinydtls._tinydtls_cffi", HERE / "_build_tinydtls.py", inputs)


def ensure_built() -> Path:
    """Build the extension in place if it is missing or older than its inputs; return its path."""
    return EXTENSION.ensure_built()
