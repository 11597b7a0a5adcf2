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


def _revoke(args: argparse.Namespace) -> int:
    """POST the revocation to the running SSM's host page (its /api/revoke); print what was done."""
    import json
    import sys
    import urllib.error
    import urllib.parse
    import urllib.request

    page = args.page.rstrip("/")
    if not page.startswith(("http://", "https://")):
        print(f"esse ssm revoke: --page {args.page!r} is not an http:// URL of the host page",
              file=sys.stderr)
        return 2
    key = "ep" if args.kind == "ccs" else "identity"
    url = f"{page}/api/revoke?{urllib.parse.urlencode({key: args.name})}"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="POST"), timeout=30) as r:  # noqa: S310
            done = json.loads(r.read())
    except urllib.error.HTTPError as exc:
        try:
            why = json.loads(exc.read()).get("error", exc.reason)
        except ValueError:
            why = exc.reason
        print(f"esse ssm revoke: {why}", file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"esse ssm revoke: cannot reach the host page at {page}: {exc}", file=sys.stderr)
        return 1
    what = f"{done['kind']} {done['name']} revoked: {done['sessions_closed']} relay sessions closed"
    if done["kind"] == "ccs":
        what += f", {done['rd_removed']} RD entries removed"
        what += ", bootstrapping refused by the AS" if done["as_revoked"] else ""
    print(what)
    return 0


def add_cli(sub: argparse._SubParsersAction) -> None:
    """Register `esse ssm`."""
    p = sub.add_parser("ssm", help="Secure Service Manager (DTLS handshake delegator)")
    ssub = p.add_subparsers(dest="ssm_command", metavar="SUBCOMMAND")
    run = ssub.add_parser("run", help="run the delegator daemon")
    run.add_argument("--config", required=True, help="TOML config (see harness/ssm/config.py)")
    run.add_argument("-v", "--verbose", action="store_true")
    run.set_defaults(func=_run)
    rev = ssub.add_parser("revoke",
                          help="revoke a sensor's PSK_DN or a client's PSK identity at run time")
    rev.add_argument("kind", choices=("ccs", "client"),
                     help="ccs: a sensor ([ccs] name); client: a PSK identity")
    rev.add_argument("name")
    rev.add_argument("--page", required=True, help="the running SSM's host page, e.g. http://127.0.0.1:8080")
    rev.set_defaults(func=_revoke)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])
