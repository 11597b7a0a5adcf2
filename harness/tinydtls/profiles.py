"""TinyDTLS mote profiles: the patched TinyDTLS built for the MSP430F1611 in three configurations.

    record  record layer only (AES-128-CCM-8 from crypto.c/ccm.c/rijndael.c), no handshake code
    psk     full TinyDTLS engine, TLS_PSK_WITH_AES_128_CCM_8
    ecc     full engine, PSK + TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 (raw public keys)

Each is a small test app (firmware/tinydtls_platform/profiles/) + the TinyDTLS sources it needs +
the platform glue (firmware/tinydtls_platform/), linked by harness.build into
build_dir()/tinydtls-<profile>/tinydtls-<profile>.sky.

    python -m harness.tinydtls.profiles [PROFILE...]     # build and print the size table
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from harness import paths
from harness.tinydtls.pipeline import TinyDtlsPipelineError, prepare_tree

if TYPE_CHECKING:
    from harness.build.firmware import BuildResult

PLATFORM_DIR = paths.FIRMWARE_DIR / "tinydtls_platform"

RECORD_SOURCES = ["crypto.c", "ccm.c", "aes/rijndael.c", "aes/rijndael_wrap.c"]
# TinyDTLS's T-table AES; the images that link the firmware's compact AES-128 anyway swap it for
# tinydtls_platform/rijndael_esse.c (its rijndael_ctx API on firmware/dtls_record/aes128.c): 6.5 KB less
TTABLE_AES = ("aes/rijndael.c", "aes/rijndael_wrap.c")
ENGINE_SOURCES = [
    "dtls.c", "crypto.c", "ccm.c", "hmac.c", "netq.c", "peer.c", "session.c",
    "aes/rijndael.c", "aes/rijndael_wrap.c", "sha2/sha2.c",
]
# the crypto alone (firmware/apps/crypto_kat measures it), P-256, and the PRNG glue ECDSA needs
CRYPTO_SOURCES = ["crypto.c", "ccm.c", "hmac.c", "aes/rijndael.c", "aes/rijndael_wrap.c", "sha2/sha2.c"]
ECC_SOURCES = ["ecc/ecc.c"]
PRNG_GLUE_SOURCES = ["dtls_prng.c", "entropy_adc12.c"]
GLUE_SOURCES = ["dtls_clock.c", "dtls_pools.c", *PRNG_GLUE_SOURCES, "platform_assert.c"]

COMMON_DEFINES = ["WITH_BAREMETAL", "DTLSv12", "WITH_SHA256", "NDEBUG"]
# upstream TinyDTLS: its unused-code warnings are not ours to fix; -idirafter: our compat libc
# headers only fill in what firmware/sys/include does not provide
TINYDTLS_CFLAGS = ["-Wno-unused-parameter", "-Wno-unused-function", "-Wno-unused-variable"]


@dataclass(frozen=True)
class Profile:
    """A TinyDTLS build profile for the mote (suites, features, main file)."""
    name: str
    main: str  # under firmware/tinydtls_platform/profiles/
    tinydtls_sources: list[str]
    defines: list[str]
    glue: list[str] = field(default_factory=list)
    # symbols that must (not) be in the linked image: the profile's definition, checked by tests
    must_link: list[str] = field(default_factory=list)
    must_not_link: list[str] = field(default_factory=list)

    @property
    def firmware_name(self) -> str:
        """The firmware app name of this profile."""
        return f"tinydtls-{self.name}"


PROFILES: dict[str, Profile] = {
    "record": Profile(
        "record", "record_main.c", RECORD_SOURCES, ["DTLS_PSK"],
        must_link=["dtls_encrypt_params", "dtls_decrypt_params", "rijndaelEncrypt"],
        must_not_link=["dtls_handle_message", "dtls_connect", "dtls_prf", "dtls_sha256_update"],
    ),
    "psk": Profile(
        "psk", "handshake_main.c", ENGINE_SOURCES, ["DTLS_PSK"], GLUE_SOURCES,
        must_link=["dtls_handle_message", "dtls_connect", "dtls_prf", "dtls_pool_alloc", "dtls_prng",
                   "tinydtls_entropy_collect"],
        must_not_link=["ecc_ec_mult", "dtls_ecdsa_create_sig"],
    ),
    "ecc": Profile(
        "ecc", "handshake_main.c", [*ENGINE_SOURCES, *ECC_SOURCES], ["DTLS_PSK", "DTLS_ECC"], GLUE_SOURCES,
        must_link=["dtls_handle_message", "ecc_ec_mult", "ecc_ecdsa_sign", "ecc_ecdsa_validate",
                   "dtls_ecdsa_create_sig", "dtls_ecdsa_verify_sig", "dtls_prng"],
    ),
}


def build_profile(
    name: str,
    *,
    clean: bool = False,
    jobs: int | None = None,
    log: Callable[[str], None] | None = None,
    build_root: Path | None = None,
) -> BuildResult:  # harness.build imported lazily: the host binding does not need the MSP430 build
    """Build one profile (incremental) into <build_root or build_dir()>/tinydtls-<name>/."""
    from harness.build import BuildError, build_firmware

    profile = PROFILES[name]
    try:
        tree = prepare_tree()
    except TinyDtlsPipelineError as exc:
        raise BuildError(f"TinyDTLS profile '{name}': {exc}") from exc
    out = (build_root or paths.build_dir()) / profile.firmware_name
    if clean and out.exists():
        shutil.rmtree(out)
    sources: list[Path] = [PLATFORM_DIR / "profiles" / profile.main]
    sources += [PLATFORM_DIR / g for g in profile.glue]
    sources += [tree / s for s in profile.tinydtls_sources]
    return build_firmware(
        profile.firmware_name,
        sources,
        include_dirs=[tree, PLATFORM_DIR / "include"],
        defines=[*COMMON_DEFINES, *profile.defines],
        cflags=[*TINYDTLS_CFLAGS, "-idirafter", str(PLATFORM_DIR / "compat")],
        out_dir=out,
        jobs=jobs,
        log=log,
    )


def build_profiles(
    names: Sequence[str] | None = None,
    *,
    clean: bool = False,
    jobs: int | None = None,
    log: Callable[[str], None] | None = None,
    build_root: Path | None = None,
) -> list:
    """Build the named profiles (default: all); returns harness.build BuildResults."""
    unknown = [n for n in names or () if n not in PROFILES]
    if unknown:
        raise KeyError(f"unknown TinyDTLS profile(s) {', '.join(unknown)}; known: {', '.join(PROFILES)}")
    results = []
    for name in names or PROFILES:
        if log:
            log(f"building tinydtls profile {name}")
        results.append(build_profile(name, clean=clean, jobs=jobs, log=log, build_root=build_root))
    return results


_MAP_INPUT = re.compile(r"^\s*[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+\s+(\S.*\.o):\((\S+)\)\s*$")


def component_sizes(name: str, result: BuildResult) -> dict[str, tuple[int, int]]:
    """Flash and RAM bytes per component of a built profile, from the linker map:
    'tinydtls' (the patched sources), 'glue' (firmware/tinydtls_platform), 'app' (the profile's
    main) and 'board' (firmware/sys and everything else)."""
    from harness.build.compile import object_path

    profile = PROFILES[name]
    tree = prepare_tree()
    obj_dir = result.elf.parent / "obj"
    owner = {object_path(tree / s, obj_dir).resolve(): "tinydtls" for s in profile.tinydtls_sources}
    owner.update({object_path(PLATFORM_DIR / g, obj_dir).resolve(): "glue" for g in profile.glue})
    owner[object_path(PLATFORM_DIR / "profiles" / profile.main, obj_dir).resolve()] = "app"
    sizes = {k: [0, 0] for k in COMPONENTS}
    for line in result.map.read_text().splitlines():
        m = _MAP_INPUT.match(line)
        if not m:
            continue
        size, obj, section = int(m.group(1), 16), Path(m.group(2)).resolve(), m.group(3)
        entry = sizes[owner.get(obj, "board")]
        if section.startswith((".bss", ".noinit")):
            entry[1] += size
        elif section.startswith(".data"):
            entry[0] += size
            entry[1] += size
        elif section.startswith((".text", ".rodata", ".vectors", ".crt0", "__interrupt_vector")):
            entry[0] += size
    return {k: (v[0], v[1]) for k, v in sizes.items()}


COMPONENTS = ("tinydtls", "glue", "app", "board")


def format_components(rows: Sequence[tuple[str, dict[str, tuple[int, int]]]]) -> str:
    """The per-component table printed under the size table (bytes flash/RAM)."""
    lines = [f"{'profile':<16}" + "".join(f"{c + ' flash/RAM':>22}" for c in COMPONENTS)]
    for name, parts in rows:
        lines.append(f"{name:<16}" + "".join(f"{f'{parts[c][0]}/{parts[c][1]}':>22}" for c in COMPONENTS))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: build and report the profiles."""
    from harness.tinydtls.cli import profiles_command

    return profiles_command(list(argv if argv is not None else sys.argv[1:]))


if __name__ == "__main__":
    sys.exit(main())
