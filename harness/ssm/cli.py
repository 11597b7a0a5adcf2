"""`esse ssm run --config FILE`: the DTLS handshake delegator as a daemon (with the RD and host page
of harness/services when ssm.toml has [rd] / [http] listen)."""

from __future__ import annotations

import argparse


def _run(args: argparse.Namespace) -> int:
    import asyncio
    import logging
    import sys
    from pathlib import Path

    from harness.services.run import load_services, run_forever
    from harness.ssm.config import ConfigError, load

    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO)
    try:
        cfg = load(Path(args.config))
        services = load_services(Path(args.config))
    except ConfigError as exc:
        print(f"esse ssm: {exc}", file=sys.stderr)
        return 2
    try:
        asyncio.run(run_forever(cfg, services))
    except KeyboardInterrupt:
        pass
    except OSError as exc:  # a listen address taken or not ours
        print(f"esse ssm: cannot listen: {exc}", file=sys.stderr)
        return 2
    return 0


def add_cli(sub: argparse._SubParsersAction) -> None:
    """Register `esse ssm`."""
    p = sub.add_parser("ssm", help="Secure Service Manager (DTLS handshake delegator)")
    ssub = p.add_subparsers(dest="ssm_command", metavar="SUBCOMMAND")
    run = ssub.add_parser("run", help="run the delegator daemon")
    run.add_argument("--config", required=True, help="TOML config (see harness/ssm/config.py)")
    run.add_argument("-v", "--verbose", action="store_true")
    run.set_defaults(func=_run)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])
