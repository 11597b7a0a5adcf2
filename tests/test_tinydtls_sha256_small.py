"""SHA2_SMALL_TRANSFORM (tinydtls_patches/0031, what ccs-full-ecc builds TinyDTLS's SHA-256 with): the
patched sha2.c compiled for the host with and without it, each against hashlib (FIPS 180-4) over
lengths around the 64-byte block and its 56-byte padding boundary."""

from __future__ import annotations

import ctypes
import hashlib
import random
import subprocess
from pathlib import Path

import pytest
from requirements import require_tool

from harness.tinydtls.pipeline import prepare_tree

GLUE = r"""
#include "sha2/sha2.h"
void esse_sha256(const unsigned char *data, size_t len, unsigned char out[32]) {
    dtls_sha256_ctx c;
    dtls_sha256_init(&c);
    /* in two pieces: the buffering between update calls too */
    dtls_sha256_update(&c, data, len / 3);
    dtls_sha256_update(&c, data + len / 3, len - len / 3);
    dtls_sha256_final(out, &c);
}
"""


def host_sha256(tmp: Path, small: bool) -> ctypes.CDLL:
    """The tree's sha2.c as a host shared library (SHA2_SMALL_TRANSFORM or the default transform)."""
    cc = require_tool("gcc", "build-essential")
    tree = prepare_tree()
    (tmp / "glue.c").write_text(GLUE)
    lib = tmp / f"sha2-{small}.so"
    defines = ["-DWITH_SHA256", *(["-DSHA2_SMALL_TRANSFORM"] if small else [])]
    subprocess.run([cc, "-O1", "-shared", "-fPIC", *defines, "-I", str(tree), str(tree / "sha2" / "sha2.c"),
                    str(tmp / "glue.c"), "-o", str(lib)], check=True)
    return ctypes.CDLL(str(lib))


@pytest.mark.parametrize("small", [True, False], ids=["small", "default"])
def test_sha256_transform_matches_hashlib(tmp_path: Path, small: bool) -> None:
    lib = host_sha256(tmp_path, small)
    rng = random.Random(31)
    for n in [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 4099]:
        data = bytes(rng.randrange(256) for _ in range(n))
        out = ctypes.create_string_buffer(32)
        lib.esse_sha256(data, ctypes.c_size_t(n), out)
        assert out.raw == hashlib.sha256(data).digest(), n
