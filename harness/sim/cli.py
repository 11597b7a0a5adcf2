"""`esse sim ...` (our engine) and `esse cooja ...` (the real Cooja) sub-commands."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from harness import proc
from harness.paths import build_dir

if TYPE_CHECKING:
    from harness.sim.scenario import Scenario


def _load(target: Path, out_dir: Path) -> Scenario:
    from harness.sim.csc import read_csc, write_csc
    from harness.sim.scenario import load_scenario, scenario_from_csc

    if target.suffix == ".toml":
        sc = load_scenario(target, csc_path=out_dir / "sim.csc")
        write_csc(sc.sim, out_dir / "sim.csc")
        return sc
    if target.suffix == ".csc":
        return scenario_from_csc(read_csc(target))
    raise ValueError(f"{target}: expected a .toml scenario or a .csc simulation")


def _progress_bar(now_us: int, end_us: int) -> None:
    frac = min(1.0, now_us / end_us) if end_us else 1.0
    filled = int(frac * 30)
    sys.stderr.write(
        f"\r[{'#' * filled}{'.' * (30 - filled)}] {frac * 100:5.1f}% {now_us / 1e6:.2f}/{end_us / 1e6:.2f} s"
    )
    sys.stderr.flush()


def _poller(traces: list) -> Callable[[int], None]:
    """on_step for run_scenario: drain the VCD traces whose buffers filled up."""

    def poll(_now_us: int) -> None:
        for t in traces:
            t.poll()

    return poll


def cmd_sim_run(args: argparse.Namespace) -> int:
    """`esse sim run`: run a scenario or .csc on our engine and write Cooja's outputs."""
    from harness.sim.csc import CscError
    from harness.sim.motes import MoteBackendUnavailable
    from harness.sim.output import summary_text
    from harness.sim.runner import SimulationError, build_motes, run_scenario
    from harness.sim.scenario import ScenarioError
    from harness.sim.serial_socket import serial_ports_from_base

    target = Path(args.target)
    out_dir = Path(args.out) if args.out else build_dir() / "sim" / target.stem
    # SIGTERM (a parent stopping a --realtime run) ends the run like Ctrl-C: outputs are still written.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    debugged: list = []  # harness.sim.gdb.DebuggedMote: told when the run is over
    traces: list = []  # harness.emulator.vcd.MoteTrace (--vcd): closed when the run is over
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        sc = _load(target, out_dir)
        for w in sc.sim.warnings:
            print(f"warning: {w}", file=sys.stderr)
        if args.port_base is not None:  # a bad base is reported before the motes are built
            serial_ports_from_base(sc.sim.serial_ports(), args.port_base)
        translate = sc.translate if args.translate is None else args.translate
        motes = build_motes(sc.sim, translate=translate)
        if args.gdb:
            from harness.sim.gdb import debug_motes

            def announce(text: str) -> None:
                print(f"esse sim run: {text}", flush=True)

            motes = debug_motes(motes, args.gdb, announce, args.gdb_reg_bytes)
            debugged.extend(m for m in motes if hasattr(m, "stub"))
        if args.vcd:
            from harness.sim.trace import trace_motes

            traces = trace_motes(motes, args.vcd)
        tty = sys.stderr.isatty()
        outcome = run_scenario(
            sc,
            motes,
            out_dir,
            seed=args.seed,
            duration_s=args.duration,
            speed=args.realtime,
            port_base=args.port_base,
            progress=_progress_bar if tty else None,
            fail_on_reset=args.fail_on_reset,
            on_reset=lambda ev: print(f"{chr(10) if tty else ''}esse sim run: {ev}", file=sys.stderr),
            on_step=_poller(traces) if traces else None,
        )
        if tty:
            sys.stderr.write("\n")
    except (CscError, ScenarioError, MoteBackendUnavailable, ValueError, OSError) as exc:
        print(f"esse sim run: {exc}", file=sys.stderr)
        return 2
    except SimulationError as exc:
        if sys.stderr.isatty():
            sys.stderr.write("\n")
        print(f"esse sim run: {exc}", file=sys.stderr)
        return 1
    finally:
        for m in debugged:
            m.close()
        if traces:
            from harness.sim.trace import close_traces

            for problem in close_traces(traces):
                print(f"esse sim run: --vcd {problem}", file=sys.stderr)
    print(summary_text(outcome.files["summary"]))
    print(f"outputs in {out_dir}")
    if outcome.result.reason == "interrupted":
        print(f"esse sim run: interrupted at {outcome.result.end_us} µs", file=sys.stderr)
        return 130
    if args.fail_on_reset and outcome.engine.resets:
        print(f"esse sim run: failed: {outcome.engine.resets[0]} (--fail-on-reset)", file=sys.stderr)
        return 1
    return 1 if outcome.verdict is False else 0


def cmd_sim_render(args: argparse.Namespace) -> int:
    """`esse sim render`: write a TOML scenario as a Cooja .csc."""
    from harness.sim.scenario import ScenarioError, render_scenario

    try:
        out = render_scenario(args.scenario, args.output, args.generation, args.firmware)
    except (ScenarioError, OSError) as exc:
        print(f"esse sim render: {exc}", file=sys.stderr)
        return 2
    print(out)
    return 0


def cmd_cooja_run(args: argparse.Namespace) -> int:
    """`esse cooja run`: run a .csc in a real Cooja and collect its outputs."""
    from harness.sim.cooja_backend import CoojaUnavailable, run_cooja

    csc = Path(args.csc)
    out_dir = Path(args.out) if args.out else build_dir() / "cooja" / csc.stem
    try:
        result, files = run_cooja(
            csc,
            Path(args.cooja),
            Path(args.contiki),
            out_dir,
            seed=args.seed,
            generation=args.generation,
            dry_run=args.dry_run,
        )
    except (CoojaUnavailable, proc.ToolMissing, proc.CommandFailed) as exc:
        print(f"esse cooja run: {exc}", file=sys.stderr)
        return 2
    if result.dry_run:
        import shlex

        print(shlex.join(result.argv))
        return 0
    for name, path in sorted(files.items()):
        print(f"{name}: {path}")
    verdict = (out_dir / "COOJA.testlog").read_text().splitlines()[-1:] if files.get("testlog") else []
    return 0 if verdict == ["TEST OK"] else 1


def add_translate_option(p: argparse.ArgumentParser) -> None:
    """--translate / --no-translate (args.translate: None when not given: the scenario's `translate`)."""
    p.add_argument(
        "--translate",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="run the emulated motes' flash code translated to host C (same results, faster; compiled "
        "once per firmware with gcc, cached; default: the scenario's `translate`, else off)",
    )


def add_cli(sub: argparse._SubParsersAction) -> None:
    """Register the `sim` and `cooja` sub-commands."""
    p = sub.add_parser("sim", help="multi-mote simulation on the emulator (Cooja .csc compatible)")
    ssub = p.add_subparsers(dest="sim_command", metavar="SUBCOMMAND", required=True)

    r = ssub.add_parser("run", help="run a TOML scenario or a .csc headless")
    r.add_argument("target", help="SCENARIO.toml or SIM.csc")
    r.add_argument("--seed", type=int, help="random seed (default: the file's)")
    r.add_argument("--duration", type=float, help="simulated seconds (default: the file's)")
    r.add_argument(
        "--realtime",
        type=float,
        nargs="?",
        const=1.0,
        default=None,
        metavar="SPEED",
        help="pace against the wall clock (1.0 = real time)",
    )
    r.add_argument("--out", help="output directory (default: build/sim/<name>)")
    r.add_argument(
        "--port-base",
        type=int,
        metavar="BASE",
        help="serial sockets on BASE + mote id instead of the file's ports (0: free ports, see SERIAL READY)",
    )
    r.add_argument(
        "--fail-on-reset",
        action="store_true",
        help="a mote reset (watchdog, key violation) ends the run and fails it (exit 1)",
    )
    r.add_argument(
        "--gdb",
        action="append",
        metavar="MOTE=[HOST]:PORT",
        help="serve the GDB remote protocol for that mote (repeatable; PORT 0: a free one, printed); "
        "the run waits for the client and pauses while the mote is stopped",
    )
    r.add_argument(
        "--vcd",
        action="append",
        metavar="DIR|MOTE=FILE",
        help="write a Value Change Dump (GTKWave) of pins, CPU/radio modes, DCO and UART bytes: "
        "DIR/mote<ID>.vcd for every emulated mote, or FILE for mote MOTE (repeatable)",
    )
    r.add_argument(
        "--gdb-reg-bytes",
        type=int,
        choices=(2, 4),
        default=2,
        help="register width in g/p packets: 2 (MSP430, mspdebug gdbc) or 4 (gdb built for MSP430X)",
    )
    add_translate_option(r)
    r.set_defaults(func=cmd_sim_run)

    d = ssub.add_parser("render", help="render a TOML scenario to a Cooja .csc")
    d.add_argument("scenario")
    d.add_argument("-o", "--output", required=True, help="the .csc to write")
    d.add_argument(
        "--generation", choices=("3", "4"), default="3", help="target Cooja 3.x or 4.x class names"
    )
    d.add_argument(
        "--firmware",
        choices=("copy", "point"),
        default="copy",
        help="copy: the ELFs (a provisioned one per psk_dn mote) beside the .csc, [CONFIG_DIR]/NAME.sky "
        "(default); point: [CONFIG_DIR]-relative paths into the build directory",
    )
    d.set_defaults(func=cmd_sim_render)

    c = sub.add_parser("cooja", help="run simulations in the real Cooja (needs Java and a Cooja jar)")
    csub = c.add_subparsers(dest="cooja_command", metavar="SUBCOMMAND", required=True)
    cr = csub.add_parser("run", help="run SIM.csc headless in Cooja and gather its outputs")
    cr.add_argument("csc")
    cr.add_argument("--cooja", required=True, metavar="JAR", help="cooja.jar")
    cr.add_argument("--contiki", required=True, metavar="DIR", help="the Contiki source tree")
    cr.add_argument("--seed", type=int)
    cr.add_argument("--generation", choices=("3", "4"), default="3", help="Cooja 3.x or 4.x command line")
    cr.add_argument("--out", help="output directory (default: build/cooja/<name>)")
    cr.add_argument("--dry-run", action="store_true", help="print the command line only")
    cr.set_defaults(func=cmd_cooja_run)
