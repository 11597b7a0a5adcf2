"""Benchmark: MCLK cycles per MSPABI helper call on the emulated MSP430F1611 (`invoke bench-mspabi`).

A generated firmware calls each helper once on fixed full-width operands between calls to an
empty marker function; the emulator stops at every marker and the cycle difference, minus the
cost of an empty marker-to-marker step, is the figure. It includes loading the operands from
and storing the result to memory (a handful of cycles).
"""

from __future__ import annotations

from pathlib import Path

from harness import paths
from harness.build.firmware import build_firmware
from harness.build.selftest_oracle import HELPERS

OPERANDS = {
    16: (0xB63A, 0x1D27),
    32: (0xC103861B, 0x0222F03E),
    64: (0x9DACCE46DBD8A9BA, 0x00000000BC2FA524),
}
CTYPES = {16: "int16_t", 32: "int32_t", 64: "int64_t"}
# Common uses measured besides the helpers themselves (name, C expression with a 64-bit result).
EXTRAS = [
    ("u32*u32->u64 (mpyll_hw)", "(uint64_t)(uint32_t)a32 * (uint32_t)b32"),
    ("i32*i32->i64 (mpyll_hw)", "(int64_t)a32 * b32"),
]


def bench_source() -> str:
    """The C source of the benchmark firmware (one call to each helper between markers)."""
    lines = [
        "#include <stdint.h>",
        '#include "mspabi.h"',
        '__attribute__((noinline)) void bench_mark(void) { __asm__ volatile(""); }',
    ]
    for w, (a, b) in OPERANDS.items():
        t = CTYPES[w]
        lines.append(f"volatile {t} a{w} = ({t}){a:#x}ull, b{w} = ({t}){b:#x}ull, r{w};")
    # Each extra in its own function (includes a call and return): clang-16 -Os did not finish
    # compiling them inline in the long main().
    for i, (_, call) in enumerate(EXTRAS):
        lines.append(f"__attribute__((noinline)) static void extra_{i}(void) {{ r64 = {call}; }}")
    lines += ["int main(void)", "{", "    bench_mark();", "    bench_mark();"]
    for h in HELPERS:
        w = h.width
        if h.name in ("divull", "remull", "divlli", "remlli"):
            cast = "uint64_t" if h.name.endswith("ull") else "int64_t"
            op = "/" if h.name.startswith("div") else "%"
            call = f"({cast})a64 {op} ({cast})b64"
        elif h.shift:
            call = f"__mspabi_{h.name}(a{w}, {w // 2 - 1})"
        else:
            call = f"__mspabi_{h.name}(a{w}, b{w})"
        lines.append(f"    r{h.rwidth} = {call};")
        lines.append("    bench_mark();")
    for i in range(len(EXTRAS)):
        lines.append(f"    extra_{i}();")
        lines.append("    bench_mark();")
    lines += ["    for (;;) {", "    }", "}"]
    return "\n".join(lines) + "\n"


def mspabi_cycles() -> dict[str, int]:
    """MCLK cycles per MSPABI helper call, by helper name."""
    from harness.emulator.mote import Mote  # the emulator is only needed for the run

    out = paths.build_dir() / "mspabi_bench"
    src_dir = out / "src"
    src_dir.mkdir(parents=True, exist_ok=True)
    src = src_dir / "bench.c"
    text = bench_source()
    if not src.is_file() or src.read_text() != text:  # keep the build incremental
        src.write_text(text)
    res = build_firmware("mspabi_bench", [Path(src)], out_dir=out)
    mote = Mote(res.elf)
    marks = []
    names = [h.name for h in HELPERS] + [name for name, _ in EXTRAS]
    for _ in range(len(names) + 2):
        run = mote.run_until_pc("bench_mark", max_cycles=1_000_000)
        if run.reason != "stop":
            raise RuntimeError("benchmark firmware did not reach bench_mark")
        marks.append(mote.now)
        mote.step()
    empty = marks[1] - marks[0]
    return {name: marks[i + 2] - marks[i + 1] - empty for i, name in enumerate(names)}


def format_cycles(cycles: dict[str, int]) -> str:
    """The cycle figures as an aligned table, one helper per line."""
    width = max(map(len, cycles))
    return "\n".join(f"{name:<{width}}  {n:>6} cycles" for name, n in cycles.items())
