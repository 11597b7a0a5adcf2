"""Emulator benchmarks (`invoke bench-emulator`): emulated MHz on CPU-bound code and simulated
seconds per host second on an idle LPM3 firmware, and MSPSim on the same mixed ELF when a real
Cooja is named (harness/bench/mspsim.py). Prints figures; asserts nothing.

Host time is this process's CPU time, so the figures hold on a busy machine too."""

from __future__ import annotations

import time
from pathlib import Path

from harness.emulator.core_build import ensure_built

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


def _mhz(source: str, cycles: int) -> float:
    from harness.emulator.asm import assemble
    from harness.emulator.mote import Mote

    vectors = '\n        .section .vectors,"ax"\n        .fill 15, 2, 0\n        .word _start\n'
    m = Mote(assemble(source + vectors))
    m.run(1_000_000)  # warm the decode cache
    t0 = time.process_time()
    m.run(cycles)
    dt = time.process_time() - t0
    return cycles / dt / 1e6


def _hello_mhz() -> tuple[float, int]:
    from harness.build import build_app
    from harness.emulator.mote import Mote

    m = Mote(build_app("hello").elf)
    t0 = time.process_time()
    m.run_until_uart(rb"ST end", max_cycles=500_000_000)
    dt = time.process_time() - t0
    return m.now / dt / 1e6, m.now


def _until_done_mhz(elf: Path) -> tuple[float, int]:
    """Emulated MHz of a benchmark firmware run from reset to its bench_done symbol."""
    from harness.emulator.mote import Mote

    m = Mote(elf)
    t0 = time.process_time()
    m.run_until_pc("bench_done", 2_000_000_000)
    dt = time.process_time() - t0
    return m.now / dt / 1e6, m.now


def _sha256_mhz(rounds: int) -> tuple[float, int]:
    from harness.bench.firmware import build_sha256_bench

    return _until_done_mhz(build_sha256_bench(rounds).elf)


def _mixed_mhz(rounds: int) -> tuple[float, int]:
    from harness.bench.firmware import build_mixed_bench

    return _until_done_mhz(build_mixed_bench(rounds).elf)


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


def main() -> None:
    """Print the emulator's speed in emulated MHz on each benchmark."""
    ensure_built()
    print(f"cpu tight loop (dec/jnz)      {_mhz(TIGHT_LOOP, 1_000_000_000):8.0f} emulated MHz")
    print(f"cpu memory kernel             {_mhz(MEMORY_KERNEL, 500_000_000):8.0f} emulated MHz")
    try:
        mhz, cycles = _sha256_mhz(64)
        print(f"SHA-256 firmware (clang -Os, {cycles} cycles)  {mhz:8.0f} emulated MHz")
        mhz, cycles = _mixed_mhz(256)
        print(f"mixed firmware (MSPABI, copies, calls, branches, {cycles} cycles)  {mhz:8.0f} emulated MHz")
        mhz, cycles = _hello_mhz()
        print(f"hello self-test (MSPABI+printf+UART, {cycles} cycles) {mhz:8.0f} emulated MHz")
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
