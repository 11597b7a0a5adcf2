"""MSPSim on the same ELF as bench-emulator's mixed firmware, for comparison (issue 15 item 7).

MSPSim has no stand-alone headless runner that stops at a symbol, so it runs inside a real headless
Cooja (ESSE_COOJA, as for the `cooja` tests): one Sky mote with the mixed_bench ELF and a ScriptRunner
script that logs every line and says TEST OK at "mixed_bench done". The JVM's start, Cooja's loading
and the JIT's warm-up are left out by running two round counts and dividing the difference in
emulated cycles by the difference in host CPU time (Cooja's process and its threads, as our figure is
our process's CPU time). The emulated cycles are our emulator's count for the same ELF (the two agree
to 0.01 % on such code, docs/cooja.md); MSPSim's lines must equal those of the same C compiled for
the host (the bench's oracle), or the figure is refused.
"""

from __future__ import annotations

import resource
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SCRIPT = "\n".join([
    "TIMEOUT(36000000, log.testFailed());",  # simulated ms
    "while (true) {",
    '  log.log(time + " " + id + " " + msg + "\\n");',
    '  if (msg.equals("mixed_bench done")) log.testOK();',
    "  YIELD();",
    "}",
])


@dataclass(frozen=True)
class MspsimRun:
    """One Cooja run of mixed_bench: rounds, our emulator's cycles to the end, host CPU and wall seconds."""

    rounds: int
    cycles: int
    cpu_s: float
    wall_s: float


def _our_cycles(elf: Path) -> int:
    from harness.emulator.mote import Mote

    m = Mote(elf)
    m.run_until_pc("bench_done", 2_000_000_000)
    return m.now


def run_once(rounds: int, jar: Path, contiki: Path, work: Path) -> MspsimRun:
    """Run mixed_bench with `rounds` rounds in Cooja; its lines are checked against our emulator's."""
    from harness.bench.firmware import build_mixed_bench, mixed_bench_host_output
    from harness.sim.cooja_backend import parse_testlog, run_cooja
    from harness.sim.csc import SCRIPT_RUNNER, CscSimulation, MoteSpec, MoteTypeSpec, PluginSpec, write_csc

    elf = build_mixed_bench(rounds).elf
    cycles = _our_cycles(elf)
    csc = work / f"mixed_{rounds}" / "mixed.csc"
    csc.parent.mkdir(parents=True)
    lines = mixed_bench_host_output(rounds, csc.parent).splitlines()  # the same C compiled by gcc
    shutil.copyfile(elf, csc.parent / "mixed.sky")
    sim = CscSimulation(
        title=f"mixed_bench, {rounds} rounds", random_seed=1, motedelay_us=0,
        mote_types=[MoteTypeSpec("sky_mixed", "mixed_bench", "[CONFIG_DIR]/mixed.sky")],
        motes=[MoteSpec(1, "sky_mixed")],
        plugins=[PluginSpec(SCRIPT_RUNNER, config=[("script", SCRIPT), ("active", "true")])],
    )  # fmt: skip
    write_csc(sim, csc)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    result, _ = run_cooja(csc, jar, contiki, csc.parent / "out", seed=1, timeout=1800)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    log = parse_testlog((csc.parent / "out" / "COOJA.testlog").read_text())
    theirs = [ln.text for ln in log.lines]
    if log.verdict is not True or result.returncode != 0:
        raise RuntimeError(f"Cooja did not finish mixed_bench ({rounds} rounds): {theirs[-3:]}")
    if theirs != lines:
        raise RuntimeError(f"MSPSim printed other lines than the host build of mixed_bench ({rounds} rounds)")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return MspsimRun(rounds, cycles, cpu, wall)


def mixed_mhz(jar: Path, contiki: Path, rounds: tuple[int, int] = (256, 4096)) -> tuple[float, float]:
    """MSPSim's emulated MHz on mixed_bench: (per host CPU second, per wall second), start-up left out."""
    with tempfile.TemporaryDirectory(prefix="esse-bench-mspsim-") as tmp:
        short, long = (run_once(r, jar, contiki, Path(tmp)) for r in rounds)
    cycles = long.cycles - short.cycles
    return cycles / (long.cpu_s - short.cpu_s) / 1e6, cycles / (long.wall_s - short.wall_s) / 1e6
