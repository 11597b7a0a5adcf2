"""Translated code (harness/emulator/translate.py, csrc/cpu_xlat.h) against the interpreter: the
same firmware on two motes, one translated, run in lock-step to the same cycle limits (random
lengths, stretches of single steps), must agree on every register, every byte of memory, the cycle
counter, the CPU mode times and the UART output at every stop; stops, breakpoints, flash and host
writes into translated code, and refused attachments."""

from __future__ import annotations

import random

import pytest
from emu_helpers import mote_from_asm

from harness.bench.firmware import build_mixed_bench, build_sha256_bench
from harness.build import build_app
from harness.emulator.mote import Mote, lib
from harness.emulator.translate import Region, TranslateError, attached, build, translate


def _state(m: Mote) -> tuple:
    return (m.regs, m.now, m.read_bytes(0, 0x10000), m.uart_output(), m.mode_cycles(), m._m.fault)


def _lock_step(a: Mote, b: Mote, total: int, seed: int, steps: int = 200) -> None:
    """Run a (interpreted) and b (translated) to the same limits; compare the whole state."""
    rng = random.Random(seed)
    while a.now < total:
        if rng.random() < 0.1:  # a stretch of single steps: the time check before each instruction
            for _ in range(steps):
                a.step()
                b.step()
                assert (a.regs, a.now) == (b.regs, b.now)
        else:
            limit = a.now + rng.choice([1, 2, 3, 7, 50, 1000, 20_000, 300_000])
            a.run_until_cycle(limit)
            b.run_until_cycle(limit)
        assert _state(a) == _state(b), f"diverged by cycle {a.now}"


@pytest.fixture(scope="module")
def elfs(tmp_path_factory):
    root = tmp_path_factory.mktemp("xlat")
    return {
        "hello": build_app("hello", build_root=root / "hello").elf,
        "mixed": build_mixed_bench(rounds=2, build_root=root / "mixed").elf,
        "sha256": build_sha256_bench(rounds=2, build_root=root / "sha").elf,
    }


@pytest.mark.parametrize("name, cycles", [("hello", 12_000_000), ("mixed", 6_000_000), ("sha256", 4_000_000)])
def test_translated_firmware_runs_as_the_interpreter_does(elfs, name, cycles) -> None:
    a, b = Mote(elfs[name], node_id=3), Mote(elfs[name], node_id=3)
    t = translate(b)
    assert t.regions > 10 and t.instructions > 500
    _lock_step(a, b, cycles, seed=len(name))
    assert attached(b)
    assert b._m.xlat_runs > 1000  # the regions really ran
    assert a._m.xlat_runs == 0


def test_events_due_inside_a_region_fire_there_and_the_region_goes_on() -> None:
    """The radio test's SPI bytes end while its driver's loops run translated: each end fires in
    the region's time check (cpu.c xlat_service) and the region goes on, with the same state as the
    interpreter at every stop (an interrupt due there still leaves the region: the lock-step runs
    above and the simulation tests would diverge otherwise)."""
    elf = build_app("radiotest").elf
    a, b = Mote(elf, node_id=1), Mote(elf, node_id=1)
    translate(b)
    _lock_step(a, b, 4_000_000, seed=11)
    assert b._m.xlat_resumed > 1000
    assert a._m.xlat_resumed == 0


def test_hello_selftest_passes_translated(elfs) -> None:
    m = Mote(elfs["hello"], node_id=7)
    translate(m)
    assert m.run_until_uart(rb"ST end\r?\n", max_cycles=300_000_000).reason == "uart"
    from harness.build.selftest_oracle import check_output

    assert check_output(m.uart_text()) == []


def test_stops_and_breakpoints_inside_regions(elfs) -> None:
    """A stop PC in the middle of a translated function stops there on the same cycle (its region
    goes back to the interpreter while the stop is set, then runs translated again)."""
    a, b = Mote(elfs["mixed"]), Mote(elfs["mixed"])
    translate(b)
    fn = next(f for f in b.image.functions if f[2] == "main")
    insn = _insn()
    mid = next(pc for pc in range(fn[0] + 8, fn[0] + fn[1], 2) if lib.mote_xlat_decode(b.ptr, pc, insn) == 0)
    for m in (a, b):
        assert m.run_until_pc(mid, 50_000_000).reason == "stop"
    assert _state(a) == _state(b)
    runs = b._m.xlat_runs
    _lock_step(a, b, a.now + 500_000, seed=5)
    assert b._m.xlat_runs > runs
    done = b.symbol("bench_done")
    for m in (a, b):
        lib.mote_set_breakpoint(m.ptr, done, 1)
        m._run_raw(m.now + 50_000_000)
        assert m.pc == done
    assert _state(a) == _state(b)


def _insn():
    from harness.emulator.mote import ffi

    return ffi.new("struct mote_xlat_insn *")


def test_host_write_into_translated_code_detaches(elfs) -> None:
    a, b = Mote(elfs["sha256"]), Mote(elfs["sha256"])
    translate(b)
    _lock_step(a, b, 200_000, seed=1)
    b.write_bytes(0x1100, b"\x00")  # RAM: nothing to do with code
    a.write_bytes(0x1100, b"\x00")
    assert attached(b)
    fn = next(f for f in b.image.functions if f[2] == "main")
    word = a.read16(fn[0])
    for m in (a, b):
        m.write16(fn[0], word)  # same bytes, but written: translated code may be stale
    assert not attached(b)
    _lock_step(a, b, a.now + 500_000, seed=2)


FLASH_PROGRAM = """
        .text
        .globl _start
_start: mov #0x3900, r1
        mov #0x5a80, &0x0120      ; watchdog off
        mov #0, r5
        mov #0, r6
        mov #0xa542, &0x012a      ; FCTL2: MCLK / 3
        mov #0xa500, &0x012c      ; FCTL3: unlock
again:  call #patched             ; first adds 0x11, after the rewrite 0x10
        inc r6
        cmp #2, r6
        jeq done
        mov #0xa540, &0x0128      ; FCTL1: WRT
        mov #0x0010, &patched+2   ; program the immediate 0x0011 -> 0x0010 (bits 1 -> 0 only)
        mov #0xa500, &0x0128
        jmp again
done:   mov r5, &0x1100
stop:   jmp stop
        .p2align 1
patched:
        .word 0x5035, 0x0011      ; add #0x11, r5
        ret
"""


def test_flash_controller_rewrites_translated_code() -> None:
    """Code rewrites its own flash through the flash controller: the translated mote detaches at
    the write and both motes run the new instruction."""
    a, b = mote_from_asm(FLASH_PROGRAM), mote_from_asm(FLASH_PROGRAM)
    end = b.symbol("patched") + 6
    translate(b, [Region("program", 0x4000, end)])
    assert attached(b)
    _lock_step(a, b, 4000, seed=3, steps=20)
    assert not attached(b)
    assert a.read16(0x1100) == b.read16(0x1100) == 0x21


def test_attach_refuses_another_image(elfs) -> None:
    a = Mote(elfs["mixed"])
    t = build(a)
    other = Mote(elfs["sha256"])
    with pytest.raises(TranslateError, match="differs from the image"):
        t.attach(other)
    assert not attached(other)


def test_translated_motes_share_code_only_with_their_module(elfs) -> None:
    a, b, c = Mote(elfs["mixed"]), Mote(elfs["mixed"]), Mote(elfs["mixed"])
    t = translate(a)
    t.attach(b)
    assert lib.mote_share_code(b.ptr, a.ptr) == 0
    assert lib.mote_share_code(c.ptr, a.ptr) == -1  # c is interpreted: its entries differ
    _lock_step(c, a, 1_000_000, seed=4)
    _lock_step(c, b, 1_000_000, seed=4)


def test_esse_run_translate_prints_what_the_interpreter_prints(elfs, capsys) -> None:
    from harness.emulator.cli import run_command

    outputs = []
    for translate_it in (False, True):
        rc = run_command(str(elfs["hello"]), 40_000_000, until_uart=r"ST begin", translate=translate_it)
        assert rc == 0
        captured = capsys.readouterr()
        outputs.append(captured.out)
        assert ("translated" in captured.err) == translate_it
    assert outputs[0] == outputs[1]  # UART text, cycles, time and energy per mode


def test_esse_run_translate_refuses_a_stripped_elf(elfs, tmp_path, capsys) -> None:
    import subprocess

    from harness.emulator.cli import run_command
    from harness.proc import require

    stripped = tmp_path / "hello-stripped.elf"
    strip = require("llvm-strip-16", "apt-get install llvm-16")
    subprocess.run([strip, "-o", str(stripped), str(elfs["hello"])], check=True)
    assert run_command(str(stripped), 100_000, translate=True) == 1
    err = capsys.readouterr().err
    assert "--translate:" in err and "no function symbols in flash" in err and "Traceback" not in err


def test_interrupts_and_run_limits_in_a_translated_loop() -> None:
    """test_cpu_irq's DINT / SR-restore loop (the multiply helpers' shape) as one translated region:
    an interrupt asserted at any cycle is taken at the same boundary as in the interpreter (never
    right after the SR restore: the EINT delay), and a run limit at any cycle stops at the next
    instruction boundary."""
    from emu_helpers import check_irq_and_run_limits, loop_boundary
    from test_cpu_irq import _DINT_STARTS, DINT_LOOP

    def warm() -> Mote:
        m = mote_from_asm(DINT_LOOP)
        translate(m, [Region("loop", m.symbol("loop"), m.symbol("isr"))])
        m.run_until_pc("loop", 1000)
        m.run(70)
        m.run_until_pc("loop", 100)
        return m

    m = warm()
    runs = m._m.xlat_runs
    m.run(1000)
    assert attached(m) and m._m.xlat_runs > runs
    check_irq_and_run_limits(warm, loop_boundary(_DINT_STARTS, 7), 15,
                             loop_boundary(_DINT_STARTS, 7, {"loop", "i1", "i5"}))


def test_unwritable_cache_is_a_clear_error(elfs, tmp_path, monkeypatch, capsys) -> None:
    from harness.emulator.cli import run_command

    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("ESSE_CACHE_DIR", str(blocker))
    m = Mote(elfs["sha256"])
    with pytest.raises(TranslateError, match="not-a-directory"):
        build(m, [Region("main", m.symbol("main"), m.symbol("main") + 2)])  # not compiled before
    assert run_command(str(elfs["sha256"]), 1000, translate=True) == 1
    err = capsys.readouterr().err
    assert "--translate:" in err and "ESSE_CACHE_DIR" in err and "Traceback" not in err


def test_gdb_breakpoints_and_steps_on_translated_code() -> None:
    """The GDB stub on a translated mote: a breakpoint sends only its own region to the interpreter
    (the other keeps running translated), continue and step stop where they stop interpreted, and a
    memory write through gdb detaches the mote."""
    from test_gdbstub import PROGRAM, Client

    from harness.emulator.gdbstub import GdbStub

    mote = mote_from_asm(PROGRAM)
    loop, second = mote.symbol("loop"), mote.symbol("second")
    translate(mote, [Region("loop", loop, second), Region("second", second, second + 4)])
    c = Client(GdbStub(mote))
    assert c.cmd(f"Z0,{loop:x},2") == "OK"
    runs = mote._m.xlat_runs
    assert c.cmd("c") == "S05" and mote.reg(0) == loop
    assert c.cmd("c") == "S05" and mote.reg(0) == loop and (mote.reg(10), mote.reg(11)) == (1, 1)
    assert mote._m.xlat_runs > runs  # `second` ran translated between the stops
    assert c.cmd("s") == "S05" and mote.reg(0) == second
    assert c.cmd(f"z0,{loop:x},2") == "OK" and attached(mote)
    assert c.cmd("M1100,2:aabb") == "OK" and not attached(mote)  # the host rewrote memory
    c.raw(b"$D#44")
    assert c.read_until(b"+") == b"+" and c.reply() == "OK"
