"""Building firmware: arbitrary sources (`build_firmware`), one app (`build_app`), all apps (`build_all`)."""

from __future__ import annotations

import importlib
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness import paths
from harness.build.compile import BuildError, CompileUnit, compile_units
from harness.build.link import FirmwareTooLarge, link
from harness.build.manifest import ManifestError, discover_apps, load_app, resolve_modules
from harness.build.size import SizeReport, format_size_table, size_of_elf
from harness.build.toolchain import find_toolchain

DEFAULT_LINKER_SCRIPT = paths.FIRMWARE_DIR / "sys" / "sky.ld"


@dataclass
class BuildResult:
    name: str
    elf: Path  # <out_dir>/<name>.sky
    hex: Path  # Intel HEX of the same image
    map: Path  # ld.lld -Map
    size: SizeReport
    compiled: list[Path] = field(default_factory=list)  # sources compiled by this call
    linked: bool = False  # whether this call re-linked the ELF


def build_firmware(
    name: str,
    sources: Sequence[Path | str],
    include_dirs: Sequence[Path | str] = (),
    defines: Sequence[str] = (),
    cflags: Sequence[str] = (),
    *,
    modules: Sequence[str] = (),
    out_dir: Path | None = None,
    linker_script: Path | None = None,
    ldflags: Sequence[str] = (),
    jobs: int | None = None,
    log: Callable[[str], None] | None = None,
) -> BuildResult:
    """Compile `sources` plus the firmware modules (always `sys`: crt0, libc, MSPABI, Sky board)
    into `<out_dir>/<name>.sky` (ELF), `.hex` and `.map`; incremental; returns the size report.

    `include_dirs`, `defines` ("NAME" or "NAME=VALUE") and `cflags` apply to every source, the
    modules' too. `modules` lists extra folders under firmware/ (see firmware/README.md).
    `out_dir` defaults to build_dir()/<name>. Raises ToolMissing, BuildError, FirmwareTooLarge.
    """
    tc = find_toolchain()
    out = out_dir or paths.build_dir() / name
    mods = resolve_modules(list(modules))
    common_includes = [Path(d).resolve() for d in include_dirs] + [d for m in mods for d in m.include_dirs]
    units = [CompileUnit(Path(s).resolve(), common_includes, list(defines), list(cflags)) for s in sources]
    for m in mods:
        includes = [*common_includes, m.root]
        units += [CompileUnit(s, includes, [*m.defines, *defines], [*m.cflags, *cflags]) for s in m.sources]
    outcome = compile_units(tc, units, out / "obj", jobs=jobs, log=log)
    elf = out / f"{name}.sky"
    linked = link(tc, name, outcome.objects, linker_script or DEFAULT_LINKER_SCRIPT, elf, ldflags)
    if linked and log:
        log(f"  LD  {elf}")
    size = size_of_elf(elf)
    problems = size.overflows()
    if problems:
        raise FirmwareTooLarge(f"firmware '{name}' does not fit the MSP430F1611: " + "; ".join(problems))
    hex_file, map_file = elf.with_suffix(".hex"), elf.with_suffix(".map")
    return BuildResult(name, elf, hex_file, map_file, size, outcome.compiled, linked)


def build_app(
    app: str | Path,
    *,
    clean: bool = False,
    jobs: int | None = None,
    log: Callable[[str], None] | None = None,
    build_root: Path | None = None,
) -> BuildResult:
    """Build one app: a name under firmware/apps/, or the path of an app folder anywhere.
    Output goes to <build_root>/<app>/ (default build_root: harness.paths.build_dir())."""
    app_dir = Path(app) if isinstance(app, Path) or "/" in str(app) else paths.APPS_DIR / app
    spec = load_app(app_dir)
    out = (build_root or paths.build_dir()) / spec.name
    if clean and out.exists():
        shutil.rmtree(out)
    return build_firmware(
        spec.name,
        spec.sources,
        [spec.root, *spec.include_dirs],
        spec.defines,
        spec.cflags,
        modules=spec.modules,
        out_dir=out,
        linker_script=spec.linker_script,
        jobs=jobs,
        log=log,
    )


# Firmware built from outside firmware/apps, as "module:function". build_all() without an app
# list calls each after the apps as function(clean=, jobs=, log=, build_root=) -> list[BuildResult].
EXTRA_FIRMWARE = [
    "harness.tinydtls.profiles:build_profiles",  # TinyDTLS record/psk/ecc size profiles
    "harness.tinydtls.ccs_build:build_ccs_tinydtls",  # the ccs with TinyDTLS's record cipher
    "harness.tinydtls.ccs_full_build:build_ccs_full",  # the full-handshake CCS baseline (issue 11 item 5)
]


def build_all(
    apps: Sequence[str | Path] | None = None,
    *,
    clean: bool = False,
    verbose: bool = False,
    jobs: int | None = None,
    build_root: Path | None = None,
) -> list[BuildResult]:
    """Build the named apps (default: every app under firmware/apps); with verbose, log each
    compile and print the size table. A failing app does not stop the others: the errors are
    raised together (BuildError) after the rest were built. A missing toolchain stops at once."""
    targets: list[str | Path] = list(apps) if apps else list(discover_apps())
    if not targets:
        raise BuildError(f"no firmware apps found under {paths.APPS_DIR}{paths.checkout_hint()}")
    log = print if verbose else None
    results: list[BuildResult] = []
    failures: list[str] = []
    for app in targets:
        if log:
            log(f"building {Path(app).name}")
        try:
            results.append(build_app(app, clean=clean, jobs=jobs, log=log, build_root=build_root))
        except (BuildError, ManifestError) as exc:
            failures.append(f"{Path(app).name}: {exc}")
    if not apps:
        for entry in EXTRA_FIRMWARE:
            module, _, func = entry.partition(":")
            builder = getattr(importlib.import_module(module), func)
            try:
                results += builder(clean=clean, jobs=jobs, log=log, build_root=build_root)
            except (BuildError, ManifestError) as exc:
                failures.append(f"{entry}: {exc}")
    if verbose and results:
        print(size_table(results))
    if failures:
        raise BuildError(f"{len(failures)} firmware build(s) failed:\n" + "\n".join(failures))
    return results


def size_table(results: Sequence[BuildResult]) -> str:
    return format_size_table([(r.name, r.size) for r in results])


__all__ = ["BuildResult", "FirmwareTooLarge", "build_all", "build_app", "build_firmware", "size_table"]
