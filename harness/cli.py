"""`esse` command line. Each area registers its own sub-commands through `add_cli(subparsers)`.

The invoke tasks in tasks.py call the same functions the sub-commands call.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Modules that contribute sub-commands, each with `add_cli(subparsers) -> None`.
# A sub-command's handler is stored as `func` on its parser and returns an exit code.
COMMAND_MODULES = [
    "harness.bootstrap.cli",
    "harness.bridge.cli",
    "harness.build.cli",
    "harness.demo",
    "harness.emulator.cli",
    "harness.flash.cli",
    "harness.energy.cli",
    "harness.energy.energest",
    "harness.sim.cli",
    "harness.ssm.cli",
    "harness.tinydtls.cli",
    "harness.up",
]


def build_parser() -> argparse.ArgumentParser:
    """The `esse` argument parser with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="esse",
        description="ESSE: build Sky-mote firmware, emulate and simulate motes, run the DTLS delegator.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_cli(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `esse` command; its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
