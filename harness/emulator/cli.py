"""`esse run FIRMWARE.elf`: run any Sky ELF on the emulator, print UART1 output live and the
time per mode from the core's power tracker (harness.emulator.power). Exit 0 at the stop symbol or
UART pattern (or at --seconds when neither is given), 2 at the cycle or time limit, 1 on a fault
(or a reset with --fail-on-reset). Every reset is reported; a stripped ELF is warned about loudly."""

from __future__ import annotations

import argparse
import re
import sys
from typing import TYPE_CHECKING, TextIO

from harness.emulator.elf import ElfError, symbol_problems

if TYPE_CHECKING:
    from harness.emulator.mote import Mote
    from harness.emulator.vcd import MoteTrace


def run_command(
    elf: str,
    max_cycles: int,
    stop_symbol: str | None = None,
    until_uart: str | None = None,
    node_id: int = 1,
    out: TextIO | None = None,
    seconds: float | None = None,
    fail_on_reset: bool = False,
    gdb: str | None = None,
    gdb_reg_bytes: int = 2,
    vcd: str | None = None,
    translate: bool = False,
) -> int:
    """`esse run`: run a firmware ELF on the emulator, print UART1 output, cycles and time/energy per mode
    (with `vcd`: a Value Change Dump of pins and modes into that file; with `translate`: from
    translated code, harness.emulator.translate: the same results, faster)."""
    out = out or sys.stdout
    from harness.emulator.mote import Mote
    from harness.emulator.vcd import MoteTrace

    try:
        mote = Mote(elf, node_id=node_id)
    except ElfError as exc:
        print(f"esse run: {exc}", file=sys.stderr)
        return 1
    assert mote.image is not None
    for problem in symbol_problems(mote.image):
        print(f"esse run: WARNING: {problem}", file=sys.stderr)
    if translate and not _translate(mote):
        return 1
    try:
        pattern = re.compile(until_uart.encode()) if until_uart else None
    except re.error as exc:
        print(f"esse run: bad --until-uart pattern {until_uart!r}: {exc}", file=sys.stderr)
        return 1
    trace = None
    if vcd is not None:
        try:
            trace = MoteTrace(mote, vcd)
        except OSError as exc:
            print(f"esse run: --vcd {vcd}: {exc.strerror or exc}", file=sys.stderr)
            return 1
    try:
        if gdb is not None:
            return _serve_gdb(mote, gdb, gdb_reg_bytes, out)
        return _run(mote, out, max_cycles, stop_symbol, pattern, seconds, fail_on_reset, trace)
    finally:
        if trace is not None:
            try:
                trace.close()
            except RuntimeError as exc:  # the core lost records: the file says less than happened
                print(f"esse run: {exc}", file=sys.stderr)


def _translate(mote: Mote) -> bool:
    """Attach translated code to `mote` (built once per firmware, then cached); False on an error."""
    from harness.emulator.translate import TranslateError
    from harness.emulator.translate import translate as attach_translation
    from harness.proc import CommandFailed, ToolMissing

    try:
        t = attach_translation(mote)
    except (TranslateError, ToolMissing, CommandFailed) as exc:
        print(f"esse run: --translate: {exc}", file=sys.stderr)
        return False
    print(f"esse run: translated {t.regions} functions ({t.instructions} instructions): {t.path}",
          file=sys.stderr)
    return True


def _run(
    mote: Mote,
    out: TextIO,
    max_cycles: int,
    stop_symbol: str | None,
    pattern: re.Pattern[bytes] | None,
    seconds: float | None,
    fail_on_reset: bool,
    trace: MoteTrace | None,
) -> int:
    from harness.emulator.mote import EmulatorFault
    from harness.emulator.power import power_report
    from harness.emulator.resets import last_cause, puc_count

    stop_pc = None
    if stop_symbol:
        try:
            stop_pc = mote.symbol(stop_symbol)
        except KeyError as exc:
            print(f"esse run: {exc.args[0]}", file=sys.stderr)
            return 1
    if seconds is not None and seconds <= 0:
        print(f"esse run: --seconds must be positive (got {seconds})", file=sys.stderr)
        return 1
    limit = mote.now + max_cycles
    end_ns = round(seconds * 1e9) if seconds is not None else None
    shown = 0
    code = 2
    chunk = 1_000_000
    resets = 0
    try:
        while mote.now < limit:
            if end_ns is not None:
                if mote.time_ns >= end_ns:
                    code = 0 if stop_pc is None and pattern is None else 2
                    break
                if stop_pc is None and pattern is None:
                    # exact stop at the simulated instant (the DCO may change on the way)
                    mote.run_until_time(min(end_ns, mote.time_ns + 100_000_000))
                    result = None
                    text = mote.uart_output()
                    if len(text) > shown:
                        out.write(text[shown:].decode("latin-1"))
                        out.flush()
                        shown = len(text)
                    if trace is not None:
                        trace.poll()
                    continue
            budget = min(chunk, limit - mote.now)
            if end_ns is not None:
                budget = max(1, min(budget, mote.cycle_at_ns(end_ns) - mote.now))
            if stop_pc is not None:
                result = mote.run_until_pc(stop_pc, budget)
            elif pattern is not None:
                result = mote.run_until_uart(pattern, budget)
            else:
                result = mote.run(budget)
            text = mote.uart_output()
            if len(text) > shown:
                out.write(text[shown:].decode("latin-1"))
                out.flush()
                shown = len(text)
            if trace is not None:
                trace.poll()
            if puc_count(mote.ptr) != resets:  # no reset goes unreported
                resets = puc_count(mote.ptr)
                print(
                    f"\nesse run: RESET ({last_cause(mote.ptr)}) at cycle {mote.ptr.last_reset_cycle}"
                    f" ({resets} so far)",
                    file=sys.stderr,
                )
                if fail_on_reset:
                    code = 1
                    break
            if result.reason in ("stop", "uart"):
                code = 0
                break
    except EmulatorFault as exc:
        out.write(mote.uart_output()[shown:].decode("latin-1"))
        print(f"\nesse run: FAULT: {exc}", file=sys.stderr)
        code = 1
    if code == 2:
        timed = end_ns is not None and mote.now < limit
        what = f"time limit ({seconds} s)" if timed else f"cycle limit ({max_cycles})"
        print(f"\nesse run: {what} reached", file=sys.stderr)
    for use in mote.unmodelled():  # nothing silent: results that depend on these are not the chip's
        print(f"esse run: WARNING: {use}", file=sys.stderr)
    report = power_report(mote)
    print(f"\nCYCLES {mote.now}", file=out)
    print(f"TIME_NS {report.total_ns}", file=out)
    print(f"ACTIVE_CYCLES {mote.active_cycles}", file=out)
    print(f"MCLK_HZ {mote.mclk_hz}", file=out)
    for line in report.lines():
        print(line, file=out)
    for state, ns in report.state_ns().items():
        print(f"STATE_NS {state} {ns}", file=out)
    return code


def _serve_gdb(mote: Mote, address: str, reg_bytes: int, out: TextIO) -> int:
    import socket

    from harness.emulator.gdbstub import GdbStub, parse_address

    try:
        host, port = parse_address(address)
        listener = socket.create_server((host, port))
    except (ValueError, OSError) as exc:
        print(f"esse run: {exc}", file=sys.stderr)
        return 1
    with listener:
        bound = listener.getsockname()
        print(f"esse run: GDB server on {bound[0]}:{bound[1]}, waiting for a client", file=out, flush=True)

        def console(data: bytes) -> None:
            out.write(data.decode("latin-1"))
            out.flush()

        GdbStub(mote, reg_bytes=reg_bytes, console=console).serve(listener)
    print(f"\nesse run: GDB client gone at cycle {mote.now}", file=out)
    return 0


def add_cli(sub: argparse._SubParsersAction) -> None:
    """Register the `run` sub-command."""
    p = sub.add_parser("run", help="run a Sky firmware ELF on the cycle-counting emulator")
    p.add_argument("elf", metavar="FIRMWARE.elf")
    p.add_argument("--max-cycles", type=int, default=100_000_000, help="cycle limit (default 1e8)")
    p.add_argument("--stop-symbol", help="stop (exit 0) when this function/label is about to execute")
    p.add_argument("--until-uart", metavar="REGEX", help="stop (exit 0) when UART1 output matches")
    p.add_argument("--node-id", type=int, default=1, help="mote id written into `node_id` (default 1)")
    p.add_argument("--seconds", type=float, help="stop at this simulated time since power-on (exit 0)")
    p.add_argument("--fail-on-reset", action="store_true", help="a PUC (watchdog, key violation) exits 1")
    p.add_argument(
        "--gdb",
        metavar="[HOST]:PORT",
        help="serve the GDB remote protocol there (port 0: a free one, printed) instead of running",
    )
    p.add_argument(
        "--gdb-reg-bytes",
        type=int,
        choices=(2, 4),
        default=2,
        help="register width in g/p packets: 2 (MSP430, mspdebug gdbc) or 4 (gdb built for MSP430X)",
    )
    p.add_argument(
        "--vcd",
        metavar="FILE",
        help="write a Value Change Dump (GTKWave) of the Sky's pins, CPU/radio modes, DCO and UART bytes",
    )
    p.add_argument(
        "--translate",
        action="store_true",
        help="run the firmware's functions as translated host code (compiled by gcc once, cached): "
        "same cycles and output, faster",
    )
    p.set_defaults(
        func=lambda a: run_command(
            a.elf,
            a.max_cycles,
            a.stop_symbol,
            a.until_uart,
            a.node_id,
            fail_on_reset=a.fail_on_reset,
            gdb=a.gdb,
            gdb_reg_bytes=a.gdb_reg_bytes,
            seconds=a.seconds,
            vcd=a.vcd,
            translate=a.translate,
        )
    )
