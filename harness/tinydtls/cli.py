"""`esse tinydtls ...`: the pinned TinyDTLS tree, the host extension and the mote profiles."""

from __future__ import annotations

import argparse
import sys

import harness.tinydtls.firmware  # noqa: F401 - registers the TinyDTLS firmware with `esse build`
from harness.proc import CommandFailed, ToolMissing
from harness.tinydtls.pipeline import TinyDtlsPipelineError, prepare_tree


def prepare_command(offline: bool = False) -> int:
    """`esse tinydtls prepare`: fetch, verify and patch the pinned TinyDTLS tree."""
    try:
        tree = prepare_tree(offline=offline)
    except (TinyDtlsPipelineError, ToolMissing, CommandFailed) as exc:
        print(f"esse tinydtls prepare: {exc}", file=sys.stderr)
        return 1
    print(tree)
    print((tree / "STAMP").read_text(), end="")
    return 0


def extension_command() -> int:
    """`esse tinydtls extension`: build the host cffi extension."""
    from harness.tinydtls.extension import ensure_built

    try:
        print(ensure_built())
    except (TinyDtlsPipelineError, ToolMissing, CommandFailed) as exc:
        print(f"esse tinydtls extension: {exc}", file=sys.stderr)
        return 1
    return 0


def profiles_command(names: list[str], clean: bool = False) -> int:
    """Build the mote profiles and print the size table and the per-component sizes."""
    from harness.build import BuildError, size_table
    from harness.tinydtls.profiles import PROFILES, build_profiles, component_sizes, format_components

    chosen = names or list(PROFILES)
    try:
        results = build_profiles(chosen, clean=clean)
    except (TinyDtlsPipelineError, ToolMissing, BuildError, KeyError) as exc:
        print(f"esse tinydtls profiles: {exc}", file=sys.stderr)
        return 1
    print(size_table(results))
    print()
    print(format_components([(r.name, component_sizes(n, r)) for n, r in zip(chosen, results, strict=True)]))
    return 0


def add_cli(sub: argparse._SubParsersAction) -> None:
    """Register `esse tinydtls`."""
    p = sub.add_parser("tinydtls", help="pinned TinyDTLS: patched tree, host extension, mote profiles")
    tsub = p.add_subparsers(dest="tinydtls_command", metavar="ACTION", required=True)
    prep = tsub.add_parser("prepare", help="fetch, verify and patch TinyDTLS; print the tree and its STAMP")
    prep.add_argument("--offline", action="store_true", help="use only the cached sdist")
    prep.set_defaults(func=lambda a: prepare_command(a.offline))
    ext = tsub.add_parser("extension", help="build the host cffi extension if missing or stale")
    ext.set_defaults(func=lambda a: extension_command())
    prof = tsub.add_parser("profiles", help="build the record/psk/ecc mote profiles and print their sizes")
    prof.add_argument("names", nargs="*", metavar="PROFILE", help="record, psk, ecc (default: all)")
    prof.add_argument("--clean", action="store_true", help="rebuild from scratch")
    prof.set_defaults(func=lambda a: profiles_command(a.names, a.clean))
