"""`esse build [APP...] [--clean]`: build firmware apps and print the size table."""

from __future__ import annotations

import argparse
import sys

from harness.build.compile import BuildError
from harness.build.firmware import build_all, size_table
from harness.build.manifest import ManifestError
from harness.build.provision import ProvisionError, provision_elf
from harness.proc import ToolMissing
from harness.wire.infomem import Identity, InfoMemError


def _identity(node_id: int | None, psk_dn: str | None, ik: str | None) -> Identity | None:
    """The identity asked for on the command line (None: no provisioning)."""
    if node_id is None and psk_dn is None and ik is None:
        return None

    def key(text: str | None, what: str) -> bytes | None:
        if text is None:
            return None
        try:
            return bytes.fromhex(text)
        except ValueError:
            raise InfoMemError(f"{what} must be hex digits, got {text!r}") from None

    return Identity(node_id=node_id, psk_dn=key(psk_dn, "--psk-dn"), ik=key(ik, "--ik"))


def build_command(
    apps: list[str],
    clean: bool = False,
    verbose: bool = False,
    jobs: int | None = None,
    node_id: int | None = None,
    psk_dn: str | None = None,
    ik: str | None = None,
) -> int:
    """Build and print the size table (and provision the images when an identity is given); errors go
    to stderr with exit code 1."""
    try:
        identity = _identity(node_id, psk_dn, ik)
        if identity is not None:
            identity.encode()  # a bad key or id fails before the build
        results = build_all(apps or None, clean=clean, verbose=verbose, jobs=jobs)
        provisioned = [provision_elf(r.elf, identity) for r in results] if identity is not None else []
    except (ToolMissing, BuildError, ManifestError, InfoMemError, ProvisionError) as exc:
        print(f"esse build: {exc}", file=sys.stderr)
        return 1
    for path in provisioned:
        assert identity is not None
        key = "set" if identity.psk_dn else "absent"
        print(f"provisioned {path}: information flash node id {identity.node_id}, PSK_DN {key}")
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
    p.add_argument("--node-id", type=int, default=None, help="provision: node id in the information flash")
    p.add_argument(
        "--psk-dn", default=None, metavar="HEX", help="provision: PSK_DN shared with the SSM (16 bytes)"
    )
    p.add_argument(
        "--ik", default=None, metavar="HEX", help="provision: IK_d for secure bootstrapping (16 bytes)"
    )
    p.set_defaults(
        func=lambda a: build_command(a.apps, a.clean, a.verbose, a.jobs, a.node_id, a.psk_dn, a.ik)
    )
