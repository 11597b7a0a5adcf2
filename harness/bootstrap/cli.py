"""`esse bootstrap ...`: enrol devices and controllers in the AS repository, run the AS or a controller."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from .controller import Controller, TidStore
from .repository import Repository, RepositoryError
from .server import DEFAULT_WINDOW, AuthServer
from .udp import serve_as, serve_controller


class UsageError(ValueError):
    """A command-line value that cannot be used."""


def _key(text: str, name: str) -> bytes:
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise UsageError(f"{name} must be hex, got {text!r}") from None
    if len(key) != 16:
        raise UsageError(f"{name} must be 16 bytes (32 hex digits), got {len(key)} bytes")
    return key


def _hostport(text: str, name: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise UsageError(f"{name} must be HOST:PORT, got {text!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def _add_device(args: argparse.Namespace) -> int:
    repo = Repository(args.db)
    repo.add_device(args.id, _key(args.ik, "--ik"))
    print(f"device {args.id} enrolled in {args.db}")
    return 0


def _add_controller(args: argparse.Namespace) -> int:
    repo = Repository(args.db)
    repo.add_controller(args.id, _key(args.sk, "--sk"))
    print(f"controller {args.id} registered in {args.db}")
    return 0


def _list(args: argparse.Namespace) -> int:
    repo = Repository(args.db)
    for device, issued in repo.devices():
        print(f"device {device}: {'PSK_DN issued' if issued else 'IK_d only'}")
    return 0


async def _forever(transport: asyncio.DatagramTransport, what: str) -> None:
    host, port = transport.get_extra_info("sockname")[:2]
    print(f"{what} listening on {host}:{port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        transport.close()


def _run_as(args: argparse.Namespace) -> int:
    host, port = _hostport(args.listen, "--listen")
    server = AuthServer(Repository(args.db), window=args.window)

    async def main() -> None:
        await _forever(await serve_as(server, host, port), "authentication server")

    asyncio.run(main())
    return 0


def _run_controller(args: argparse.Namespace) -> int:
    host, port = _hostport(args.listen, "--listen")
    if not 0 <= args.id <= 0xFFFF:
        raise UsageError(f"--id must be 0..65535, got {args.id}")
    keys_out: Path | None = args.keys_out

    def on_psk(device: int, psk: bytes) -> None:
        # the SSM's CCS table; the delegator reads it as psk_dn per device (docs/bootstrap.md)
        if keys_out is None:
            return
        table = json.loads(keys_out.read_text()) if keys_out.exists() else {}
        table[str(device)] = psk.hex()
        keys_out.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")

    ctl = Controller(
        args.id,
        _key(args.sk, "--sk"),
        _hostport(args.as_addr, "--as"),
        on_psk=on_psk,
        tids=TidStore(args.state),
    )

    async def main() -> None:
        await _forever(await serve_controller(ctl, host, port), "bootstrapping controller")

    asyncio.run(main())
    return 0


def _guard(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        logging.basicConfig(level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING)
        try:
            return int(func(args))
        except (UsageError, RepositoryError) as err:
            print(f"esse bootstrap: {err}", file=sys.stderr)
            return 2
        except OSError as err:
            print(f"esse bootstrap: {err}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            return 0

    return run


def add_cli(sub: argparse._SubParsersAction) -> None:
    """Register `esse bootstrap` and its sub-commands."""
    p = sub.add_parser("bootstrap", help="secure bootstrapping: AS repository, AS and controller daemons")
    bsub = p.add_subparsers(dest="bootstrap_command", metavar="SUBCOMMAND")
    dev = bsub.add_parser("add-device", help="enrol a device and its initial key IK_d")
    dev.add_argument("--db", required=True, help="AS repository (SQLite file)")
    dev.add_argument("--id", type=int, required=True, help="device id (the node id, 0..65535)")
    dev.add_argument("--ik", required=True, help="IK_d, 32 hex digits")
    dev.set_defaults(func=_guard(_add_device))
    ctl = bsub.add_parser(
        "add-controller", help="register a controller and the key SK_cs it shares with the AS"
    )
    ctl.add_argument("--db", required=True)
    ctl.add_argument("--id", type=int, required=True, help="controller id (0..65535)")
    ctl.add_argument("--sk", required=True, help="SK_cs, 32 hex digits")
    ctl.set_defaults(func=_guard(_add_controller))
    lst = bsub.add_parser("list", help="list enrolled devices")
    lst.add_argument("--db", required=True)
    lst.set_defaults(func=_guard(_list))
    srv = bsub.add_parser("as", help="run the authentication server")
    srv.add_argument("--db", required=True)
    srv.add_argument("--listen", default="127.0.0.1:5690", help="HOST:PORT (default %(default)s)")
    srv.add_argument("--window", type=float, default=DEFAULT_WINDOW, help="TS window in seconds")
    srv.add_argument("-v", "--verbose", action="store_true")
    srv.set_defaults(func=_guard(_run_as))
    run = bsub.add_parser("controller", help="run a bootstrapping controller")
    run.add_argument("--id", type=int, required=True)
    run.add_argument("--sk", required=True, help="SK_cs, 32 hex digits")
    run.add_argument("--as", dest="as_addr", required=True, help="AS HOST:PORT")
    run.add_argument("--listen", default="127.0.0.1:5691", help="HOST:PORT for devices (default %(default)s)")
    run.add_argument("--state", default=":memory:", help="SQLite file keeping the last TID across restarts")
    run.add_argument("--keys-out", type=Path, help="JSON file: device id -> PSK_DN hex (the SSM's CCS table)")
    run.add_argument("-v", "--verbose", action="store_true")
    run.set_defaults(func=_guard(_run_controller))
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])
