"""`esse build [APP...] [--clean]`: build firmware apps and print the size table."""

from __future__ import annotations

import argparse
import sys

from harness.build.compile import BuildError
from harness.build.firmware import build_all, size_table
from harness.build.manifest import ManifestError
from harness.proc import ToolMissing


def build_command(
    apps: list[str], clean: bool = False, verbose: bool = False, jobs: int | None = None
) -> int:
    """Build and print the size table; errors go to stderr with exit code 1."""
    try:
        results = build_all(apps or None, clean=clean, verbose=verbose, jobs=jobs)
    except (ToolMissing, BuildError, ManifestError) as exc:
        print(f"esse build: {exc}", file=sys.stderr)
        return 1
    if not verbose:
        print(size_table(results))
    compiled = sum(len(r.compiled) for r in results)
    linked = sum(1 for r in results if r.linked)
    print(f"{len(results)} firmware images: {compiled} sources compiled, {linked} relinked")
    return 0


def add_cli(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("build", help="build firmware apps (default: all) and print their sizes")
    p.add_argument("apps", nargs="*", metavar="APP", help="app names under firmware/apps, or app folders")
    p.add_argument("--clean", action="store_true", help="delete the apps' build output first")
    p.add_argument("-v", "--verbose", action="store_true", help="list every compile and link")
    p.add_argument("-j", "--jobs", type=int, default=None, help="parallel compiles (default: CPU count)")
    p.set_defaults(func=lambda a: build_command(a.apps, a.clean, a.verbose, a.jobs))
