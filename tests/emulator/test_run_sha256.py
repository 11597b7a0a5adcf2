"""Compiled C on the emulator: SHA-256 (FIPS 180-4, harness/bench/firmware) built with the
firmware toolchain; every digest printed over UART1 must equal hashlib's."""

from __future__ import annotations

from harness.bench.firmware import build_sha256_bench, expected_digests
from harness.emulator.mote import Mote


def test_sha256_firmware_digests_match_hashlib(tmp_path) -> None:
    elf = build_sha256_bench(rounds=4, build_root=tmp_path).elf
    mote = Mote(elf)
    assert mote.run_until_pc("bench_done", 100_000_000).reason == "stop"
    lines = mote.uart_text().splitlines()
    assert lines[0] == "sha256_bench rounds=4"
    assert [ln[2:] for ln in lines if ln.startswith("D ")] == expected_digests(4)
    assert mote.active_cycles == mote.now  # never slept
