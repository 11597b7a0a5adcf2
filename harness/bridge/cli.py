"""`esse bridge`: run the host bridge on a serial line (or ping motes through it)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from harness.bridge.bridge import Bridge, BridgeError
from harness.bridge.ipv6 import default_host_address, parse_prefix


def parse_motes(text: str) -> list[int]:
    """'1-8' or '1,3,5' or '1-4,9'."""
    ids: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        try:
            if "-" in part:
                lo, hi = (int(x) for x in part.split("-", 1))
                ids.update(range(lo, hi + 1))
            elif part:
                ids.add(int(part))
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"bad mote list {text!r}: use e.g. 1-8 or 1,3,5") from exc
    if not ids or min(ids) < 0 or max(ids) > 0xFFFF:
        raise argparse.ArgumentTypeError(f"bad mote list {text!r}: node ids are 0..65535")
    return sorted(ids)


def parse_port_map(text: str) -> tuple[int, int]:
    """'61617=6100': mote port 61617 of mote N at loopback port 6100 + N (BASE 0: ports the OS picks)."""
    try:
        mote_port, base = (int(x) for x in text.split("=", 1))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"bad port map {text!r}: use MOTEPORT=BASE, e.g. 61617=6100"
        ) from exc
    if not (0 < mote_port < 65536 and 0 <= base < 65536):
        raise argparse.ArgumentTypeError(f"bad port map {text!r}: ports are 1..65535 (BASE may be 0)")
    return mote_port, base


async def run_bridge(args: argparse.Namespace) -> int:
    """Serve `esse bridge` until the duration ends, the pings are answered or the line is lost."""
    prefix = parse_prefix(args.prefix)
    if args.border_router in args.motes:
        print(
            f"esse bridge: mote {args.border_router} is the border router (--border-router): its global "
            "address is the bridge's own, so it gets no ports (ping reaches its link-local address)",
            file=sys.stderr,
        )
    port_map = {5683: args.base_port, **dict(args.map or [])}
    bridge = Bridge(
        args.serial,
        prefix,
        base_port=args.base_port,
        motes=args.motes,
        bind=args.bind,
        port_map=port_map,
        border_router=args.border_router,
    )
    await bridge.start()
    try:
        for mote_id in bridge.motes:
            print(
                f"mote {mote_id}: coap://{args.bind}:{bridge.port_of(mote_id)}/ -> "
                f"[{bridge.address_of(mote_id)}]:5683"
            )
            for mote_port in sorted(set(port_map) - {5683}):
                print(
                    f"mote {mote_id}: udp {args.bind}:{bridge.port_of(mote_id, mote_port)} -> "
                    f"[{bridge.address_of(mote_id)}]:{mote_port}"
                )
        print(f"host address {bridge.host_address}", flush=True)
        if args.ping:
            failures = 0
            for mote_id in args.ping:
                for _ in range(args.count):
                    try:
                        rtt = await bridge.ping(mote_id, timeout=args.timeout)
                        print(f"echo reply from mote {mote_id}: {rtt * 1000:.1f} ms", flush=True)
                    except BridgeError as exc:
                        print(exc, flush=True)
                        failures += 1
            return 1 if failures else 0
        lost = asyncio.ensure_future(bridge.line_lost.wait())
        waits = {lost} | ({asyncio.ensure_future(asyncio.sleep(args.duration))} if args.duration else set())
        _, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        if bridge.line_error:
            raise BridgeError(bridge.line_error)
        return 0
    finally:
        await bridge.stop()


def bridge_command(args: argparse.Namespace) -> int:
    """`esse bridge`: exit code 0, or 1 with a one-line reason."""
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(name)s: %(message)s")
    try:
        return asyncio.run(run_bridge(args))
    except (BridgeError, ValueError) as exc:
        print(f"esse bridge: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0


def add_cli(sub: argparse._SubParsersAction) -> None:
    """Register the `bridge` sub-command."""
    p = sub.add_parser(
        "bridge",
        help="host end of the border router's SLIP line: loopback UDP ports -> motes' CoAP",
        description=(
            "Speaks IPv6 over SLIP to the border router, announces PREFIX to the motes (Router "
            "Advertisement) and maps 127.0.0.1:<base-port + id> to [PREFIX::ff:fe00:id]:5683. The bridge's "
            "own address is the global address the border router lends it, PREFIX::ff:fe00:<border router "
            f"id> (fd00::/64, border router 1 -> {default_host_address(parse_prefix('fd00::/64'))}), so "
            "6LoWPAN elides it on the radio."
        ),
    )
    p.add_argument(
        "--serial",
        required=True,
        metavar="URL",
        help="pyserial URL: socket://127.0.0.1:60001 (emulator/Cooja) or /dev/ttyUSB0 (hardware)",
    )
    p.add_argument("--prefix", default="fd00::/64", help="the motes' /64 (default fd00::/64)")
    p.add_argument(
        "--base-port",
        type=int,
        default=5700,
        help="mote N is reached at UDP port BASE+N (default 5700; 0: ports the OS picks, printed)",
    )
    p.add_argument(
        "--map",
        type=parse_port_map,
        action="append",
        metavar="MOTEPORT=BASE",
        help="also map mote UDP port MOTEPORT to loopback BASE+id (repeatable), e.g. 61617=6100 for the SSM",
    )
    p.add_argument(
        "--motes",
        type=parse_motes,
        default=list(range(2, 9)),
        help="node ids to map (default 2-8; the border router's id is never mapped)",
    )
    p.add_argument(
        "--border-router",
        type=int,
        default=1,
        metavar="ID",
        help="node id of the border router on the line (default 1): the bridge takes its global address",
    )
    p.add_argument("--bind", default="127.0.0.1", help="address of the mapped UDP ports (default 127.0.0.1)")
    p.add_argument(
        "--ping", type=int, action="append", metavar="ID", help="ping mote ID (repeatable), then exit"
    )
    p.add_argument("--count", type=int, default=1, help="echo requests per --ping mote")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for each echo reply")
    p.add_argument(
        "--duration", type=float, default=0.0, help="stop after this many seconds (default: run forever)"
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log every dropped or unmapped datagram")
    p.set_defaults(func=bridge_command)


def main(argv: list[str] | None = None) -> int:
    """`python -m harness.bridge ...`: the same as `esse bridge ...`."""
    parser = argparse.ArgumentParser(prog="esse")
    add_cli(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["bridge", *(sys.argv[1:] if argv is None else argv)])
    return int(args.func(args))
