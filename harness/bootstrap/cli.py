"""`esse bootstrap ...`: enrol devices and controllers in the AS repository, run the AS or a controller
(from options or from the [bootstrap.*] sections of ssm.toml, see harness/bootstrap/config.py)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from .config import (
    BootstrapConfigError,
    ControllerConfig,
    ServerConfig,
    controller_from_dict,
    hostport,
    key16,
    node_id,
    read_toml,
    server_from_dict,
)
from .controller import DEFAULT_AS_TIMEOUT, Controller, TidStore
from .repository import Repository, RepositoryError
from .server import DEFAULT_WINDOW, AuthServer
from .udp import serve_as, serve_controller


def _add_device(args: argparse.Namespace) -> int:
    Repository(args.db).add_device(node_id(args.id, "--id"), key16(args.ik, "--ik"))
    print(f"device {args.id} enrolled in {args.db}")
    return 0


def _add_controller(args: argparse.Namespace) -> int:
    Repository(args.db).add_controller(node_id(args.id, "--id"), key16(args.sk, "--sk"))
    print(f"controller {args.id} registered in {args.db}")
    return 0


def _list(args: argparse.Namespace) -> int:
    for device, issued in Repository(args.db).devices():
        print(f"device {device}: {'PSK_DN issued' if issued else 'IK_d only'}")
    return 0


async def _forever(transport: asyncio.DatagramTransport, what: str) -> None:
    host, port = transport.get_extra_info("sockname")[:2]
    print(f"{what} listening on {host}:{port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        transport.close()


def _server_config(args: argparse.Namespace) -> ServerConfig:
    if args.config is not None:
        return server_from_dict(read_toml(args.config), args.config.parent)
    if args.db is None:
        raise BootstrapConfigError("give --db (or --config with a [bootstrap.server] section)")
    return ServerConfig(Path(args.db), hostport(args.listen or "127.0.0.1:5690", "--listen"), args.window)


def _run_as(args: argparse.Namespace) -> int:
    cfg = _server_config(args)
    server = AuthServer(Repository(cfg.db), window=cfg.window)

    async def main() -> None:
        await _forever(await serve_as(server, *cfg.listen), "authentication server")

    asyncio.run(main())
    return 0


def _controller_config(args: argparse.Namespace) -> ControllerConfig:
    if args.config is not None:
        return controller_from_dict(read_toml(args.config), args.config.parent)
    missing = [o for o, v in (("--id", args.id), ("--sk", args.sk), ("--as", args.as_addr)) if v is None]
    if missing:
        raise BootstrapConfigError(
            f"give {', '.join(missing)} (or --config with a [bootstrap.controller] section)"
        )
    return ControllerConfig(
        node_id(args.id, "--id"),
        key16(args.sk, "--sk"),
        hostport(args.as_addr, "--as"),
        hostport(args.listen or "127.0.0.1:5691", "--listen"),
        args.state,
        DEFAULT_AS_TIMEOUT,
        args.keys_out,
    )


def write_ccs_table(path: Path, device: int, psk: bytes) -> None:
    """Add device -> PSK_DN to the JSON CCS table, replacing the file atomically."""
    table = json.loads(path.read_text()) if path.exists() else {}
    table[str(device)] = psk.hex()
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, path)


def _run_controller(args: argparse.Namespace) -> int:
    cfg = _controller_config(args)
    keys_out = cfg.keys_out

    def on_psk(device: int, psk: bytes) -> None:
        if keys_out is not None:
            write_ccs_table(keys_out, device, psk)

    ctl = Controller(
        cfg.id, cfg.sk_cs, cfg.server, on_psk=on_psk, tids=TidStore(cfg.state), timeout=cfg.timeout
    )

    async def main() -> None:
        await _forever(await serve_controller(ctl, *cfg.listen), "bootstrapping controller")

    asyncio.run(main())
    return 0


def _guard(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        logging.basicConfig(level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING)
        try:
            return int(func(args))
        except (BootstrapConfigError, RepositoryError) as err:
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
    dev.add_argument("--ik", required=True, help="IK_d, 32 hex digits (as provisioned in segment B)")
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
    srv.add_argument("--config", type=Path, help="ssm.toml with a [bootstrap.server] section")
    srv.add_argument("--db", help="AS repository (SQLite file)")
    srv.add_argument("--listen", help="HOST:PORT (default 127.0.0.1:5690; port 0: any free port)")
    srv.add_argument("--window", type=float, default=DEFAULT_WINDOW, help="TS window in seconds")
    srv.add_argument("-v", "--verbose", action="store_true")
    srv.set_defaults(func=_guard(_run_as))
    run = bsub.add_parser("controller", help="run a bootstrapping controller")
    run.add_argument("--config", type=Path, help="ssm.toml with a [bootstrap.controller] section")
    run.add_argument("--id", type=int, help="controller id ID_c")
    run.add_argument("--sk", help="SK_cs, 32 hex digits")
    run.add_argument("--as", dest="as_addr", help="AS HOST:PORT")
    run.add_argument("--listen", help="HOST:PORT for devices (default 127.0.0.1:5691)")
    run.add_argument("--state", default=":memory:", help="SQLite file keeping the last TID across restarts")
    run.add_argument("--keys-out", type=Path, help="JSON file: device id -> PSK_DN hex (the SSM's CCS table)")
    run.add_argument("-v", "--verbose", action="store_true")
    run.set_defaults(func=_guard(_run_controller))
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])
