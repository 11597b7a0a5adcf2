"""Helpers for the emulator tests: assemble a program into a loaded Mote, and batches of
single-instruction cases (imported by name: a module called `conftest` is ambiguous across folders)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from harness.emulator.core_build import ensure_built

ensure_built()

from harness.emulator.asm import assemble  # noqa: E402
from harness.emulator.mote import Mote  # noqa: E402

# Stops the watchdog (WDTCTL = WDTPW | WDTHOLD) so long runs are not cut short by a PUC.
STOP_WATCHDOG = "mov #0x5a80, &0x0120"


def uart_divisor(clock_hz: int, baud: int) -> tuple[int, int]:
    """UBR and a UMCTL pattern spreading the fractional part over the 8 modulation bits."""
    ubr = clock_hz // baud
    frac = clock_hz / baud - ubr
    mctl, acc = 0, 0.0
    for bit in range(8):
        acc += frac
        if acc >= 0.5:
            mctl |= 1 << bit
            acc -= 1.0
    return ubr, mctl


def mote_from_asm(source: str, **kw) -> Mote:
    """Assemble `source` (text at 0x4000, reset vector -> _start when defined) and load it."""
    if ".vectors" not in source and "_start" in source:
        source += '\n        .section .vectors,"ax"\n        .fill 15, 2, 0\n        .word _start\n'
    return Mote(assemble(source), **kw)


# (r10, r11) pairs the value-table programs run with: equal, below/above unsigned and signed, sign
# changes, overflow, byte carries
FLAG_VALUES = [(0, 0), (1, 2), (2, 1), (0x8000, 1), (1, 0x8000), (0x7FFF, 0xFFFF), (0xFFFF, 0x7FFF),
               (0x80, 0x7F), (0xFF, 0x180), (0x8001, 0x8001), (0x7F, 0x8081)]


def value_table_program(setup: str, body: list[str], data: str = "") -> str:
    """A program that runs `body` once for each (r10, r11) pair of FLAG_VALUES after `setup`, then
    stops at `done`; `data` goes into .data."""
    lines = "\n".join(body)
    table = "\n".join(f"        .word {s}, {d}" for s, d in FLAG_VALUES)
    return f"""
        .text
        .globl _start
_start: mov #0x3900, r1
        {STOP_WATCHDOG}
{setup}
        mov #values, r9
next:   mov @r9+, r10
        mov @r9+, r11
{lines}
        cmp #values_end, r9
        jeq done
        br #next
done:   jmp done
values:
{table}
values_end:
        .data
{data}
"""


def run_and_step(source: str) -> tuple[Mote, Mote]:
    """The program run to `done` in one go and one instruction at a time (Mote.step)."""
    whole = mote_from_asm(source)
    whole.run_until_pc("done", 50_000_000)
    stepped = mote_from_asm(source)
    done = stepped.symbol("done")
    while stepped.pc != done:
        stepped.step()
    return whole, stepped


def ram_routine_program(r4: int, rewrite: str, routine: str) -> str:
    """A program that copies `routine` to RAM at 0x2000 and calls it with r4 = `r4` twice, then once
    more after the instruction `rewrite` changed the copy; r12 after each call goes to res1, res2,
    res3 (.data), and the program stops at `done`."""
    return f"""
        .text
        .globl _start
_start: mov #0x3900, r1
        {STOP_WATCHDOG}
        mov #routine, r5
        mov #0x2000, r6
        mov #(routine_end - routine) / 2, r7
copy:   mov @r5+, r10
        mov r10, 0(r6)
        incd r6
        dec r7
        jnz copy
        mov #{r4}, r4
        call #0x2000
        mov r12, &res1
        call #0x2000
        mov r12, &res2
        {rewrite}
        call #0x2000
        mov r12, &res3
done:   jmp done
routine:
{routine}
routine_end:
        .data
res1:   .word 0
res2:   .word 0
res3:   .word 0
"""


def ram_routine_results(r4: int, rewrite: str, routine: str) -> list[int]:
    """r12 after each of the three calls of ram_routine_program(r4, rewrite, routine)."""
    m = mote_from_asm(ram_routine_program(r4, rewrite, routine))
    m.run_until_pc("done", 10_000)
    return [m.read16(m.symbol(s)) for s in ("res1", "res2", "res3")]


def irq_loop_program(setup: str, body: str) -> str:
    """A program that stops the watchdog, runs `setup`, sets GIE and then `body` (from its label `loop`)
    for ever; vector 5 is `isr`, a bare RETI (check_irq_and_run_limits asserts it)."""
    return f"""
        .text
        .globl _start
_start: mov #0x3900, r1
        {STOP_WATCHDOG}
{setup}        eint
        nop
{body}isr:    reti
        .section .vectors,"ax"
        .fill 5, 2, 0
        .word isr
        .fill 9, 2, 0
        .word _start
"""


def loop_boundary(starts: list[tuple[int, str]], period: int,
                  only: set[str] | None = None) -> Callable[[int, int], tuple[int, str]]:
    """boundary(base, t) for check_irq_and_run_limits: the first instruction start at or after base + t
    of a loop of `period` cycles whose starts are (offset, label) (only: those labels alone count)."""

    def boundary(base: int, t: int) -> tuple[int, str]:
        k, r = divmod(t, period)
        for off, label in starts:
            if off >= r and (only is None or label in only):
                return base + period * k + off, label
        return base + period * (k + 1), "loop"

    return boundary


def warm_loop(source: str, cycles: int) -> Mote:
    """A mote at the label `loop` of `source` after the loop ran `cycles` (its code is decoded)."""
    m = mote_from_asm(source)
    m.run_until_pc("loop", 1000)
    m.run(cycles)
    m.run_until_pc("loop", 100)
    return m


def check_irq_and_run_limits(warm: Callable[[], Mote], boundary: Callable[[int, int], tuple[int, str]],
                             span: int,
                             irq_boundary: Callable[[int, int], tuple[int, str]] | None = None) -> None:
    """For each cycle t < span after a warmed-up loop's start: an interrupt asserted then is taken at
    irq_boundary(base, t) (default: boundary; its address pushed, the ISR 6 cycles later), and a run
    limit there stops at boundary(base, t). warm() gives a mote at `loop` whose code was decoded and
    has run."""
    for t in range(span):
        m = warm()
        base = m.now
        m.schedule_irq(5, True, base + t)
        m.run_until_pc("isr", 1000)
        at, where = (irq_boundary or boundary)(base, t)
        assert (m.now, m.read16(m.sp + 2)) == (at + 6, m.symbol(where)), t
    m = warm()
    base = m.now
    for t in range(span):
        m.run_until_cycle(base + t)
        at, where = boundary(base, t)
        assert (m.now, m.pc) == (at, m.symbol(where)), t


def check_breakpoint_after_warm_up(m: Mote, pc: int, rerun: int) -> None:
    """A breakpoint set at pc (whose code was decoded and has run) stops the run there; cleared, the
    code runs on (rerun cycles) and a stop address at pc stops there too."""
    from harness.emulator._core import lib

    lib.mote_set_breakpoint(m.ptr, pc, 1)
    rc = lib.mote_run(m.ptr, m.now + 100)
    assert rc == lib.MOTE_FAULT_HALT and m.pc == pc
    lib.mote_clear_fault(m.ptr)
    lib.mote_set_breakpoint(m.ptr, pc, 0)
    m.run(rerun)
    m.run_until_pc(pc, 100)
    assert m.pc == pc


class Batch:
    """Many single-instruction cases in one assembled program: case i is at label `c<i>`.

    RAM labels (symbolic/absolute operands): srcv at 0x1100 and dstv at 0x1102, then a
    scratch area `scratch` (64 bytes)."""

    DATA = """
        .data
srcv:   .word 0
dstv:   .word 0
scratch: .fill 64, 1, 0
"""

    def __init__(self, lines: list[str]) -> None:
        body = "\n".join(f"c{i}:    {line}" for i, line in enumerate(lines))
        source = f"        .text\n        .globl _start\n_start:\n{body}\ncend:   nop\n{self.DATA}"
        self.lines = lines
        self.elf = assemble(source)
        self.mote = Mote(self.elf)
        self.addr = [self.mote.symbol(f"c{i}") for i in range(len(lines))]
        self.srcv = self.mote.symbol("srcv")
        self.dstv = self.mote.symbol("dstv")
        self.scratch = self.mote.symbol("scratch")

    def length(self, i: int) -> int:
        """Instruction length in words (from the label layout)."""
        end = self.addr[i + 1] if i + 1 < len(self.addr) else self.mote.symbol("cend")
        return (end - self.addr[i]) // 2

    def step(self, i: int, regs: dict[int, int] | None = None, mem: dict[int, int] | None = None,
             sr: int = 0) -> tuple[Mote, int]:
        """Set up state, execute case i alone, return (mote, cycles)."""
        m = self.mote
        for r in range(4, 16):
            m.set_reg(r, 0)
        m.set_reg(1, 0x3800)
        m.set_reg(2, sr)
        for r, v in (regs or {}).items():
            m.set_reg(r, v)
        for a, v in (mem or {}).items():
            m.write16(a, v)
        m.set_reg(0, self.addr[i])
        before = m.now
        m.step()
        return m, m.now - before


# USART0 as SPI master on SMCLK/2 (mode 0), then the radio powered (VREG_EN, RESETn high, CSn high)
# and its regulator's start-up waited for: the opening of those programs.
CC2420_SPI_SETUP = """
        mov.b #0x01, &0x70
        mov.b #0x17, &0x70          ; SWRST | CHAR | SYNC | MM
        mov.b #0xb2, &0x71          ; CKPH | SMCLK | STC
        mov.b #2, &0x74
        mov.b #0, &0x75
        mov.b #0, &0x73
        bis.b #0x40, &0x04
        bic.b #0x01, &0x70
        mov.b #0x64, &0x1d          ; CSn high, VREG_EN high, RESETn high
        mov.b #0x64, &0x1e
        call #wait
"""

# The radio's oscillator started (SXOSCON), then its receiver (SRXON), each strobe in a transaction of
# its own followed by a wait: after CC2420_SPI_SETUP, with CC2420_SPI_ROUTINES.
CC2420_RX_ON = """
        call #cs_low
        mov.b #0x01, r12            ; SXOSCON
        call #spi
        call #cs_high
        call #wait
        call #cs_low
        mov.b #0x03, r12            ; SRXON
        call #spi
        call #cs_high
        call #wait
"""

# USART0 SPI byte exchange (r12 out, r12 in), the CC2420's CSn (P4.2), a strobe and a busy wait: the
# subroutines of the hand-written programs that talk to the radio model (test_cc2420_spi.py, _saes.py).
CC2420_SPI_ROUTINES = """
spi:    mov.b r12, &0x77
1:      bit.b #0x40, &0x02
        jz 1b
        mov.b &0x76, r12
        ret
cs_low: bic.b #0x04, &0x1d
        ret
cs_high: bis.b #0x04, &0x1d
        ret
strobe: call #cs_low               ; command strobe r12 alone in a transaction; r12 = status
        call #spi
        jmp cs_high
wait:   mov #3000, r15
2:      dec r15
        jnz 2b
        ret
"""


def uart1_source(ubr: int, mctl: int, main: str, rx_isr: str = "") -> str:
    """A program: ~3.9 MHz DCO, USART1 as an 8N1 UART on SMCLK at (ubr, mctl), then `main`; with
    `rx_isr`, USART1's receive interrupt (vector 3) runs it."""
    isr_vector = "rx_isr" if rx_isr else "0"
    enable_rx = "bis.b #0x10, &0x0001      ; IE2.URXIE1 (after SWRST: SWRST clears it)" if rx_isr else ""
    return f"""
        .text
        .globl _start
_start: mov #0x3900, r1
        {STOP_WATCHDOG}
        mov.b #0x87, &0x0057
        mov.b #0x8d, &0x0056      ; RSEL 7, DCO 4, MOD 13 (about 3.9 MHz)
        mov.b #0x11, &0x0078
        mov.b #0x20, &0x0079
        mov.b #{ubr}, &0x007c
        mov.b #0, &0x007d
        mov.b #{mctl}, &0x007b
        bis.b #0x30, &0x0005
        bic.b #0x01, &0x0078
        {enable_rx}
{main}
{"rx_isr: " + rx_isr if rx_isr else ""}
        .section .vectors,"ax"
        .fill 3, 2, 0
        .word {isr_vector}
        .fill 11, 2, 0
        .word _start
"""


def uart_echo_source(ubr: int, mctl: int) -> str:
    """USART1 echoes every byte it receives; the CPU sleeps in LPM0 in between."""
    main = """        eint
idle:   bis #0x0018, r2           ; LPM0 + GIE (SMCLK keeps running)
        jmp idle"""
    return uart1_source(ubr, mctl, main, "mov.b &0x007e, &0x007f    ; echo\n        reti")


def uart_flood_source(ubr: int, mctl: int) -> str:
    """USART1 sends 'A' back to back for ever."""
    main = """send:   bit.b #0x20, &0x0003      ; IFG2.UTXIFG1
        jz send
        mov.b #0x41, &0x007f
        jmp send"""
    return uart1_source(ubr, mctl, main)


def uart1_elf(source: Callable[[int, int], str], baud: int = 115200) -> Path:
    """Assemble a uart1_source program with the divisor for `baud` at the DCO it sets."""
    probe = Mote(assemble(source(1, 0)))
    probe.run(2000)  # learn the DCO frequency the program sets
    return assemble(source(*uart_divisor(probe.mclk_hz, baud)))


def two_motes_csc_with(tmp_path: Path, elf: Path, type_id: str) -> Path:
    """The two-mote radiotest scenario rendered to a `.csc` in tmp_path, with mote 2 running `elf`
    (a mote type named `type_id`)."""
    from harness.build import build_app
    from harness.cli import main
    from harness.paths import COOJA_CONFIGS_DIR
    from harness.sim.csc import read_csc, write_csc

    build_app("radiotest")
    csc = tmp_path / "two.csc"
    two = COOJA_CONFIGS_DIR / "scenarios" / "two_motes.toml"
    assert main(["sim", "render", str(two), "-o", str(csc)]) == 0
    sim = read_csc(csc)
    sim.mote_types.append(type(sim.mote_types[0])(type_id, type_id, str(elf)))
    sim.motes[1].type_identifier = type_id
    write_csc(sim, csc)
    return csc
