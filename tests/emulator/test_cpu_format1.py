"""Format I (two-operand) instructions: every opcode x byte/word x source mode x destination mode.

The oracle is the MSP430x1xx Family User's Guide (SLAU049): results and flags from the
instruction descriptions (V as signed overflow, C as unsigned carry / no-borrow, DADD in decimal),
cycles and lengths from the table "Format-I instruction cycles and lengths", encoded below.
Each case is one instruction assembled by llvm-mc and executed alone.
"""

from __future__ import annotations

import pytest

C, Z, N, V = 0x001, 0x002, 0x004, 0x100

# SLAU049 "Format-I instruction cycles and lengths": (source mode, destination mode) -> cycles.
SRC_ROWS = {"Rn": "Rn", "@Rn": "@Rn", "@Rn+": "@Rn+", "#N": "#N", "X(Rn)": "X", "EDE": "X", "&EDE": "X"}
F1_CYCLES = {
    ("Rn", "Rm"): 1, ("Rn", "PC"): 2, ("Rn", "mem"): 4,
    ("@Rn", "Rm"): 2, ("@Rn", "PC"): 2, ("@Rn", "mem"): 5,
    ("@Rn+", "Rm"): 2, ("@Rn+", "PC"): 3, ("@Rn+", "mem"): 5,
    ("#N", "Rm"): 2, ("#N", "PC"): 3, ("#N", "mem"): 5,
    ("X", "Rm"): 3, ("X", "PC"): 3, ("X", "mem"): 6,
}  # fmt: skip
SRC_MODES = ["Rn", "@Rn", "@Rn+", "#N", "X(Rn)", "EDE", "&EDE"]
DST_MODES = ["Rm", "X(Rm)", "EDE", "&EDE"]
EXT_SRC = {"#N", "X(Rn)", "EDE", "&EDE"}

OPS = ["mov", "add", "addc", "subc", "sub", "cmp", "dadd", "bit", "bic", "bis", "xor", "and"]

# (src, dst, carry in). Sources avoid the constant-generator values so #N really is immediate.
PAIRS = [(0x1234, 0x4321, 0), (0x7011, 0x7FF0, 1), (0x8005, 0x8005, 0), (0x0003, 0x8000, 1)]
BCD_PAIRS = [(0x1234, 0x4321, 0), (0x0019, 0x9981, 0), (0x5005, 0x5005, 1), (0x0003, 0x9997, 1)]


def signed(v: int, bits: int) -> int:
    return v - (1 << bits) if v & (1 << (bits - 1)) else v


def bcd_value(v: int, digits: int) -> int:
    return int(f"{v:0{digits}x}")


def reference(op: str, bw: bool, src: int, dst: int, sr: int) -> tuple[int, int, bool]:
    """(result, new SR, result written) per the instruction descriptions of SLAU049."""
    bits = 8 if bw else 16
    mask = (1 << bits) - 1
    src &= mask
    dst &= mask
    c = sr & C
    keep = sr & ~(C | Z | N | V)

    def nz(res: int) -> int:
        return (N if res >> (bits - 1) else 0) | (Z if res == 0 else 0)

    if op == "mov":
        return src, sr, True
    if op in ("add", "addc"):
        cin = c if op == "addc" else 0
        total = dst + src + cin
        res = total & mask
        s = signed(dst, bits) + signed(src, bits) + cin
        ov = not (-(1 << (bits - 1)) <= s < (1 << (bits - 1)))
        return res, keep | nz(res) | (C if total > mask else 0) | (V if ov else 0), True
    if op in ("sub", "subc", "cmp"):
        borrow = (1 - c) if op == "subc" else 0
        diff = dst - src - borrow
        res = diff & mask
        s = signed(dst, bits) - signed(src, bits) - borrow
        ov = not (-(1 << (bits - 1)) <= s < (1 << (bits - 1)))
        return res, keep | nz(res) | (C if diff >= 0 else 0) | (V if ov else 0), op != "cmp"
    if op == "dadd":
        digits = bits // 4
        total = bcd_value(src, digits) + bcd_value(dst, digits) + c
        res = int(str(total % 10**digits), 16)
        # V is undefined for DADD: compare it as unchanged
        return res, (sr & ~(C | Z | N)) | nz(res) | (C if total >= 10**digits else 0), True
    if op in ("and", "bit"):
        res = src & dst
        return res, keep | nz(res) | (C if res else 0), op == "and"
    if op == "xor":
        res = src ^ dst
        both_neg = (src >> (bits - 1)) & (dst >> (bits - 1))
        return res, keep | nz(res) | (C if res else 0) | (V if both_neg else 0), True
    if op == "bic":
        return dst & ~src & mask, sr, True
    if op == "bis":
        return dst | src, sr, True
    raise AssertionError(op)


def src_text(mode: str, value: int) -> str:
    return {
        "Rn": "r5", "@Rn": "@r5", "@Rn+": "@r5+", "#N": f"#0x{value:x}",
        "X(Rn)": "2(r5)", "EDE": "srcv", "&EDE": "&srcv",
    }[mode]  # fmt: skip


def dst_text(mode: str) -> str:
    return {"Rm": "r6", "X(Rm)": "4(r7)", "EDE": "dstv", "&EDE": "&dstv"}[mode]


OPCODE = {op: 4 + i for i, op in enumerate(OPS)}


def hand_encoded(op: str, bw: bool, dmode: str) -> str:
    """`op @r5+, <mem>`: valid MSP430 that LLVM's assembler rejects, so encoded from the
    instruction format (op | Rsrc | Ad | B/W | As | Rdst) with .word directives."""
    dreg, ext = {
        "X(Rm)": (7, "4"),
        "EDE": (0, "0x1102 - (0x4000 + (. - _start))"),  # symbolic: relative to the extension word
        "&EDE": (2, "0x1102"),
    }[dmode]
    word = (OPCODE[op] << 12) | (5 << 8) | (1 << 7) | (int(bw) << 6) | (3 << 4) | dreg
    return f".word 0x{word:04x}\n        .word {ext}"


def cases_for(op: str, bw: bool) -> list[tuple[str, str, int, int, int]]:
    pairs = BCD_PAIRS if op == "dadd" else PAIRS
    mask = 0xFF if bw else 0xFFFF
    return [(s, d, src & mask, dst, cin) for s in SRC_MODES for d in DST_MODES for src, dst, cin in pairs]


@pytest.mark.parametrize("bw", [False, True], ids=["word", "byte"])
@pytest.mark.parametrize("op", OPS)
def test_format1_all_modes(batch_factory, op: str, bw: bool) -> None:
    cases = cases_for(op, bw)
    suffix = ".b" if bw else ""
    lines = [
        hand_encoded(op, bw, d)
        if (s == "@Rn+" and d != "Rm")
        else f"{op}{suffix} {src_text(s, src)}, {dst_text(d)}"
        for s, d, src, _, _ in cases
    ]
    batch = batch_factory(lines)
    SRC, DST = batch.srcv, batch.dstv
    failures = []
    for i, (smode, dmode, src, dst, cin) in enumerate(cases):
        # junk in the bytes a byte operation must ignore / preserve
        src_word = (0xAB00 | src) if bw else src
        dst_word = (0xCD00 | (dst & 0xFF)) if bw else dst
        regs = {5: src_word, 6: dst_word, 7: DST - 4}
        if smode in ("@Rn", "@Rn+"):
            regs[5] = SRC
        elif smode == "X(Rn)":
            regs[5] = SRC - 2
        mem = {SRC: src_word, DST: dst_word}
        m, cycles = batch.step(i, regs=regs, mem=mem, sr=cin)
        res, sr, written = reference(op, bw, src, dst, cin)
        dkind = "Rm" if dmode == "Rm" else "mem"
        want_cycles = F1_CYCLES[(SRC_ROWS[smode], dkind)]
        want_len = 1 + (smode in EXT_SRC) + (dmode != "Rm")
        if dmode == "Rm":
            got = m.reg(6)
            want = (res & 0xFF if bw else res) if written else dst_word
        else:
            got = m.read16(DST)
            want = ((0xCD00 | res) if bw else res) if written else dst_word
        checks = {
            "result": (got, want),
            "sr": (m.sr, sr),
            "cycles": (cycles, want_cycles),
            "length": (batch.length(i), want_len),
            "pc": (m.pc, batch.addr[i] + 2 * want_len),
        }
        if smode == "@Rn+":
            checks["autoinc"] = (m.reg(5), SRC + (1 if bw else 2))
        bad = {k: (hex(g), hex(w)) for k, (g, w) in checks.items() if g != w}
        if bad:
            failures.append(f"{lines[i]} src={src:#x} dst={dst:#x} C={cin}: {bad}")
    assert not failures, "\n".join(failures[:20])


# ---- hand-checked known answers (independent of the reference model above) ----

KNOWN = [
    # (instruction, r5, r6, SR in, r6 out, SR out)
    ("add r5, r6", 0x0001, 0x7FFF, 0, 0x8000, N | V),
    ("add r5, r6", 0x0001, 0xFFFF, 0, 0x0000, Z | C),
    ("add.b r5, r6", 0x0001, 0x007F, 0, 0x0080, N | V),
    ("add r5, r6", 0x8000, 0x8000, 0, 0x0000, Z | C | V),
    ("addc r5, r6", 0x0001, 0x0001, C, 0x0003, 0),
    ("sub r5, r6", 0x0001, 0x8000, 0, 0x7FFF, C | V),
    ("sub r5, r6", 0x0001, 0x0000, 0, 0xFFFF, N),
    ("sub r5, r6", 0xFFFF, 0x7FFF, 0, 0x8000, N | V),
    ("subc r5, r6", 0x0001, 0x0005, 0, 0x0003, C),
    ("subc r5, r6", 0x0001, 0x0005, C, 0x0004, C),
    ("cmp r5, r6", 0x0005, 0x0005, 0, 0x0005, Z | C),
    ("cmp r5, r6", 0x0001, 0x8000, 0, 0x8000, C | V),
    ("cmp.b r5, r6", 0x0001, 0x0080, 0, 0x0080, C | V),
    ("dadd r5, r6", 0x1234, 0x5678, 0, 0x6912, 0),
    ("dadd r5, r6", 0x0001, 0x9999, 0, 0x0000, Z | C),
    ("dadd.b r5, r6", 0x0001, 0x0099, 0, 0x0000, Z | C),
    ("dadd r5, r6", 0x0019, 0x0021, C, 0x0041, 0),
    ("dadd r5, r6", 0x0000, 0x8000, 0, 0x8000, N),
    ("xor r5, r6", 0x8000, 0x8001, 0, 0x0001, C | V),
    ("xor.b r5, r6", 0x00FF, 0x00FF, 0, 0x0000, Z | V),  # both operands negative
    ("xor r5, r6", 0x00FF, 0x00FF, 0, 0x0000, Z),
    ("and r5, r6", 0x8000, 0x8001, 0, 0x8000, N | C),
    ("and r5, r6", 0x00F0, 0x000F, V | C, 0x0000, Z),
    ("bit r5, r6", 0x0010, 0x0030, 0, 0x0030, C),
    ("bic r5, r6", 0x000F, 0x00FF, N | Z | C | V, 0x00F0, N | Z | C | V),
    ("bis r5, r6", 0x0F00, 0x00F0, 0, 0x0FF0, 0),
    ("mov.b r5, r6", 0x1234, 0xFFFF, 0, 0x0034, 0),
]


@pytest.mark.parametrize("case", KNOWN, ids=[f"{k[0]}-{k[1]:x}-{k[2]:x}-{k[3]:x}" for k in KNOWN])
def test_known_answers(batch_factory, case) -> None:
    text, r5, r6, sr_in, r6_out, sr_out = case
    batch = batch_factory([text])
    m, cycles = batch.step(0, regs={5: r5, 6: r6}, sr=sr_in)
    assert (hex(m.reg(6)), hex(m.sr)) == (hex(r6_out), hex(sr_out))
    assert cycles == 1


# ---- constant generators ----

CG = [("#0", 0), ("#1", 1), ("#2", 2), ("#4", 4), ("#8", 8), ("#-1", 0xFFFF)]


@pytest.mark.parametrize("text,value", CG)
def test_constant_generators(batch_factory, text: str, value: int) -> None:
    batch = batch_factory([f"mov {text}, r6", f"mov.b {text}, r7", f"add {text}, 0(r8)"])
    assert batch.length(0) == 1  # the constant costs no extension word...
    m, cycles = batch.step(0, regs={6: 0x5555})
    assert (m.reg(6), cycles) == (value, 1)  # ...and no extra cycle (register-mode timing)
    m, cycles = batch.step(1, regs={7: 0x5555})
    assert (m.reg(7), cycles) == (value & 0xFF, 1)
    m, cycles = batch.step(2, regs={8: batch.scratch}, mem={batch.scratch: 0x1000})
    assert (m.read16(batch.scratch), cycles, batch.length(2)) == ((0x1000 + value) & 0xFFFF, 4, 2)


# ---- special registers as operands ----


def test_pc_as_source_and_destination(batch_factory) -> None:
    batch = batch_factory(["mov pc, r6", "br r6", "br #0x4444", "add #4, pc", "mov @r1+, pc", "br &srcv"])
    m, cycles = batch.step(0)
    assert (m.reg(6), cycles) == (batch.addr[0] + 2, 1)  # PC reads as the next word's address
    m, cycles = batch.step(1, regs={6: 0x4567})
    assert (m.pc, cycles) == (0x4566, 2)  # Rn -> PC: 2 cycles, bit 0 forced to 0
    m, cycles = batch.step(2)
    assert (m.pc, cycles) == (0x4444, 3)  # #N -> PC
    m, cycles = batch.step(3)
    assert (m.pc, cycles) == (batch.addr[3] + 2 + 4, 2)  # constant source: Rn timing
    m, cycles = batch.step(4, regs={1: 0x3000}, mem={0x3000: 0x5000})
    assert (m.pc, m.sp, cycles) == (0x5000, 0x3002, 3)  # RET: @Rn+ -> PC
    m, cycles = batch.step(5, mem={batch.srcv: 0x6000})
    assert (m.pc, cycles) == (0x6000, 3)  # &EDE -> PC


def test_writes_to_cg_sp_sr(batch_factory) -> None:
    batch = batch_factory(
        ["mov #0x1234, r3", "mov #0x3001, r1", "mov #0x0003, r2", "mov.b #0x1ff, r2", "mov r2, r6"]
    )
    m, _ = batch.step(0)
    assert m.reg(3) == 0  # writes to the constant generator go nowhere
    m, _ = batch.step(1)
    assert m.sp == 0x3000  # SP is always even
    m, _ = batch.step(2)
    assert m.sr == 0x0003
    m, _ = batch.step(4, sr=C | V)
    assert m.reg(6) == C | V  # SR in register mode is the register, not a constant


# SR values for the SR-source cases: flag patterns only (GIE, CPUOFF and the clocks stay as they are)
SR_SOURCES = [0x0000, C | V, N | Z, C | Z | N | V, 0x0004 | C]


@pytest.mark.parametrize("bw", [False, True], ids=["word", "byte"])
@pytest.mark.parametrize("op", OPS)
def test_sr_as_source_all_destinations(batch_factory, op: str, bw: bool) -> None:
    """`op r2, dst`: the SR read as a register source (its own handlers), every destination mode."""
    suffix = ".b" if bw else ""
    lines = [f"{op}{suffix} r2, {dst_text(d)}" for d in DST_MODES]
    batch = batch_factory(lines)
    DST = batch.dstv
    failures = []
    for i, dmode in enumerate(DST_MODES):
        for sr_in in SR_SOURCES:
            for dst in (0x1234, 0x0099 if op == "dadd" else 0x80FF):
                m, cycles = batch.step(i, regs={6: dst, 7: DST - 4}, mem={DST: dst}, sr=sr_in)
                res, sr, written = reference(op, bw, sr_in, dst, sr_in)
                mask = 0xFF if bw else 0xFFFF
                kept = dst & ~mask if (bw and dmode != "Rm") else 0
                want = (res | kept) if written else dst
                got = m.reg(6) if dmode == "Rm" else m.read16(DST)
                want_cycles = F1_CYCLES[("Rn", "Rm" if dmode == "Rm" else "mem")]
                got_all, want_all = (hex(got), hex(m.sr), cycles), (hex(want), hex(sr), want_cycles)
                if got_all != want_all:
                    failures.append(f"{lines[i]} sr={sr_in:#x} dst={dst:#x}: got {got_all} want {want_all}")
    assert not failures, "\n".join(failures[:20])


def test_byte_access_to_odd_address(batch_factory) -> None:
    batch = batch_factory(["mov.b #0x5a, &scratch+1", "mov.b &scratch+1, r6", "add.b #0x10, 1(r7)"])
    s = batch.scratch
    m, _ = batch.step(0, mem={s: 0x1122})
    assert m.read16(s) == 0x5A22
    m, _ = batch.step(1)
    assert m.reg(6) == 0x5A
    m, cycles = batch.step(2, regs={7: s})
    assert (m.read16(s), cycles) == (0x6A22, 5)


def test_word_access_ignores_address_bit0(batch_factory) -> None:
    batch = batch_factory(["mov &scratch+1, r6", "mov r6, 1(r7)"])
    s = batch.scratch
    m, _ = batch.step(0, mem={s: 0xBEEF})
    assert m.reg(6) == 0xBEEF
    m, _ = batch.step(1, regs={6: 0x1234, 7: s + 2})
    assert m.read16(s + 2) == 0x1234


def test_autoincrement_of_sp_in_byte_mode_keeps_it_even(batch_factory) -> None:
    batch = batch_factory(["mov.b @r1+, r6"])
    m, _ = batch.step(0, regs={1: 0x3000}, mem={0x3000: 0x00AA})
    assert (m.reg(6), m.sp) == (0xAA, 0x3002)


PC_DST = [  # (source mode, assembly) -> F1_CYCLES[(row, "PC")]
    ("Rn", "mov r5, pc"),
    ("@Rn", "mov @r5, pc"),
    ("@Rn+", "mov @r5+, pc"),
    ("#N", "mov #0x4abc, pc"),
    ("X(Rn)", "mov 2(r5), pc"),
    ("EDE", "mov srcv, pc"),
    ("&EDE", "mov &srcv, pc"),
]


def test_pc_destination_cycles_all_source_modes(batch_factory) -> None:
    batch = batch_factory([text for _, text in PC_DST])
    for i, (mode, text) in enumerate(PC_DST):
        regs = {5: 0x4ABC} if mode == "Rn" else {5: batch.srcv - 2 if mode == "X(Rn)" else batch.srcv}
        m, cycles = batch.step(i, regs=regs, mem={batch.srcv: 0x4ABC})
        assert (hex(m.pc), cycles) == ("0x4abc", F1_CYCLES[(SRC_ROWS[mode], "PC")]), text
