"""Expected output of the `hello` self-test (firmware/apps/hello/selftest.h), computed in Python.

The firmware prints, per MSPABI helper, a CRC-32 over its results on a fixed operand stream and
two sample lines, then printf/snprintf and mem/str results. `expected_lines(seed, count)`
recomputes every such line with Python semantics; `check_output(text)` compares a captured UART
log against it and returns the differences (empty list = pass). The emulator tests reuse this.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass

SEED = 0x2545F491
COUNT = 256


def _mask(width: int) -> int:
    return (1 << width) - 1


def _signed(v: int, width: int) -> int:
    v &= _mask(width)
    return v - (1 << width) if v >> (width - 1) else v


def _udiv(a: int, b: int, width: int) -> int:
    return a // b if b else _mask(width)


def _urem(a: int, b: int, width: int) -> int:
    return a % b if b else a


def _sdiv(a: int, b: int, width: int) -> int:
    x, y = _signed(a, width), _signed(b, width)
    if y == 0:
        q = 1 if x < 0 else -1
    else:
        q = abs(x) // abs(y)
        q = -q if (x < 0) != (y < 0) else q
    return q & _mask(width)


def _srem(a: int, b: int, width: int) -> int:
    x, y = _signed(a, width), _signed(b, width)
    if y == 0:
        return a
    r = abs(x) % abs(y)
    return (-r if x < 0 else r) & _mask(width)


@dataclass(frozen=True)
class Helper:
    name: str
    width: int  # operand bits
    rwidth: int  # result bits
    shift: bool  # second operand is a shift count
    fn: Callable[[int, int], int]  # on unsigned operand bit patterns


def _mul(w: int) -> Callable[[int, int], int]:
    return lambda a, b: (a * b) & _mask(w)


def _bound(op: Callable[[int, int, int], int], w: int) -> Callable[[int, int], int]:
    """`op` with its operand width fixed to `w`."""
    return lambda a, b: op(a, b, w)


def _shl(a: int, n: int, w: int) -> int:
    return (a << n) & _mask(w)


def _shr(a: int, n: int, w: int) -> int:
    return a >> n


def _sar(a: int, n: int, w: int) -> int:
    return (_signed(a, w) >> n) & _mask(w)


def _mpysl(a: int, b: int) -> int:
    return (_signed(a, 16) * _signed(b, 16)) & _mask(32)


def _helpers() -> list[Helper]:
    out = []
    for suffix in ("", "_hw"):
        out += [
            Helper(f"mpyi{suffix}", 16, 16, False, _mul(16)),
            Helper(f"mpyl{suffix}", 32, 32, False, _mul(32)),
            Helper(f"mpyll{suffix}", 64, 64, False, _mul(64)),
            Helper(f"mpysl{suffix}", 16, 32, False, _mpysl),
            Helper(f"mpyul{suffix}", 16, 32, False, lambda a, b: a * b),
        ]
    for w, u, s in ((16, "u", "i"), (32, "ul", "li"), (64, "ull", "lli")):
        out += [
            Helper(f"div{u}", w, w, False, _bound(_udiv, w)),
            Helper(f"rem{u}", w, w, False, _bound(_urem, w)),
            Helper(f"div{s}", w, w, False, _bound(_sdiv, w)),
            Helper(f"rem{s}", w, w, False, _bound(_srem, w)),
        ]
    for w, suffix in ((16, "i"), (32, "l"), (64, "ll")):
        out += [
            Helper(f"sll{suffix}", w, w, True, _bound(_shl, w)),
            Helper(f"srl{suffix}", w, w, True, _bound(_shr, w)),
            Helper(f"sra{suffix}", w, w, True, _bound(_sar, w)),
        ]
    return out


# Same order as the table in firmware/mspabi_ops/op_table.c: it is part of the output format.
HELPERS = _helpers()


class XorShift32:
    def __init__(self, seed: int) -> None:
        self.x = seed & 0xFFFFFFFF

    def next(self) -> int:
        x = self.x
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self.x = x
        return x


_EDGES = (lambda w: 0, lambda w: 1, lambda w: _mask(64), lambda w: 1 << (w - 1),
          lambda w: (1 << (w - 1)) - 1, lambda w: 2, lambda w: (-2) & _mask(64),
          lambda w: 0x5555555555555555)  # fmt: skip


def operand(rng: XorShift32, width: int) -> int:
    lo, hi, cls = rng.next(), rng.next(), rng.next()
    v = (hi << 32) | lo
    match cls & 7:
        case 2:
            v &= 0xFF
        case 3:
            v &= 0xF
        case 4:
            v &= 0xFFFF
        case 5:
            v = (-(v & 0xFF)) & _mask(64)
        case 6:
            v &= 0xFFFFFFFF
        case 7:
            v = _EDGES[v & 7](width)
    return v & _mask(width)


def helper_lines(k: int, h: Helper, seed: int = SEED, count: int = COUNT) -> list[str]:
    rng = XorShift32(seed ^ (k << 16) ^ k)
    data = bytearray()
    lines = []
    for i in range(count):
        a = operand(rng, h.width)
        b = (rng.next() & (h.width - 1)) if h.shift else operand(rng, h.width)
        r = h.fn(a, b) & _mask(h.rwidth)
        data += r.to_bytes(h.rwidth // 8, "little")
        if i < 2:
            lines.append(f"S {h.name} {a:016x} {b:016x} {r:016x}")
    lines.append(f"H {h.name} {count} {zlib.crc32(data):08x}")
    return lines


# printf cases of selftest.c as Python %-formats giving the same text: C's length modifiers
# (l, ll) dropped, and C's "%.0d" of 0 (no digits) written as an empty %s.
FORMAT_CASES: list[tuple[str, tuple]] = [
    ("F0 [%d|%5d|%-5d|%05d|%i]", (-42, 42, 42, 42, 7)),
    ("F1 [%u|%x|%X|%04x|%5u]", (65535, 0xBEEF, 0xBEEF, 0xA, 7)),
    ("F2 [%d|%u|%x|%8x|%-8x|]", (-123456789, 4000000000, 0xDEADBEEF, 0x1234, 0x1234)),
    ("F3 [%s|%10s|%-10s|%.3s|%c%c]", ("abc", "right", "left", "truncate", "o", "k")),
    ("F4 [%d %d %d %d]", (32767, -32768, 2147483647, -2147483648)),
    ("F5 [%*d|%-*d|%.4d|%8.3d|%%]", (6, -7, 6, -7, 42, -5)),
    ("F6 [%u|%d|%x]", (18446744073709551615, -9223372036854775808, 0x0123456789ABCDEF)),
    ("F7 [%05d|%-3c|%3c|%s|%x]", (-12, "x", "y", "", 0)),
]


def _snprintf(size: int, text: str) -> str:
    return f"N {len(text)} [{text[: max(size - 1, 0)]}]"


def _sign(v: int) -> int:
    return (v > 0) - (v < 0)


def _cmp(a: bytes, b: bytes) -> int:
    return _sign((a > b) - (a < b))


def string_lines() -> list[str]:
    a = bytearray(b"xxxxx")
    lines = [f"L memset {a.decode()}"]
    a = bytearray(b"hello world")
    lines += [f"L strcat {a.decode()}", f"L strlen {len(a)}"]
    a[2:7] = a[0:5]
    lines.append(f"L memmove_up {a.decode()}")
    a[0:4] = a[3:7]
    lines.append(f"L memmove_down {a.decode()}")
    lines.append("L memcpy 0123456789")
    lines.append(f"L memcmp {_cmp(b'abc', b'abd')} {_cmp(b'abd', b'abc')} {_cmp(b'ab', b'ab')}")
    lines.append(f"L strcmp {_cmp(b'abc', b'ab')} {_cmp(b'ab', b'abc')} {_cmp(b'ab', b'ab')}")
    lines.append(f"L strncmp {_cmp(b'abc', b'abc')} {_cmp(b'abcd', b'abcx')}")
    lines.append(f"L strchr {'hello'.index('l')} -1")
    lines.append(f"L strrchr {'hello'.rindex('l')}")
    lines.append(f"L memchr {'hello'.index('o')}")
    lines.append(f"L strnlen {min(5, 3)} {min(5, 9)}")
    buf = bytearray(b"#" * 8)
    buf[0:5] = b"hi\0\0\0"
    lines.append("L strncpy " + " ".join(f"{c:02x}" for c in buf[:7]))
    return lines


def expected_lines(seed: int = SEED, count: int = COUNT) -> list[str]:
    lines = [f"ST begin seed={seed:08x} count={count}"]
    for k, h in enumerate(HELPERS):
        lines += helper_lines(k, h, seed, count)
    lines += [fmt % args for fmt, args in FORMAT_CASES]
    lines += [_snprintf(8, "abcdef-1234"), _snprintf(16, "7fff")]
    lines += string_lines()
    lines.append("ST end")
    return lines


def selftest_section(text: str) -> list[str]:
    """The self-test lines of a UART log (from "ST begin" to "ST end"), without CRs."""
    lines = [ln.rstrip("\r") for ln in text.splitlines()]
    try:
        start = next(i for i, ln in enumerate(lines) if ln.startswith("ST begin"))
    except StopIteration:
        return []
    end = next((i for i in range(start, len(lines)) if lines[i] == "ST end"), len(lines) - 1)
    return lines[start : end + 1]


def check_output(text: str) -> list[str]:
    """Differences between a captured self-test log and the expectation (empty: all correct)."""
    got = selftest_section(text)
    if not got:
        return ["no 'ST begin' line in the output"]
    m = re.match(r"ST begin seed=([0-9a-f]{8}) count=(\d+)$", got[0])
    if not m:
        return [f"malformed first line: {got[0]!r}"]
    want = expected_lines(int(m.group(1), 16), int(m.group(2)))
    pairs = enumerate(zip(want, got, strict=False))
    problems = [f"line {i}: expected {w!r}, got {g!r}" for i, (w, g) in pairs if w != g]
    if len(got) != len(want):
        problems.append(f"expected {len(want)} self-test lines, got {len(got)}")
    return problems
