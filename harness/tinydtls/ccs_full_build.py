"""The baseline ESSE is compared against: the CCS with the full TinyDTLS handshake on the mote, reachable
over 6LoWPAN like the ESSE `ccs` (firmware/tinydtls_platform/ccs_full/ccs_full.c).

    ccs-full-psk       TLS_PSK_WITH_AES_128_CCM_8, DTLS server on UDP 61620
    ccs-full-ecc       TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 with raw public keys, same port
    ccs-full-*-lpl     the same with low-power listening (firmware/dev/lpl.h), like ccs_lpl

Each links firmware/apps/ccs's resources and CoAP-over-DTLS answers (ccs_app.c, ccs_coaps.c, sensors),
the net stack and radio, the TinyDTLS engine and the platform glue; not the SSM client, the
information flash or bootstrapping (what a sensor that handshakes itself does not need).

    python -m harness.tinydtls.ccs_full_build [NAME...]    # build and print the size table
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import paths
from harness.build.manifest import load_app
from harness.tinydtls.pipeline import TinyDtlsPipelineError, prepare_tree
from harness.tinydtls.profiles import (
    COMMON_DEFINES,
    ECC_SOURCES,
    ENGINE_SOURCES,
    GLUE_SOURCES,
    PLATFORM_DIR,
    TINYDTLS_CFLAGS,
    TTABLE_AES,
)

SOURCE_DIR = PLATFORM_DIR / "ccs_full"
# what the ccs app contributes: resources, CoAP inside DTLS, sensors (not main.c, not ccs_secure.c)
CCS_SOURCES = ["ccs_app.c", "ccs_coaps.c", "ccs_sensors.c", "ccs_temperature.c"]
LPL_DEFINES = ["LPL_TX=1", "LPL_RX=1"]
# what the ccs app drops for this baseline (firmware/apps/ccs/ccs_app.c): the CoAP client, the plain
# CoAP server on 5683 (the resources are served inside DTLS), bootstrapping and RD registration (ESSE's)
TRIMS = ["CCS_NO_COAP_CLIENT", "CCS_NO_PLAIN_COAP", "CCS_BOOTSTRAP=0", "CCS_RD=0"]
# TinyDTLS's T-table AES (profiles.TTABLE_AES) swapped for the firmware's compact one: 6.5 KB less flash
COMPACT_AES = [PLATFORM_DIR / "rijndael_esse.c", paths.FIRMWARE_DIR / "dtls_record" / "aes128.c"]

# what clients need (the same values as ccs_full.h)
DTLS_PORT = 61620
PSK_IDENTITY = b"alice"
PSK_KEY = b"secretPSK"
# the sensor's raw public key (secp256r1) and the one client key it accepts
SENSOR_PUBLIC_X = "685ec652e9c823534f8571c1ad0a141b2ce55ad696539ca6fde2667a35705e21"
SENSOR_PUBLIC_Y = "6790b1ebd67b01e1df03032e8f1ff7a6cb5f33077a0523eb76f475626e0901c1"
CLIENT_PRIVATE = "537eca309d0352ed30fc5319f0643a3570a56adfe5c9149d5f8b609ffe76a88d"
CLIENT_PUBLIC_X = "28f94ed34f25023f77dff65ab40cab53e94385e29b15d9a62c2dabdfba2712ec"
CLIENT_PUBLIC_Y = "3ef753fb2652ce6dbd758116c65773e77e8844c152d03ead2626d29e0d4611d7"


# TinyDTLS's CCM swapped for the firmware's record-layer CCM (firmware/dtls_record/ccm.c) through
# tinydtls_platform/ccm_esse.c: 820 B less for ccs-full-ecc; ccs-full-psk keeps TinyDTLS's
COMPACT_CCM = [PLATFORM_DIR / "ccm_esse.c", paths.FIRMWARE_DIR / "dtls_record" / "ccm.c",
               paths.FIRMWARE_DIR / "dtls_record" / "esse_util.c"]  # fmt: skip
# What makes ECDHE-ECDSA and the network stack fit, measured on the linked image (flash bytes of
# ccs-full-ecc; firmware/README.md has the table): 58 384 at -Os with both roles; DTLS_SERVER_ONLY
# (tinydtls_patches/0030) -2 858; -Oz for every object of the image -4 576; the firmware's CCM -820;
# SHA2_SMALL_TRANSFORM (tinydtls_patches/0031) -1 528: 48 588 of 49 152.
SIZE_CFLAGS = ["-Oz"]
# the client's flight 5 is six frames 10 ms apart and the mote spends 100 ms on its Certificate (then
# minutes on its CertificateVerify): with the default 3 slots its Finished was dropped
RX_DEFINES = ("CC2420_RX_QUEUE=8u",)


@dataclass(frozen=True)
class Variant:
    """One full-handshake CCS firmware: its name, TinyDTLS defines and sources, radio MAC, and what it
    swaps or sets to fit the F1611 (the firmware's CCM, extra cflags)."""

    name: str
    dtls_defines: tuple[str, ...]
    tinydtls_sources: tuple[str, ...]
    lpl: bool = False
    compact_ccm: bool = False
    cflags: tuple[str, ...] = ()
    defines: tuple[str, ...] = ()


VARIANTS: dict[str, Variant] = {
    v.name: v
    for base in (
        Variant("ccs-full-psk", ("DTLS_PSK",), tuple(ENGINE_SOURCES)),
        # ECC only (the PSK key exchange is not part of this baseline), server role only, the firmware's
        # CCM and -Oz: what makes TinyDTLS's ECDHE-ECDSA and the network stack fit the 48 KB
        Variant("ccs-full-ecc", ("DTLS_ECC", "DTLS_SERVER_ONLY", "SHA2_SMALL_TRANSFORM"),
                tuple(s for s in (*ENGINE_SOURCES, *ECC_SOURCES) if s != "ccm.c"),
                compact_ccm=True, cflags=tuple(SIZE_CFLAGS), defines=RX_DEFINES),
    )
    for v in (base, Variant(f"{base.name}-lpl", base.dtls_defines, base.tinydtls_sources, lpl=True,
                            compact_ccm=base.compact_ccm, cflags=base.cflags, defines=base.defines))
}


# what `esse build` builds: the variants that fit the F1611 (all of them since the record layer's shrink)
FITTING = ("ccs-full-psk", "ccs-full-psk-lpl", "ccs-full-ecc", "ccs-full-ecc-lpl")


def elf_path(name: str, build_root: Path | None = None) -> Path:
    """Where the ELF of a variant lands (what a scenario's `app = NAME` loads)."""
    return (build_root or paths.build_dir()) / name / f"{name}.sky"


def build_variant(
    name: str,
    *,
    clean: bool = False,
    jobs: int | None = None,
    log: Callable[[str], None] | None = None,
    build_root: Path | None = None,
) -> Any:
    """Build one variant (incremental) into <build_root or build_dir()>/<name>/; its BuildResult."""
    from harness.build import BuildError, build_firmware

    if name not in VARIANTS:
        raise BuildError(f"unknown full-handshake CCS {name!r}; known: {', '.join(VARIANTS)}")
    v = VARIANTS[name]
    try:
        tree = prepare_tree()
    except TinyDtlsPipelineError as exc:
        raise BuildError(f"{name}: {exc}") from exc
    spec = load_app(paths.APPS_DIR / "ccs")
    sources: list[Path] = [SOURCE_DIR / "ccs_full.c", *(spec.root / s for s in CCS_SOURCES)]
    sources += [paths.FIRMWARE_DIR / "net" / "radio_cc2420.c"]
    sources += [PLATFORM_DIR / g for g in GLUE_SOURCES]
    sources += [tree / s for s in v.tinydtls_sources if s not in TTABLE_AES] + COMPACT_AES
    sources += COMPACT_CCM if v.compact_ccm else []
    record_dir = paths.FIRMWARE_DIR / "dtls_record"
    defines = [*spec.defines, *TRIMS, *COMMON_DEFINES, *v.dtls_defines]
    out = (build_root or paths.build_dir()) / name
    if clean and out.exists():
        shutil.rmtree(out)
    return build_firmware(
        name,
        sources,
        # TinyDTLS's tree before dtls_record: its sources find their own ccm.h
        include_dirs=[SOURCE_DIR, spec.root, tree, PLATFORM_DIR / "include", record_dir],
        defines=[*defines, *v.defines, *(LPL_DEFINES if v.lpl else [])],
        cflags=[*spec.cflags, *TINYDTLS_CFLAGS, *v.cflags, "-idirafter", str(PLATFORM_DIR / "compat")],
        modules=[m for m in spec.modules if m not in ("ssm_client", "infomem", "bootstrap")],
        out_dir=out,
        jobs=jobs,
        log=log,
    )


def build_ccs_full(
    names: Sequence[str] | None = None,
    *,
    clean: bool = False,
    jobs: int | None = None,
    log: Callable[[str], None] | None = None,
    build_root: Path | None = None,
) -> list[Any]:
    """Build the named variants (default: those that fit, FITTING); [BuildResult]."""
    return [
        build_variant(n, clean=clean, jobs=jobs, log=log, build_root=build_root) for n in names or FITTING
    ]


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: build and print the size table."""
    from harness.build import BuildError, size_table

    try:
        print(size_table(build_ccs_full(list(argv if argv is not None else sys.argv[1:]) or None)))
    except BuildError as exc:
        print(f"ccs_full_build: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
