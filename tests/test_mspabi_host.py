"""MSPABI helpers, libc subset and hello self-test compiled for the host, checked against Python.

The C helpers (software and hardware-multiplier versions, the latter on a C model of the
F1611 multiplier) run over thousands of operands per helper. The 64-bit division entry points
are assembly shims with LLVM's special register convention that cannot run on the host: here
their C bodies (mspabi_*_c) are tested; the shims themselves are exercised by the hello
self-test on the emulated CPU.
"""

from __future__ import annotations

import ctypes
import random
import subprocess
from pathlib import Path

import pytest
from requirements import require_tool

from harness.build import selftest_oracle as oracle
from harness.paths import FIRMWARE_DIR

HERE = Path(__file__).parent / "mspabi_host"
SYS = FIRMWARE_DIR / "sys"
HELLO = FIRMWARE_DIR / "apps" / "hello"
OPS = FIRMWARE_DIR / "mspabi_ops"
EXPORTED = ["mspabi_mul.c", "mspabi_div.c", "mspabi_shift.c", "sky_uart_divisor.c"]
HIDDEN = [SYS / "print.c", SYS / "string.c", OPS / "op_table.c", HELLO / "selftest.c", HERE / "host_glue.c"]

CTYPE = {
    (16, False): ctypes.c_uint16,
    (16, True): ctypes.c_int16,
    (32, False): ctypes.c_uint32,
    (32, True): ctypes.c_int32,
    (64, False): ctypes.c_uint64,
    (64, True): ctypes.c_int64,
}


@pytest.fixture(scope="session")
def hostlib(tmp_path_factory) -> ctypes.CDLL:
    cc = require_tool("gcc", "build-essential")
    out = tmp_path_factory.mktemp("mspabi_host")
    base = [
        cc,
        "-O1",
        "-fPIC",
        "-ffreestanding",
        "-Wall",
        "-Wextra",
        "-Werror",
        f"-I{SYS / 'include'}",
        f"-I{SYS}",
        f"-I{HERE}",
        f"-I{HELLO}",
        f"-I{OPS}",
        '-DESSE_HWMULT_MODEL="hwmult_model.h"',
    ]
    objs = []
    for src, visibility in [(SYS / n, "default") for n in EXPORTED] + [(s, "hidden") for s in HIDDEN]:
        obj = out / (src.name + ".o")
        subprocess.run([*base, f"-fvisibility={visibility}", "-c", str(src), "-o", str(obj)], check=True)
        objs.append(str(obj))
    lib = out / "libmspabi_host.so"
    subprocess.run([cc, "-shared", "-o", str(lib), *objs], check=True)
    return ctypes.CDLL(str(lib))


def _signed_helper(name: str) -> bool:
    return name.startswith(("mpyi", "mpyl", "mpyll", "mpysl", "divi", "remi", "divli", "remli", "sra"))


def _function(lib: ctypes.CDLL, h: oracle.Helper):
    """ctypes view of a helper; the 64-bit divisions are reached through their C bodies."""
    signed = _signed_helper(h.name) or h.name in ("divlli", "remlli")
    if h.name in ("divull", "remull", "divlli", "remlli"):
        fn = getattr(lib, f"mspabi_{h.name}_c")
    else:
        fn = getattr(lib, f"__mspabi_{h.name}")
    arg_signed = signed and h.name != "mpyul"
    fn.argtypes = [CTYPE[(h.width, arg_signed)], ctypes.c_int16 if h.shift else CTYPE[(h.width, arg_signed)]]
    fn.restype = CTYPE[(h.rwidth, signed)]
    return fn


def _to_arg(v: int, width: int, signed: bool) -> int:
    return oracle._signed(v, width) if signed else v


def _operands(h: oracle.Helper, n: int) -> list[tuple[int, int]]:
    rnd = random.Random(f"mspabi-{h.name}")
    w = h.width
    mask = (1 << w) - 1
    edges = [0, 1, 2, 3, 7, mask, mask - 1, 1 << (w - 1), (1 << (w - 1)) - 1, (1 << (w - 1)) + 1]
    values = edges + [rnd.getrandbits(rnd.randint(1, w)) for _ in range(60)]
    pairs: list[tuple[int, int]] = []
    if h.shift:
        pairs += [(a, s) for a in values[:20] for s in range(w)]
        pairs += [(rnd.getrandbits(w), rnd.randrange(w)) for _ in range(n - len(pairs))]
    else:
        pairs += [(a, b) for a in edges for b in edges]
        if w == 64:  # widened 32-bit values (zero- or sign-extended): mpyll_hw's short path
            widened = [rnd.getrandbits(32) for _ in range(20)]
            widened += [(-rnd.getrandbits(31)) & mask for _ in range(20)]
            pairs += [(a, b) for a in widened for b in widened]
        while len(pairs) < n:
            a = rnd.getrandbits(rnd.randint(1, w))
            b = rnd.getrandbits(rnd.randint(1, w))
            pairs.append((a, b))
    return pairs


@pytest.mark.parametrize("helper", oracle.HELPERS, ids=lambda h: h.name)
def test_helper_matches_python(hostlib, helper):
    fn = _function(hostlib, helper)
    signed_args = _signed_helper(helper.name) or helper.name in ("divlli", "remlli")
    mask = (1 << helper.rwidth) - 1
    bad = []
    for a, b in _operands(helper, 3000):
        arg_b = b if helper.shift else _to_arg(b, helper.width, signed_args)
        got = fn(_to_arg(a, helper.width, signed_args), arg_b) & mask
        want = helper.fn(a, b)
        if got != want:
            bad.append(f"{helper.name}({a:#x}, {b:#x}) = {got:#x}, expected {want:#x}")
    assert not bad, "\n".join(bad[:10])


def test_division_semantics_are_c_truncation():
    """The oracle itself against C's rules on a few hand-checked cases."""
    div = {h.name: h.fn for h in oracle.HELPERS}
    m16 = 0xFFFF
    assert div["divi"](-7 & m16, 2) == -3 & m16
    assert div["remi"](-7 & m16, 2) == -1 & m16
    assert div["divi"](7, -2 & m16) == -3 & m16
    assert div["remi"](7, -2 & m16) == 1
    assert div["divi"](0x8000, m16) == 0x8000  # INT16_MIN / -1 wraps
    assert div["divu"](5, 0) == m16 and div["remu"](5, 0) == 5


def test_host_selftest_matches_oracle(hostlib):
    """The hello self-test (selftest.c) on the host equals the Python oracle line for line."""
    hostlib.host_selftest.restype = ctypes.c_char_p
    text = hostlib.host_selftest().decode()
    assert text.startswith("ST begin seed=2545f491 count=256\n")
    assert oracle.check_output(text) == []
    assert len(oracle.selftest_section(text)) == len(oracle.expected_lines())


def test_oracle_detects_a_wrong_result(hostlib):
    hostlib.host_selftest.restype = ctypes.c_char_p
    text = hostlib.host_selftest().decode()
    broken = text.replace("H divlli 256 ", "H divlli 256 0", 1)
    assert any("divlli" in p for p in oracle.check_output(broken))


@pytest.mark.parametrize(
    "fmt,value",
    [("%d", -1), ("%5u", 42), ("%-6x|", 0xAB), ("%08lx", 0xBEEF), ("%ld", -2147483648), ("%.3d", 7)],
)
def test_snprintf_matches_python(hostlib, fmt, value):
    buf = ctypes.create_string_buffer(64)
    n = hostlib.host_snprintf_int(buf, 64, fmt.encode(), ctypes.c_long(value))
    want = fmt.replace("l", "") % value
    assert buf.value.decode() == want and n == len(want)


@pytest.mark.parametrize("clock_hz", [3_899_392, 3_900_000, 2_687_880, 1_048_576, 4_194_304])
@pytest.mark.parametrize("baud", [9600, 57600, 115200])
def test_uart_divisor_keeps_bit_edges_within_one_clock(hostlib, clock_hz, baud):
    """UxBR + modulation (family user's guide, USART baud rate generation): the end of every
    one of the 8 modulated bit times lies within one BRCLK of the ideal edge."""
    ubr, umctl = ctypes.c_uint16(), ctypes.c_uint8()
    clock, rate = ctypes.c_uint32(clock_hz), ctypes.c_uint32(baud)
    hostlib.sky_uart_divisor(clock, rate, ctypes.byref(ubr), ctypes.byref(umctl))
    assert ubr.value == clock_hz // baud
    t = 0
    for i in range(8):
        t += ubr.value + ((umctl.value >> i) & 1)
        ideal = (i + 1) * clock_hz / baud
        assert abs(t - ideal) < 1.0, (i, t, ideal)
