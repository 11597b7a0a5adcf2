"""The main job (`esse demo`, `invoke demo`): what the README's first command ends with.

It grows with the project: build every firmware app, then (when the pieces exist) run them.
"""

from __future__ import annotations

import argparse


def demo() -> int:
    from harness.build import build_all

    build_all(verbose=True)
    return 0


def add_cli(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="build every firmware app and run the demo scenario")
    p.set_defaults(func=lambda args: demo())
