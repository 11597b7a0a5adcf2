"""Emulator benchmarks (`invoke bench-emulator`): emulated MHz on CPU-bound code and simulated
seconds per host second on an idle LPM3 firmware, and MSPSim on the same mixed ELF when a real
Cooja is named (harness/bench/mspsim.py). Prints figures; asserts nothing.

Host time is this process's CPU time, so the figures hold on a busy machine too. Every CPU figure
is given twice: the interpreter, and translated code (harness/emulator/translate.py; its one-time
compile is done before the clock starts and cached)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from harness.emulator.core_build import ensure_built

if TYPE_CHECKING:
    from harness.emulator.mote import Mote
    from harness.emulator.translate import Region

WATCHDOG_OFF = "mov #0x5a80, &0x0120"

# dec/jnz: the tightest loop (1 + 2 cycles for two instructions)
TIGHT_LOOP = f"""
        .text
        .globl _start
_start: mov #0x3900, r1
        {WATCHDOG_OFF}
outer:  mov #50000, r14
inner:  dec r14
        jnz inner
        jmp outer
"""

# a checksum kernel shaped like compiled code: autoincrement loads, indexed stores, byte ops,
# shifts, compares and a call per block
MEMORY_KERNEL = f"""
        .text
        .globl _start
_start: mov #0x3900, r1
        {WATCHDOG_OFF}
again:  mov #0x1100, r4
        mov #256, r5
        clr r6
1:      mov @r4+, r7
        add r7, r6
        rla r6
        xor.b #0x5a, r6
        mov r6, -2(r4)
        dec r5
        jnz 1b
        call #fold
        jmp again
fold:   push r6
        swpb r6
        add @r1+, r6
        mov r6, &0x1300
        ret
"""


def _translated(m: Mote, regions: list[Region] | None = None) -> Mote:
    """Attach `m`'s translated code (compiled before timing starts; cached after the first run)."""
    from harness.emulator.translate import translate

    translate(m, regions)
    return m


def _mhz(source: str, cycles: int, translated: bool = False) -> float:
    from harness.emulator.asm import assemble
    from harness.emulator.mote import Mote
    from harness.emulator.translate import Region

    vectors = '\n        .section .vectors,"ax"\n        .fill 15, 2, 0\n        .word _start\n'
    m = Mote(assemble(source + vectors))
    if translated:  # the program has no function symbols: its text is one region
        assert m.image is not None
        text = next(seg for seg in m.image.segments if seg.address == 0x4000)
        _translated(m, [Region("program", text.address, text.address + len(text.data))])
    m.run(1_000_000)  # warm the decode cache
    t0 = time.process_time()
    m.run(cycles)
    dt = time.process_time() - t0
    return cycles / dt / 1e6


def _hello_mhz(translated: bool = False) -> tuple[float, int]:
    from harness.build import build_app
    from harness.emulator.mote import Mote

    m = Mote(build_app("hello").elf)
    if translated:
        _translated(m)
    t0 = time.process_time()
    m.run_until_uart(rb"ST end", max_cycles=500_000_000)
    dt = time.process_time() - t0
    return m.now / dt / 1e6, m.now


def _until_done_mhz(elf: Path, translated: bool = False) -> tuple[float, int]:
    """Emulated MHz of a benchmark firmware run from reset to its bench_done symbol."""
    from harness.emulator.mote import Mote

    m = Mote(elf)
    if translated:
        _translated(m)
    t0 = time.process_time()
    m.run_until_pc("bench_done", 2_000_000_000)
    dt = time.process_time() - t0
    return m.now / dt / 1e6, m.now


def _sha256_mhz(rounds: int, translated: bool = False) -> tuple[float, int]:
    from harness.bench.firmware import build_sha256_bench

    return _until_done_mhz(build_sha256_bench(rounds).elf, translated)


def _mixed_mhz(rounds: int, translated: bool = False) -> tuple[float, int]:
    from harness.bench.firmware import build_mixed_bench

    return _until_done_mhz(build_mixed_bench(rounds).elf, translated)


def _idle_ratio(sim_seconds: int) -> tuple[float, float]:
    from harness.build import build_app
    from harness.emulator.mote import Mote

    m = Mote(build_app("emutest_timer").elf)
    m.run_until_uart(rb"dco_hz=\d+\n", max_cycles=50_000_000)
    hz = m.mclk_hz
    t0 = time.process_time()
    m.run(sim_seconds * hz)
    dt = time.process_time() - t0
    lpm3 = m.mode_cycles()["lpm3"] / m.now
    return sim_seconds / dt, lpm3


def _both(name: str, run: Callable[[bool], tuple[float, int]]) -> None:
    """One benchmark interpreted and translated (harness.emulator.translate), on one line."""
    interp, cycles = run(False)
    xlat, _ = run(True)
    print(f"{name} ({cycles} cycles)  {interp:8.0f} interpreted  {xlat:8.0f} translated  emulated MHz")


def main() -> None:
    """Print the emulator's speed in emulated MHz on each benchmark, interpreted and translated."""
    ensure_built()
    for name, source, cycles in (
        ("cpu tight loop (dec/jnz)", TIGHT_LOOP, 1_000_000_000),
        ("cpu memory kernel", MEMORY_KERNEL, 500_000_000),
    ):
        print(
            f"{name:29} {_mhz(source, cycles):8.0f} interpreted  {_mhz(source, cycles, True):8.0f} translated"
            "  emulated MHz"
        )
    try:
        _both("SHA-256 firmware (clang -Os)", lambda t: _sha256_mhz(64, t))
        _both("mixed firmware (MSPABI, copies, calls, branches)", lambda t: _mixed_mhz(256, t))
        _both("hello self-test (MSPABI+printf+UART)", _hello_mhz)
        ratio, lpm3 = _idle_ratio(600)
        print(f"idle LPM3 firmware (emutest_timer, 1 wake/s): {ratio:10.0f} simulated s per host s "
              f"({100 * lpm3:.1f}% of cycles in LPM3)")
    except Exception as exc:  # the firmware toolchain may be missing; the CPU figures still stand
        print(f"firmware benchmarks skipped: {exc}")
    _mspsim_line()


def _mspsim_line() -> None:
    """MSPSim's figure on the same mixed ELF when a real Cooja is named (ESSE_COOJA), else how to get it."""
    from harness.bench import mspsim
    from harness.sim.cooja_backend import cooja_from_env

    cooja = cooja_from_env()
    if cooja is None:
        print("MSPSim on the same mixed ELF: not run (set ESSE_COOJA=/path/to/cooja.jar, docs/cooja.md)")
        return
    try:
        cpu_mhz, wall_mhz = mspsim.mixed_mhz(*cooja)
    except Exception as exc:  # a broken Cooja install must not hide our own figures above
        print(f"MSPSim on the same mixed ELF: failed: {exc}")
        return
    print(f"MSPSim (real Cooja) on the same mixed ELF: {cpu_mhz:8.0f} emulated MHz per CPU second "
          f"({wall_mhz:.0f} per wall second; JVM start left out)")


if __name__ == "__main__":
    main()
