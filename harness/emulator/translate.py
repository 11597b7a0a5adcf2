"""Translated code: a firmware's flash functions as host C, compiled by gcc, run by the core.

    from harness.emulator.translate import translate
    mote = Mote("build/apps/hello/hello.elf")
    translate(mote)            # same cycles, memory and output as before, faster

Each ELF function (a symbol of type FUNC) becomes one C function (a *region*, csrc/cpu_xlat.h) that
runs its instructions one after another through the interpreter's own instruction functions
(csrc/cpu_exec.h) with constant operands, jumps inside the function as gotos, and the
interpreter's time check before every instruction. The core enters a region through the decoded
entry of any of its instructions and gets control back when the region leaves (a call, a return,
a jump out, RETI) or its time check fails and the core's service (csrc/cpu.c xlat_service: it
fires the due events in place and lets the region go on when nothing else is to be done) says so,
so events, interrupts, stops and run limits fall on the same cycles as in the interpreter. The
module is cached under the cache directory by a hash of the C it was generated from and of every
core header, so a firmware is compiled once (a few seconds).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import paths, proc
from harness.emulator.elf import ElfImage
from harness.emulator.mote import Mote, ffi, lib

CSRC = Path(__file__).resolve().parent / "csrc"
FLASH_START = 0x4000
# -O1: about 6 % more host instructions than -O2 at a third of the compile time (a 14 500-instruction
# firmware: 40 s against 144 s on one core)
COMPILE_FLAGS = ["-O1", "-std=gnu11", "-fno-strict-aliasing", "-fPIC", "-fvisibility=hidden", "-Wall"]
COMPILE_FLAGS += ["-Wno-unused-label"]
_ATTACH_ERRORS = {
    -1: "it was built for another emulator core (rebuild it)",
    -2: "the mote's flash differs from the image it was translated from",
    -3: "out of memory",
}
# cpu_exec.h's enums the generator needs: format II operations and modes, a destination kind
F2_PUSH, F2_CALL = 4, 5
M_REG, M_IMM = 0, 5
D_SPC = 1
_loaded: dict[Path, ctypes.CDLL] = {}  # never unloaded: attached motes run its code


class TranslateError(RuntimeError):
    """The firmware cannot be translated or the module cannot be attached (says why)."""


@dataclass(frozen=True)
class Region:
    """One ELF function to translate: [start, end)."""

    name: str
    start: int
    end: int


@dataclass
class Translation:
    """A compiled module and what it covers."""

    path: Path
    regions: int
    instructions: int
    address: int  # of its struct cpu_xlat_module, in this process

    def attach(self, mote: Mote) -> None:
        """Run `mote`'s flash code from this module (TranslateError when it does not match)."""
        rc = lib.mote_xlat_attach(mote.ptr, ffi.cast("void *", self.address))
        if rc:
            raise TranslateError(f"{self.path}: not attached: {_ATTACH_ERRORS.get(rc, rc)}")


def regions_of(image: ElfImage) -> list[Region]:
    """The flash functions of `image`, by their symbols (sizeless ones end at the next function)."""
    funcs = sorted({(a, s, n) for a, s, n in image.functions if a >= FLASH_START})
    out: list[Region] = []
    for i, (start, size, name) in enumerate(funcs):
        end = start + size
        if size == 0:
            end = funcs[i + 1][0] if i + 1 < len(funcs) else start
        if out and start < out[-1].end:  # aliases and overlaps: the first keeps its range
            continue
        if end > start:
            out.append(Region(name, start, min(end, 0x10000)))
    return out


def _entry(pc: int, i: Any) -> str:
    return (
        f"static const struct cpu_decoded d_{pc:04x} = {{.key = 0x{i.key:04x}, .kind = {i.kind}, "
        f".cval = 0x{i.cval:04x}, .dbase = 0x{i.dbase:04x}, .sreg = {i.sreg}, .dreg = {i.dreg}, "
        f".cycles = {i.cycles}, .aux = 0x{i.aux:04x}}};"
    )


def _instruction(
    pc: int, i: Any, labels: set[int], shapes: dict[str, str], mote: Mote, owner: dict[int, int]
) -> list[str]:
    """The C of one instruction at pc in a region whose instruction addresses are `labels`."""
    nxt = pc + i.len
    fall = f"goto L_{nxt:04x};" if nxt in labels else "goto out;"
    lines = [f"L_{pc:04x}:", "    if (UNLIKELY(hs.now >= hs.next)) goto svc;"]
    if i.fmt == lib.XLAT_JUMP:
        tgt = i.dbase
        take = f"goto L_{tgt:04x};" if tgt in labels else "goto out;"
        lines.append("    hs.now += 2;")
        if i.op == 7:  # JMP
            return [*lines, f"    hs.pc = 0x{tgt:04x}; {take}"]
        taken = f"    if (jcond(&hs, {i.op})) {{ hs.pc = 0x{tgt:04x}; {take} }}"
        return [*lines, taken, f"    hs.pc = 0x{nxt:04x}; {fall}"]
    if i.fmt == lib.XLAT_F2:
        shape = f"f2_{i.op}_{i.bw}_{i.s}"
        shapes[shape] = f"fmt2(m, h, d, ipc, {i.op}, {i.bw}, {i.s})"
        lines.append(f"    {shape}(m, &hs, &d_{pc:04x}, 0x{pc:04x});")
        # CALL #func: that region runs on the host stack (unless a stop or breakpoint sends it to the
        # interpreter, or the time check would stop it at once)
        if i.op == F2_CALL and i.s == M_IMM:
            callee = owner.get(mote.read16(pc + 2) & 0xFFFE)
            if callee is not None:
                lines.append(
                    f"    if (depth < CPU_XLAT_MAX_DEPTH && hs.now < hs.next && !m->xlat_off[{callee}]) "
                    f"{{ H_OUT(&hs); r{callee}(m, depth + 1); H_IN(&hs); }}"
                )
            return [*lines, "    goto dyn;"]
        writes_pc = i.op == F2_CALL or (i.s == M_REG and i.sreg == 0 and i.op != F2_PUSH)
    else:
        src = "S_SR" if i.fmt == lib.XLAT_F1_SR else str(i.s)
        shape = f"f1_{i.op}_{i.bw}_{src}_{i.d}"
        shapes[shape] = f"fmt1(m, h, d, ipc, {i.op}, {i.bw}, {src}, {i.d})"
        lines.append(f"    {shape}(m, &hs, &d_{pc:04x}, 0x{pc:04x});")
        writes_pc = i.d == D_SPC and i.dreg == 0
    return [*lines, "    goto dyn;" if writes_pc else f"    {fall}"]


def _decode(mote: Mote, regions: list[Region]) -> list[list[tuple[int, Any]]]:
    """The instructions each region runs (linear decode of its bytes; RETI, @PC sources and
    illegal words are left to the interpreter)."""
    insn = ffi.new("struct mote_xlat_insn *")
    runs: list[list[tuple[int, Any]]] = []
    for reg in regions:
        run: list[tuple[int, Any]] = []
        pc = reg.start
        while pc < reg.end:
            if lib.mote_xlat_decode(mote.ptr, pc, insn):
                pc += 2  # not an instruction (data in the function, or an illegal word)
                continue
            i = ffi.new("struct mote_xlat_insn *", insn[0])
            if i.fmt != lib.XLAT_NONE:
                run.append((pc, i))
            pc += i.len
        runs.append(run)
    return runs


def _region(
    n: int, reg: Region, run: list[tuple[int, Any]], ctx: tuple[dict[str, str], Mote, dict[int, int]]
) -> list[str]:
    """The C function of region n."""
    shapes, mote, owner = ctx
    code = [f"/* {reg.name} */", f"void r{n}(mote_t *m, unsigned depth)", "{", "    struct hot hs;"]
    if not run:
        return [*code, "    (void)m, (void)depth, (void)hs;", "}"]
    code += ["    H_IN(&hs);", "    goto dyn;"]
    labels = {pc for pc, _ in run}
    for pc, i in run:
        code += _instruction(pc, i, labels, shapes, mote, owner)
    code += ["dyn:", "    switch (hs.pc) {"]
    code += [f"    case 0x{pc:04x}: goto L_{pc:04x};" for pc, _ in run]
    # the time check failed (hs.pc is the instruction's): the core fires the due events and says
    # whether the region goes on there (cpu.c xlat_service) or leaves for the run loop
    svc = [
        "svc:",
        "    H_OUT(&hs);",
        f"    if (!cpu_api.service(m, {n})) return;",
        "    H_IN(&hs);",
        "    goto dyn;",
    ]
    return [*code, "    default: goto out;", "    }", *svc, "out:", "    H_OUT(&hs);", "}"]


def generate(mote: Mote, regions: list[Region]) -> tuple[list[str], int]:
    """C sources of the module for `mote`'s memory as it is now (the first holds the module's
    tables, the others shares of the regions to compile in parallel: one per ~2 000 instructions, at
    most one per CPU), and the number of instructions translated."""
    runs = _decode(mote, regions)
    owner = {pc: n for n, run in enumerate(runs) for pc, _ in run}
    if not owner:
        raise TranslateError("no flash function to translate (stripped ELF?)")
    lo = min(owner)
    hi = max(pc + i.len for run in runs for pc, i in run)
    image = mote.read_bytes(lo, hi - lo)
    prelude = [
        "/* generated by harness/emulator/translate.py: do not edit */",
        "#include <stdint.h>",
        "#define CPU_EXEC_TRANSLATED 1",
        "static inline __attribute__((always_inline)) uint16_t xw(uint32_t a);",
        "#define XW(m, a) xw(a)",
        '#include "cpu_xlat.h"',
        f"#define LO 0x{lo:04x}u",
        f"#define HI 0x{hi:04x}u",
        "static const uint8_t image[HI - LO] = {",
    ]
    prelude += ["    " + ", ".join(str(b) for b in image[k : k + 24]) + "," for k in range(0, len(image), 24)]
    prelude += [
        "};",
        "static inline __attribute__((always_inline)) uint16_t xw(uint32_t a)",
        "{",
        "    return (uint16_t)(image[a - LO] | image[a - LO + 1] << 8);",
        "}",
        *(f"void r{n}(mote_t *m, unsigned depth);" for n in range(len(regions))),
    ]
    # regions to parts, largest first onto the lightest part
    shares: list[list[int]] = [[] for _ in range(max(1, min(os.cpu_count() or 1, len(owner) // 2000)))]
    for n in sorted(range(len(regions)), key=lambda k: -len(runs[k])):
        min(shares, key=lambda sh: sum(len(runs[k]) for k in sh)).append(n)
    sources = []
    for share in shares:
        shapes: dict[str, str] = {}  # one function per instruction shape: gcc folds each once
        code: list[str] = []
        for n in sorted(share):
            code += _region(n, regions[n], runs[n], (shapes, mote, owner))
        entries = [_entry(pc, i) for n in sorted(share) for pc, i in runs[n] if i.fmt != lib.XLAT_JUMP]
        shape_fns = [
            f"AI void {name}(mote_t *m, struct hot *h, const struct cpu_decoded *d, uint16_t ipc) "
            f"{{ {call}; }}"
            for name, call in sorted(shapes.items())
        ]
        body = [*prelude, *entries, *shape_fns, *code, ""]
        sources.append("\n".join(body))
    tables = [
        *prelude,
        "struct cpu_exec_api cpu_api;",
        "static void xinit(const struct cpu_exec_api *api) { cpu_api = *api; }",
        f"static const cpu_xlat_fn regions[{len(regions)}] = {{"
        + ", ".join(f"r{n}" for n in range(len(regions)))
        + "};",
        "static const uint16_t region_of[MOTE_MEM_SIZE / 2] = {",
        *(f"    [0x{pc:04x} / 2] = {n + 1}," for pc, n in sorted(owner.items())),
        "};",
        '__attribute__((visibility("default"))) const struct cpu_xlat_module esse_xlat_module = {',
        f"    CPU_XLAT_ABI, sizeof(mote_t), LO, HI, image, {len(regions)}, regions, region_of, xinit,",
        "};",
        "",
    ]
    return ["\n".join(tables), *sources], len(owner)


def _key(sources: list[str]) -> str:
    h = hashlib.sha256()
    for source in sources:
        h.update(source.encode() + b"\0")
    for header in sorted(CSRC.glob("*.h")):
        h.update(header.name.encode() + b"\0" + header.read_bytes())
    h.update(" ".join(COMPILE_FLAGS).encode())
    return h.hexdigest()[:24]


def _compile(sources: list[str], so: Path) -> None:
    """Compile the module's sources in parallel (one gcc per source) and link them into `so`."""
    gcc = proc.require("gcc", "sudo apt-get install gcc")
    so.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="esse-xlat-", dir=so.parent) as tmp:
        objs = []
        for k, source in enumerate(sources):
            (Path(tmp) / f"part{k}.c").write_text(source)
            objs.append(Path(tmp) / f"part{k}.o")
        flags = [*COMPILE_FLAGS, "-c", f"-I{CSRC}"]
        argv = [[gcc, *flags, str(o.with_suffix(".c")), "-o", str(o)] for o in objs]
        with ThreadPoolExecutor(max_workers=len(argv)) as pool:
            list(pool.map(proc.run, argv))  # the first failure raises CommandFailed
        tmp_so = Path(tmp) / "module.so"
        proc.run([gcc, "-shared", *map(str, objs), "-o", str(tmp_so)])
        os.replace(tmp_so, so)  # atomic: a parallel build of the same key writes the same bytes


def build(mote: Mote, regions: list[Region] | None = None) -> Translation:
    """The compiled module for the firmware loaded in `mote` (from the cache when built before):
    its ELF functions, or `regions` when given (assembled programs without function symbols)."""
    if mote.image is None:
        raise TranslateError("no firmware loaded: nothing to translate")
    regions = regions if regions is not None else regions_of(mote.image)
    if not regions:
        raise TranslateError(
            f"{mote.image.path}: no function symbols in flash (stripped ELF?): nothing to translate"
        )
    sources, count = generate(mote, regions)
    so = paths.cache_dir() / "xlat" / f"xlat-{_key(sources)}.so"
    try:
        if not so.exists():
            _compile(sources, so)
        if so not in _loaded:
            _loaded[so] = ctypes.CDLL(str(so))
    except OSError as exc:  # an unwritable cache directory, a module that does not load
        raise TranslateError(f"{so}: {exc.strerror or exc} (the cache directory is ESSE_CACHE_DIR)") from None
    address = ctypes.addressof(ctypes.c_char.in_dll(_loaded[so], "esse_xlat_module"))
    return Translation(so, len(regions), count, address)


def translate(mote: Mote, regions: list[Region] | None = None) -> Translation:
    """Translate the firmware loaded in `mote` (cached) and attach it: same results, faster."""
    t = build(mote, regions)
    t.attach(mote)
    return t


def attached(mote: Mote) -> bool:
    """True while `mote` runs translated code (a write into its flash code detaches it)."""
    return mote.ptr.xlat != ffi.NULL
