"""`esse motes`, `esse flash`, `esse console`, `esse emulated-mote`: real and emulated Telos motes."""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path
from typing import TextIO

from harness.wire.infomem import Identity, InfoMemError


def _key(text: str) -> bytes:
    if not re.fullmatch(r"[0-9a-fA-F]{32}", text):
        raise argparse.ArgumentTypeError(f"bad key {text!r}: 16 bytes as 32 hex digits")
    return bytes.fromhex(text)


def node_ids(given: list[int], ports: list[str]) -> list[int | None]:
    """One node id per port: none, one per port, or one first id counted up across the ports."""
    if not given:
        return [None] * len(ports)
    if len(given) == len(ports):
        return list(given)
    if len(given) == 1:
        return [given[0] + i for i in range(len(ports))]
    raise ValueError(f"{len(given)} --node-id for {len(ports)} --port: give one (counted up) or one per port")


def flash_command(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """`esse flash`: check the image, merge each mote's identity, run the BSL backend on every port."""
    from harness.flash.bsl_backend import MspBslBackend
    from harness.flash.image import ImageError, check_fits, load_image, with_identity
    from harness.flash.runner import FlashRequest, Runner

    stream = out or sys.stdout
    try:
        ids = node_ids(args.node_id or [], args.port)
        image = load_image(args.image)
        check_fits(image)
        requests = []
        for port, nid in zip(args.port, ids, strict=True):
            ident = None
            if nid is not None or args.psk is not None or args.ik is not None:
                ident = Identity(node_id=nid, psk_dn=args.psk, ik=args.ik)
                ident.encode()  # validates the values now, before any mote is touched
            requests.append(FlashRequest(port, with_identity(image, ident), ident, Path(args.work_dir),
                                         verify=not args.no_verify))
    except (ImageError, InfoMemError, ValueError) as exc:
        print(f"esse flash: {exc}", file=sys.stderr)
        return 2
    runner = Runner(dry_run=args.dry_run, out=stream)

    def done(port: str, error: str | None) -> None:
        if error:
            print(f"esse flash: {error}", file=sys.stderr)
        elif not args.dry_run:
            print(f"[{port}] flashed and reset", file=stream)

    failed = runner.flash_all(MspBslBackend(), requests, done)
    return 1 if failed else 0


def motes_command(args: argparse.Namespace) -> int:
    """`esse motes`: list attached motes."""
    from harness.flash.motes import find_motes, format_table

    motes = find_motes()
    if args.ports:
        print("\n".join(m.port for m in motes))
    else:
        sys.stdout.write(format_table(motes))
    return 0


def console_command(args: argparse.Namespace) -> int:
    """`esse console`: show a mote's lines with timestamps and live energest."""
    from harness.flash.console import Console, ConsoleError

    try:
        console = Console(args.port, args.baud, args.log, timestamps=not args.no_timestamps)
        send = args.send.encode().decode("unicode_escape").encode("latin-1")
        code = console.run(args.duration, args.until, send, reset=args.reset)
    except (ConsoleError, OSError, re.error) as exc:
        print(f"esse console: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    if code:
        print(f"esse console: no line matched {args.until!r} within {args.duration} s", file=sys.stderr)
    return code


def emulated_mote_command(args: argparse.Namespace) -> int:
    """`esse emulated-mote`: an emulated Telos behind an RFC 2217 serial port."""
    from harness.emulator.bsl_port import EmulatedTelos
    from harness.emulator.elf import ElfError

    def event(message: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {message}", flush=True)

    try:
        board = EmulatedTelos(args.firmware, node_id=args.node_id, speed=args.speed or None, on_event=event)
        port = board.serve(args.listen)
    except (ElfError, OSError) as exc:
        print(f"esse emulated-mote: {exc}", file=sys.stderr)
        return 1
    print(f"RFC2217 READY port={port} url={board.url}", flush=True)
    try:
        deadline = None if args.duration is None else time.monotonic() + args.duration
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        board.close()
    return 0


def add_cli(sub: argparse._SubParsersAction) -> None:
    """Register the real-mote commands."""
    p = sub.add_parser("motes", help="list attached motes (FTDI USB serial ports: TelosB / Tmote Sky)")
    p.add_argument("--ports", action="store_true", help="print the port names only, one per line")
    p.set_defaults(func=motes_command)

    p = sub.add_parser("flash", help="program motes through their bootstrap loader (python-msp430-tools)")
    p.add_argument("image", metavar="IMAGE", help="firmware ELF (.sky) or Intel HEX")
    p.add_argument("--port", action="append", required=True,
                   help="serial port or pyserial URL (rfc2217://host:port); repeat: several in parallel")
    p.add_argument("--node-id", type=int, action="append",
                   help="node id for information flash; once (counted up across ports) or once per --port")
    p.add_argument("--psk", type=_key, metavar="HEX", help="PSK_DN shared with the SSM (16 bytes hex)")
    p.add_argument("--ik", type=_key, metavar="HEX", help="IK_d for secure bootstrapping (16 bytes hex)")
    p.add_argument("--dry-run", action="store_true", help="print the exact steps, touch nothing")
    p.add_argument("--no-verify", action="store_true", help="skip the read-back comparison")
    p.add_argument("--work-dir", default="build/flash", help="where merged images go (default build/flash)")
    p.set_defaults(func=flash_command)

    p = sub.add_parser("console", help="a mote's serial output with timestamps and live energest")
    p.add_argument("--port", required=True, help="serial port or pyserial URL")
    p.add_argument("--baud", type=int, default=115200, help="baud rate (default 115200, the Sky firmware's)")
    p.add_argument("--log", help="append the timestamped lines to this file")
    p.add_argument("--no-timestamps", action="store_true", help="print lines as they are")
    p.add_argument("--duration", type=float, help="stop after this many seconds")
    p.add_argument("--until", metavar="REGEX", help="stop (exit 0) at the first line matching REGEX")
    p.add_argument("--send", default="", help="bytes to send first (backslash escapes allowed)")
    p.add_argument("--reset", action="store_true", help="reset the mote first (TelosB: DTR/RTS switch)")
    p.set_defaults(func=console_command)

    p = sub.add_parser("emulated-mote",
                       help="an emulated TelosB behind an RFC 2217 serial port (BSL, DTR/RTS entry, UART1)")
    p.add_argument("--firmware", help="ELF already in flash (default: a factory-fresh, erased mote)")
    p.add_argument("--node-id", type=int, help="node id the emulator writes into `node_id`")
    p.add_argument("--listen", type=int, default=0, help="TCP port (default 0: any free port)")
    p.add_argument("--speed", type=float, default=1.0,
                   help="simulated seconds per wall second (default 1; 0: as fast as possible)")
    p.add_argument("--duration", type=float, help="stop after this many seconds")
    p.set_defaults(func=emulated_mote_command)
