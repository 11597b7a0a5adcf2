"""cffi (API mode) build of the host TinyDTLS: the patched tree from the pipeline, compiled for POSIX.

    python harness/tinydtls/_build_tinydtls.py      # builds harness/tinydtls/_tinydtls_cffi*.so in place

The cdef is assembled from `cdef/*.cdef` (sorted by name) and the C glue from `cdef/*.c` next to this
file, so another area can extend the binding (e.g. a key-export accessor added by a later patch) by
dropping a numbered pair of files there, without editing this script.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
if str(REPO_ROOT) not in sys.path:  # setup.py loads this file by path, possibly in an isolated build env
    sys.path.insert(0, str(REPO_ROOT))

from cffi import FFI  # noqa: E402

from harness.tinydtls.pipeline import prepare_tree  # noqa: E402

MODULE_NAME = "harness.tinydtls._tinydtls_cffi"
CDEF_DIR = HERE / "cdef"
# The host replaces TinyDTLS's affine secp256r1 code (ecc/ecc.c, still what the mote firmware runs) with
# the same ecc/ecc.h API on libcrypto: the SSM's ECDHE handshakes are dominated by the public-key work.
HOST_ECC_DIR = HERE / "host_ecc"
HOST_ECC_SOURCES = [HOST_ECC_DIR / "ecc_libcrypto.c"]

# The host library: everything but the other platforms' files.
HOST_SOURCES = [
    "ccm.c", "crypto.c", "dtls.c", "dtls_debug.c", "dtls_time.c", "hmac.c", "netq.c", "peer.c",
    "session.c", "aes/rijndael.c", "aes/rijndael_wrap.c", "sha2/sha2.c",
    "platform-specific/dtls_prng_posix.c",
]
HOST_DEFINES = [("DTLSv12", "1"), ("WITH_SHA256", "1"), ("DTLS_CHECK_CONTENTTYPE", "1"), ("_GNU_SOURCE", "1")]
# -UNDEBUG: Python's CFLAGS define NDEBUG, which would drop TinyDTLS's logging API and its assertions.
# The -Wno-*: upstream code; keep its known harmless warnings out of our build logs.
HOST_CFLAGS = ["-O2", "-UNDEBUG", "-Wno-unused-variable", "-Wno-unused-function", "-Wno-unused-parameter"]


def cdef_fragments() -> tuple[str, str]:
    """(cdef text, C glue text) from the numbered fragment files."""
    cdefs = [p.read_text() for p in sorted(CDEF_DIR.glob("*.cdef"))]
    glue = [p.read_text() for p in sorted(CDEF_DIR.glob("*.c"))]
    return "\n".join(cdefs), "\n".join(glue)


def c_inputs() -> list[Path]:
    """Files whose change means the extension must be rebuilt (used by tests' build fixture)."""
    return [Path(__file__), *sorted(CDEF_DIR.glob("*.cdef")), *sorted(CDEF_DIR.glob("*.c")),
            *sorted(HOST_ECC_DIR.glob("*.[ch]"))]


def _source_path(path: Path) -> str:
    """Sources under the repository are given relative to it: distutils mirrors a source's path below
    its temp dir for the object file, and both `compile(tmpdir=REPO_ROOT)` and setup.py run from
    REPO_ROOT, so the objects land next to the tree in build/ instead of under a copy of /abs/path."""
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def _require_openssl_headers() -> None:
    """Stop with the package to install when libcrypto's headers are missing (host_ecc needs them)."""
    roots = [Path("/usr/include"), Path("/usr/local/include"), Path("/opt/homebrew/include")]
    if any((r / "openssl" / "ec.h").is_file() for r in roots):
        return
    pkg_config = shutil.which("pkg-config")
    if pkg_config and subprocess.run([pkg_config, "--exists", "libcrypto"], check=False).returncode == 0:
        return
    raise SystemExit(
        "the host TinyDTLS needs OpenSSL 3's headers (openssl/ec.h) for its secp256r1 backend "
        "(harness/tinydtls/host_ecc): apt-get install libssl-dev"
    )


def make_ffibuilder() -> FFI:
    """The cffi builder of the host TinyDTLS (patched tree, cdef fragments, libcrypto secp256r1)."""
    _require_openssl_headers()
    tree = prepare_tree()
    cdef, glue = cdef_fragments()
    builder = FFI()
    builder.cdef(cdef)
    headers = ("tinydtls.h", "dtls.h", "dtls_debug.h", "dtls_time.h", "peer.h", "session.h")
    header = "\n".join(f'#include "{h}"' for h in headers)
    builder.set_source(
        MODULE_NAME,
        header + "\n#include <string.h>\n#include <netinet/in.h>\n#include <arpa/inet.h>\n\n" + glue,
        sources=[_source_path(tree / s) for s in HOST_SOURCES] + [_source_path(s) for s in HOST_ECC_SOURCES],
        include_dirs=[str(tree), str(HERE)],
        libraries=["crypto"],
        define_macros=HOST_DEFINES,
        extra_compile_args=HOST_CFLAGS,
    )
    return builder


ffibuilder = make_ffibuilder()

if __name__ == "__main__":
    ffibuilder.compile(tmpdir=str(REPO_ROOT), verbose=False)
