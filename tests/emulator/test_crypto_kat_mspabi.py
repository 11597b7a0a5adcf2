"""The MSPABI run-time helpers (firmware/sys) on host-chosen operands, on the emulated MSP430.

`hello`'s self-test (tests/emulator/test_run_hello.py, tests/test_build_hello_emulated.py) already
checks every helper against H1's Python oracle as a CRC over a fixed operand stream. This adds
fresh operands each seed, thousands in all, checked result by result with the same oracle
(harness.build.selftest_oracle.HELPERS), with extra weight on the four 64-bit divisions that
LLVM calls with its special convention (dividend R8:R11, divisor R12:R15) through assembly shims,
and shift counts up to and beyond the operand width.
"""

from __future__ import annotations

import random

import pytest

from harness.bench.crypto_kat import KatMote, build_kat, kat_seed
from harness.build.selftest_oracle import HELPERS, Helper

SEED = kat_seed(20240503)  # ESSE_KAT_SEED=<n> for other inputs
PAIRS_PER_REQUEST = 39  # 1 + len(name) + 16 * pairs must fit the firmware's 640-byte payload
SHIMS = {"divull", "remull", "divlli", "remlli"}


@pytest.fixture(scope="module")
def kat(tmp_path_factory) -> KatMote:
    return KatMote(build_kat("record", build_root=tmp_path_factory.mktemp("crypto_kat_mspabi")))


def operand(rng: random.Random, width: int) -> int:
    """Mostly random bit patterns of every magnitude, plus the edges division gets wrong."""
    mask = (1 << width) - 1
    kind = rng.randrange(8)
    if kind == 0:
        return rng.choice([0, 1, 2, mask, mask - 1, 1 << (width - 1), (1 << (width - 1)) - 1,
                           (1 << (width - 1)) + 1])
    if kind == 1:
        return (-rng.randrange(1, 1 << rng.randrange(1, width))) & mask  # small negative
    if kind == 2:
        return 1 << rng.randrange(width)
    return rng.getrandbits(rng.randrange(1, width + 1))


def pairs_for(helper: Helper, rng: random.Random, count: int) -> list[tuple[int, int]]:
    out = []
    for _ in range(count):
        a = operand(rng, helper.width)
        if helper.shift:
            b = rng.randrange(0, helper.width + 3)  # counts at and past the width too
        elif helper.name.startswith(("div", "rem")) and rng.random() < 0.2:
            b = (a + rng.randrange(-2, 3)) & ((1 << helper.width) - 1)  # quotient 0 or 1 edges
        else:
            b = operand(rng, helper.width)
        out.append((a, b))
    return out


def run_helper(kat: KatMote, helper: Helper, pairs: list[tuple[int, int]]) -> list[int]:
    results: list[int] = []
    name = helper.name.encode()
    for i in range(0, len(pairs), PAIRS_PER_REQUEST):
        chunk = pairs[i:i + PAIRS_PER_REQUEST]
        body = b"".join(a.to_bytes(8, "big") + b.to_bytes(8, "big") for a, b in chunk)
        reply = kat.request("X", bytes([len(name)]) + name + body)
        assert reply.ok, f"{helper.name}: err {reply.error}"
        results += [int.from_bytes(reply.data[j:j + 8], "big") for j in range(0, len(reply.data), 8)]
    return results


@pytest.mark.parametrize("helper", HELPERS, ids=lambda h: h.name)
def test_mspabi_helper_matches_oracle(kat, helper) -> None:
    rng = random.Random(f"{SEED}-{helper.name}")
    pairs = pairs_for(helper, rng, 468 if helper.name in SHIMS else 117)
    got = run_helper(kat, helper, pairs)
    assert len(got) == len(pairs)
    mask = (1 << helper.rwidth) - 1
    bad = [(a, b, r, helper.fn(a, b) & mask) for (a, b), r in zip(pairs, got, strict=True)
           if r != helper.fn(a, b) & mask]
    assert not bad, f"{helper.name}, seed {SEED}: {len(bad)} wrong, first (a, b, mote, python): " + ", ".join(
        f"({a:#x}, {b:#x}, {r:#x}, {e:#x})" for a, b, r, e in bad[:3])


def test_unknown_helper_name_is_refused(kat) -> None:
    assert kat.request("X", b"\x04divx" + bytes(16)).error == 3
