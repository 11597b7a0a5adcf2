"""Mixed compiled C on the emulator (the bench-emulator "mixed" kernel: MSPABI multiply and
division helpers, memcpy/memmove, sorting, recursion, a switch interpreter, CRC-16): its UART
output must equal the same C file compiled for the host."""

from __future__ import annotations

from harness.bench.firmware import build_mixed_bench, mixed_bench_host_output
from harness.emulator.mote import Mote


def test_mixed_firmware_matches_host_build(tmp_path) -> None:
    elf = build_mixed_bench(rounds=3, build_root=tmp_path).elf
    mote = Mote(elf)
    assert mote.run_until_pc("bench_done", 100_000_000).reason == "stop"
    expected = mixed_bench_host_output(3, tmp_path).splitlines()
    # the UART may still be shifting out the last line at bench_done
    assert mote.uart_text().splitlines()[:4] == expected[:4]
    assert [ln for ln in expected if ln.startswith("M ")] == expected[1:4]
    assert mote.active_cycles == mote.now  # never slept
