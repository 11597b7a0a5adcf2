"""The ESSE sensor with its second record backend: `ccs-tinydtls` is firmware/apps/ccs with the record
layer's AES-128-CCM taken from the patched, handshakeless TinyDTLS (the `tinydtls-record` profile's
crypto.c and ccm.c; its rijndael_ctx API on the firmware's compact AES-128, tinydtls_platform/
rijndael_esse.c, as the SSM messages link that AES anyway) instead of firmware/dtls_record's own
(one build switch: -DESSE_RECORD_TINYDTLS, firmware/dtls_record_tinydtls/record_aead_tinydtls.c instead
of record_aead.c).
Record framing, replay window, SSM messages and the CoAP side are the same sources.

    python -m harness.tinydtls.ccs_build      # build/ccs-tinydtls/ccs-tinydtls.sky and its size
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import paths
from harness.build.manifest import load_app
from harness.tinydtls.pipeline import TinyDtlsPipelineError, prepare_tree
from harness.tinydtls.profiles import (
    COMMON_DEFINES,
    PLATFORM_DIR,
    RECORD_SOURCES,
    TINYDTLS_CFLAGS,
    TTABLE_AES,
)

NAME = "ccs-tinydtls"
BACKEND_DEFINE = "ESSE_RECORD_TINYDTLS"


def build_ccs_tinydtls(
    *,
    clean: bool = False,
    jobs: int | None = None,
    log: Callable[[str], None] | None = None,
    build_root: Path | None = None,
) -> list[Any]:
    """Build ccs-tinydtls (incremental) into <build_root or build_dir()>/ccs-tinydtls/; [BuildResult]."""
    from harness.build import BuildError, build_firmware

    try:
        tree = prepare_tree()
    except TinyDtlsPipelineError as exc:
        raise BuildError(f"{NAME}: {exc}") from exc
    spec = load_app(paths.APPS_DIR / "ccs")
    fw = paths.FIRMWARE_DIR
    record_dir, client_dir, infomem_dir = fw / "dtls_record", fw / "ssm_client", fw / "infomem"
    boot_dir = fw / "bootstrap"  # self-bootstrapping and RD registration as in ccs
    sources: list[Path] = list(spec.sources)
    sources += sorted(p for p in record_dir.glob("*.c") if p.name != "record_aead.c")
    sources += [fw / "dtls_record_tinydtls" / "record_aead_tinydtls.c", client_dir / "ssm_client.c"]
    # TinyDTLS's CCM and record crypto; its T-table AES gives way to the firmware's compact AES-128,
    # which the SSM messages link anyway (one AES in the image, 6.5 KB less flash; ccs_full_build too)
    sources += [infomem_dir / "infomem.c", boot_dir / "bootstrap.c"]
    sources += [tree / s for s in RECORD_SOURCES if s not in TTABLE_AES]
    sources += [PLATFORM_DIR / "rijndael_esse.c"]
    out = (build_root or paths.build_dir()) / NAME
    if clean and out.exists():
        shutil.rmtree(out)
    result = build_firmware(
        NAME,
        sources,
        # TinyDTLS's tree first: its sources find their own ccm.h, not the record layer's
        include_dirs=[
            tree, PLATFORM_DIR / "include", spec.root, record_dir, client_dir, infomem_dir, boot_dir
        ],
        defines=[*spec.defines, *COMMON_DEFINES, "DTLS_PSK", BACKEND_DEFINE],
        cflags=[*spec.cflags, *TINYDTLS_CFLAGS, "-idirafter", str(PLATFORM_DIR / "compat")],
        modules=[m for m in spec.modules if m not in ("ssm_client", "infomem", "dtls_record", "bootstrap")],
        out_dir=out,
        jobs=jobs,
        log=log,
    )
    return [result]


if __name__ == "__main__":
    from harness.build import size_table

    print(size_table(build_ccs_tinydtls(log=print)))
