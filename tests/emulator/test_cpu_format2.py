"""Format II (single-operand) instructions, jumps and RETI against SLAU049: results, flags,
cycles from "Format-II instruction cycles and lengths", jumps 2 cycles, RETI 5 cycles."""

from __future__ import annotations

import pytest

C, Z, N, V, GIE = 0x001, 0x002, 0x004, 0x100, 0x008

# SLAU049 Format II table: mode -> (RRA/RRC/SWPB/SXT, PUSH, CALL) cycles
F2_CYCLES = {
    "Rn": (1, 3, 4),
    "@Rn": (3, 4, 4),
    "@Rn+": (3, 5, 5),
    "#N": (None, 4, 5),
    "X(Rn)": (4, 5, 5),
    "EDE": (4, 5, 5),
    "&EDE": (4, 5, 5),
}
MEM_MODES = ["@Rn", "@Rn+", "X(Rn)", "EDE", "&EDE"]
SRCV = 0x1100  # Batch data layout


def operand(mode: str) -> str:
    return {"Rn": "r5", "@Rn": "@r5", "@Rn+": "@r5+", "X(Rn)": "2(r5)", "EDE": "srcv", "&EDE": "&srcv"}[mode]


def encode_f2(op: int, bw: bool, mode: str, imm: int = 0) -> str:
    """Format II word (0001 00 op3 B/W As reg) + extension, as .word directives (LLVM's
    assembler rejects PUSH with memory operands)."""
    ad, reg, ext = {
        "Rn": (0, 5, None),
        "@Rn": (2, 5, None),
        "@Rn+": (3, 5, None),
        "#N": (3, 0, f"0x{imm:x}"),
        "X(Rn)": (1, 5, "2"),
        "EDE": (1, 0, f"0x{SRCV:x} - (0x4000 + (. - _start))"),
        "&EDE": (1, 2, f"0x{SRCV:x}"),
    }[mode]
    word = 0x1000 | (op << 7) | (int(bw) << 6) | (ad << 4) | reg
    text = f".word 0x{word:04x}"
    if ext:
        text += f"\n        .word {ext}"
    return text


def setup_for(mode: str, value: int, batch) -> tuple[dict[int, int], dict[int, int]]:
    regs = {5: value} if mode == "Rn" else {5: batch.srcv - 2 if mode == "X(Rn)" else batch.srcv}
    return regs, {batch.srcv: value}


def reference(op: str, bw: bool, v: int, sr: int) -> tuple[int, int]:
    bits = 8 if bw else 16
    mask = (1 << bits) - 1
    msb = 1 << (bits - 1)
    v &= mask
    flags_out = sr & ~(C | Z | N | V)
    if op == "swpb":
        return ((v >> 8) | (v << 8)) & 0xFFFF, sr
    if op == "sxt":
        res = (v & 0xFF) | (0xFF00 if v & 0x80 else 0)
        return res, flags_out | (N if res & 0x8000 else 0) | (Z if res == 0 else 0) | (C if res else 0)
    top = (msb if sr & C else 0) if op == "rrc" else (v & msb)
    res = (v >> 1) | top
    return res, flags_out | (N if res & msb else 0) | (Z if res == 0 else 0) | (C if v & 1 else 0)


SHIFT_CASES = [
    (op, bw, mode, value, sr)
    for op in ("rrc", "rra", "swpb", "sxt")
    for bw in ((False, True) if op in ("rrc", "rra") else (False,))
    for mode in ["Rn", *MEM_MODES]
    for value, sr in ((0x8001, C), (0x0080, 0), (0x0001, V), (0x1234, C | V))
]


def test_rotate_swap_extend_all_modes(batch_factory) -> None:
    lines = [f"{op}{'.b' if bw else ''} {operand(mode)}" for op, bw, mode, _, _ in SHIFT_CASES]
    batch = batch_factory(lines)
    failures = []
    for i, (op, bw, mode, value, sr) in enumerate(SHIFT_CASES):
        regs, mem = setup_for(mode, ((value & 0xFF) | 0xAB00) if bw else value, batch)
        m, cycles = batch.step(i, regs=regs, mem=mem, sr=sr)
        res, want_sr = reference(op, bw, value, sr)
        if mode == "Rn":
            got = m.reg(5)
        else:
            got = m.read16(batch.srcv)
            if bw:
                res |= 0xAB00  # the byte form leaves the high byte of memory alone
        want_len = 1 + (mode in ("X(Rn)", "EDE", "&EDE"))
        checks = {
            "result": (got, res),
            "sr": (m.sr, want_sr),
            "cycles": (cycles, F2_CYCLES[mode][0]),
            "length": (batch.length(i), want_len),
        }
        if mode == "@Rn+":
            checks["autoinc"] = (m.reg(5), batch.srcv + (1 if bw else 2))
        bad = {k: (hex(g), hex(w)) for k, (g, w) in checks.items() if g != w}
        if bad:
            failures.append(f"{lines[i]} value={value:#x} sr={sr:#x}: {bad}")
    assert not failures, "\n".join(failures[:20])


@pytest.mark.parametrize("bw", [False, True], ids=["word", "byte"])
def test_push_all_modes(batch_factory, bw: bool) -> None:
    modes = ["Rn", "#N", *MEM_MODES]
    lines = [encode_f2(4, bw, mode, imm=0x1234) for mode in modes]
    batch = batch_factory(lines)
    for i, mode in enumerate(modes):
        regs, mem = setup_for(mode, 0x1234, batch)
        regs[1] = 0x3000
        mem[0x2FFE] = 0xEEEE
        m, cycles = batch.step(i, regs=regs, mem=mem)
        want = 0xEE34 if bw else 0x1234  # PUSH.B writes the low byte of the new top of stack
        assert (m.sp, hex(m.read16(0x2FFE)), cycles) == (0x2FFE, hex(want), F2_CYCLES[mode][1]), mode


def test_push_constants_use_register_timing(batch_factory) -> None:
    batch = batch_factory(["push #0", "push #1", "push #2", "push #-1"])
    for i, value in enumerate((0, 1, 2, 0xFFFF)):
        m, cycles = batch.step(i, regs={1: 0x3000})
        assert (m.read16(0x2FFE), cycles, batch.length(i)) == (value, 3, 1)


def test_call_all_modes(batch_factory) -> None:
    modes = ["Rn", "#N", *MEM_MODES]
    lines = ["call r5" if mode == "Rn" else encode_f2(5, False, mode, imm=0x4ABC) for mode in modes]
    lines[2] = "call @r5"  # cross-check one hand encoding with the assembler's
    batch = batch_factory(lines)
    for i, mode in enumerate(modes):
        regs, mem = setup_for(mode, 0x4ABC, batch)
        regs[1] = 0x3000
        m, cycles = batch.step(i, regs=regs, mem=mem)
        ret = batch.addr[i] + 2 * batch.length(i)
        assert (hex(m.pc), m.sp, hex(m.read16(0x2FFE)), cycles) == (
            "0x4abc",
            0x2FFE,
            hex(ret),
            F2_CYCLES[mode][2],
        ), mode


def test_reti_restores_sr_and_pc(batch_factory) -> None:
    batch = batch_factory(["reti"])
    m, cycles = batch.step(0, regs={1: 0x3000}, mem={0x3000: GIE | C | N, 0x3002: 0x4321})
    assert (hex(m.pc), hex(m.sr), m.sp, cycles) == ("0x4320", hex(GIE | C | N), 0x3004, 5)


def test_byte_forms_without_meaning_are_illegal(batch_factory) -> None:
    from harness.emulator.mote import EmulatorFault

    batch = batch_factory([".word 0x10c5", ".word 0x12c5"])  # swpb.b r5, call.b r5
    for i in range(2):
        with pytest.raises(EmulatorFault, match="illegal instruction"):
            batch.step(i)


# ---- jumps ----

JUMPS = {
    "jne": lambda sr: not sr & Z,
    "jeq": lambda sr: bool(sr & Z),
    "jnc": lambda sr: not sr & C,
    "jc": lambda sr: bool(sr & C),
    "jn": lambda sr: bool(sr & N),
    "jge": lambda sr: bool(sr & N) == bool(sr & V),
    "jl": lambda sr: bool(sr & N) != bool(sr & V),
    "jmp": lambda sr: True,
}


@pytest.mark.parametrize("name", list(JUMPS))
def test_jumps_all_conditions(batch_factory, name: str) -> None:
    cond = list(JUMPS).index(name)
    # 001 cond offset10: offsets +511 and -512 words, the ends of the range (target = PC + 2 + 2*off)
    far = [f".word 0x{0x2000 | cond << 10 | off:04x}" for off in (0x1FF, 0x200)]
    batch = batch_factory(["nop", "nop", *far])
    asm = batch_factory([f"{name} c0"])  # the assembler's encoding agrees with the format
    assert asm.mote.read16(asm.addr[0]) == 0x2000 | cond << 10 | 0x3FF
    for sr in range(16):
        flags = (sr & 1) * C | (sr >> 1 & 1) * Z | (sr >> 2 & 1) * N | (sr >> 3 & 1) * V
        for i, target in ((2, batch.addr[2] + 1024), (3, batch.addr[3] - 1022)):
            m, cycles = batch.step(i, sr=flags)
            want = target if JUMPS[name](flags) else batch.addr[i] + 2
            assert (hex(m.pc), cycles, m.sr) == (hex(want & 0xFFFF), 2, flags), (name, hex(flags))
