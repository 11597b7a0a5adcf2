"""Hardware multiplier SUMEXT as the MSP430x1xx user's guide defines it (table "SUMEXT Contents" and
"MACS Underflow and Overflow"): MPY 0000h; MPYS the extended sign; MAC the carry of the 32-bit
accumulation (0/1); MACS the correct sign of the sum: FFFFh after an overflow (two negatives wrapped
into the positive range), 0000h after an underflow (two positives wrapped into the negative range)."""

from __future__ import annotations

from emu_helpers import mote_from_asm

OP1 = {"MPY": 0x130, "MPYS": 0x132, "MAC": 0x134, "MACS": 0x136}


def s16(v: int) -> int:
    return v - 0x10000 if v & 0x8000 else v


def s32(v: int) -> int:
    return v - 0x1_0000_0000 if v & 0x8000_0000 else v


def oracle(mode: str, acc: int, a: int, b: int) -> tuple[int, int]:
    """(32-bit result, SUMEXT) from the user's guide's tables."""
    if mode == "MPY":
        return (a * b) & 0xFFFFFFFF, 0
    if mode == "MPYS":
        p = s16(a) * s16(b)
        return p & 0xFFFFFFFF, 0xFFFF if p < 0 else 0
    if mode == "MAC":
        total = acc + a * b
        return total & 0xFFFFFFFF, total >> 32
    total = s32(acc) + s16(a) * s16(b)  # MACS: the true sum's sign
    return total & 0xFFFFFFFF, 0xFFFF if total < 0 else 0


CASES = [
    ("MPY", 0, 0xFFFF, 0xFFFF),
    ("MPYS", 0, 0xFFFF, 0x0001),
    ("MPYS", 0, 0x0002, 0x0003),
    ("MAC", 0xFFFFFFFF, 0x0001, 0x0001),  # carry out
    ("MAC", 0x00000000, 0x0002, 0x0003),
    ("MAC", 0xFFFF0000, 0xFFFF, 0xFFFF),  # carry out with a large product
    ("MACS", 0x80000000, 0xFFFF, 0x0001),  # overflow: most negative - 1 wraps to 7FFFFFFFh
    ("MACS", 0x7FFFFFFF, 0x0001, 0x0001),  # underflow: most positive + 1 wraps to 80000000h
    ("MACS", 0x00000000, 0xFFFE, 0x0003),  # plainly negative
    ("MACS", 0xFFFFFFFF, 0x0001, 0x0002),  # -1 + 2: positive
    ("MACS", 0x80000000, 0x8000, 0x7FFF),  # two negatives, wrapped
]


def program() -> str:
    body = []
    for mode, acc, a, b in CASES:
        body += [
            f"        mov #{acc & 0xFFFF:#x}, &0x013a",
            f"        mov #{acc >> 16:#x}, &0x013c",
            f"        mov #{a:#x}, &{OP1[mode]:#x}",
            f"        mov #{b:#x}, &0x0138",
            "        mov &0x013a, 0(r10)",
            "        mov &0x013c, 2(r10)",
            "        mov &0x013e, 4(r10)",
            "        add #6, r10",
        ]
    return (
        "        .text\n        .globl _start\n_start: mov #0x3900, sp\n        mov #0x5a80, &0x0120\n"
        "        mov #0x2000, r10\n" + "\n".join(body) + "\ndone:   jmp done\n"
    )


def test_sumext_for_every_mode():
    m = mote_from_asm(program())
    m.run_until_pc(m.symbol("done"), 100_000)
    mem = m.ptr.mem
    for i, (mode, acc, a, b) in enumerate(CASES):
        at = 0x2000 + 6 * i
        lo, hi, ext = (mem[at + k] | mem[at + k + 1] << 8 for k in (0, 2, 4))
        assert (hi << 16 | lo, ext) == oracle(mode, acc, a, b), (mode, hex(acc), hex(a), hex(b))
    # the overflow/underflow cases are the ones the 32-bit result's sign gets wrong
    assert oracle("MACS", 0x80000000, 0xFFFF, 1) == (0x7FFFFFFF, 0xFFFF)
    assert oracle("MACS", 0x7FFFFFFF, 1, 1) == (0x80000000, 0x0000)
