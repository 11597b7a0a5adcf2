"""Python face of the cycle-counting Sky-mote emulator (the C core in csrc/, through cffi).

    mote = Mote("build/apps/hello/hello.elf", node_id=1)
    mote.run_until_uart(rb"ready", max_cycles=10_000_000)
    print(mote.uart_text(), mote.now, mote.mode_cycles())
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from harness.emulator.core_build import CORE
from harness.emulator.elf import ElfImage, load_elf
from harness.emulator.errors import SerialOverflow
from harness.emulator.unmodelled import UnmodelledUse, unmodelled_uses

_core = CORE.load()  # ExtensionNotBuilt says how to build it
ffi = _core.ffi
lib = _core.lib

# Codes and modes come from mote.h through the cffi cdef (the compiler checks their values).
FAULT_NAMES = {
    lib.MOTE_FAULT_FETCH: "fetch outside flash/RAM",
    lib.MOTE_FAULT_FLASH_WRITE: "write to flash without the flash controller",
    lib.MOTE_FAULT_STACK: "stack overflow (SP below _end)",
    lib.MOTE_FAULT_ILLEGAL: "illegal instruction",
    lib.MOTE_FAULT_INTERNAL: "emulator event queue full (peripheral bug)",
}
MOTE_FAULT_HALT = lib.MOTE_FAULT_HALT
STOP_SERIAL = lib.MOTE_STOP_SERIAL
CPU_MODES = tuple(
    name.removeprefix("CPU_MODE_").lower()
    for name in sorted((n for n in dir(lib) if n.startswith("CPU_MODE_")), key=lambda n: getattr(lib, n))
)
MEM_SIZE = lib.MOTE_MEM_SIZE
SERIAL_BUFFER = lib.MOTE_SERIAL_BUF  # the core's UART output buffer per port
UART1 = 1
UART_SEARCH_WINDOW = 256 * 1024


def setup_error(what: str) -> RuntimeError:
    """The C core refused a registration (hook table full, address range or device slot taken)."""
    why = ffi.string(lib.mote_setup_error()).decode() or "out of memory"
    return RuntimeError(f"{what}: {why}")


class EmulatorFault(RuntimeError):
    """The emulated program did something the chip would not survive; names PC and symbol."""

    def __init__(self, code: int, pc: int, symbol: str, cycle: int) -> None:
        self.code = code
        self.pc = pc
        self.symbol = symbol
        self.cycle = cycle
        what = FAULT_NAMES.get(code, f"fault {code}")
        super().__init__(f"{what} at PC=0x{pc:04x} ({symbol}), cycle {cycle}")


@dataclass(frozen=True)
class UartRxHealth:
    """A USART receiver's record: the longest a character waited in RXBUF before the firmware read
    it, the characters lost unread under a newer one (whether or not OE showed it), and the character
    time now, all in CPU cycles. A wait near one character time means a byte is about to be lost."""

    max_wait_cycles: int
    lost: int
    char_cycles: int


@dataclass
class RunResult:
    """How a run ended and how many cycles it took."""

    reason: str  # "limit", "stop" (stop address reached), "uart" (pattern matched)
    cycles: int  # cycles elapsed during this call
    match: re.Match[bytes] | None = None


class Mote:
    """One emulated MSP430F1611 (Tmote Sky) with its on-chip peripherals."""

    def __init__(self, elf: str | Path | ElfImage | None = None, node_id: int | None = None) -> None:
        ptr = lib.mote_create()
        if ptr == ffi.NULL:
            raise setup_error("mote_create failed")
        self._m = ffi.gc(ptr, lib.mote_destroy)
        self.image: ElfImage | None = None
        self._uart = {0: bytearray(), 1: bytearray()}
        self._uart_scan = {0: 0, 1: 0}
        self._serial_read = 0  # how much of UART1's output read_serial() returned
        self._lost_reported = {0: 0, 1: 0}  # bytes lost so far that a SerialOverflow already named
        self._buf = ffi.new("uint8_t[]", SERIAL_BUFFER)
        if elf is not None:
            self.load(elf, node_id=node_id)

    # ------------------------------------------------------------------ loading

    def load(self, elf: str | Path | ElfImage, node_id: int | None = None) -> ElfImage:
        """Load every PT_LOAD segment at its load address, set up `_end`/`node_id`, then POR."""
        image = elf if isinstance(elf, ElfImage) else load_elf(elf)
        m = self._m
        for seg in image.segments:
            ffi.memmove(ffi.addressof(m.mem, seg.address), seg.data, len(seg.data))
        lib.mote_invalidate_code(m)
        self.image = image
        m.stack_limit = image.symbols.get("_end", 0) & 0xFFFF
        if "node_id" in image.symbols:
            m.node_id_addr = image.symbols["node_id"] & 0xFFFE
        self.set_node_id(node_id if node_id is not None else 0)
        self.reset()
        return image

    def set_node_id(self, node_id: int) -> None:
        """Cooja semantics: the id lives in the firmware's `node_id` (re-written on every store)."""
        self._m.node_id = node_id & 0xFFFF
        if self._m.node_id_addr >= 0:
            self.write16(self._m.node_id_addr, node_id)

    @property
    def node_id(self) -> int:
        """The node id the firmware sees (harness.target.Target)."""
        return int(self._m.node_id)

    def reset(self) -> None:
        """Power-on reset: peripherals to their reset state, PC from the reset vector."""
        lib.mote_reset(self._m)

    def symbol(self, name: str) -> int:
        """The address of an ELF symbol; KeyError when unknown or no ELF is loaded."""
        if self.image is None:
            raise KeyError(f"no ELF loaded: unknown symbol '{name}'")
        return self.image.symbol(name)

    def nearest_symbol(self, address: int) -> str:
        """The name of the symbol nearest below `address` ("?" without an ELF)."""
        return self.image.nearest(address) if self.image else "?"

    # ------------------------------------------------------------------ state

    @property
    def ptr(self):
        """The cffi mote_t* (for peripheral/radio bindings)."""
        return self._m

    @property
    def regs(self) -> list[int]:
        """The CPU registers R0..R15."""
        return list(self._m.r)

    def reg(self, n: int) -> int:
        """The value of register Rn."""
        return self._m.r[n]

    def set_reg(self, n: int, value: int) -> None:
        """Set register Rn to `value` (16 bits)."""
        self._m.r[n] = value & 0xFFFF

    pc = property(lambda self: self._m.r[0], lambda self, v: self.set_reg(0, v & 0xFFFE))
    sp = property(lambda self: self._m.r[1], lambda self, v: self.set_reg(1, v & 0xFFFE))
    sr = property(lambda self: self._m.r[2], lambda self, v: self.set_reg(2, v))

    # The host API checks every range: the C struct goes on after the 64 KB of memory (the I/O hook
    # table), so an unchecked write past 0xFFFF would corrupt the emulator itself.
    @staticmethod
    def _span(addr: int, n: int) -> int:
        if n < 0 or addr < 0 or addr + n > MEM_SIZE:
            raise ValueError(
                f"memory access of {n} byte(s) at 0x{addr:04x} outside the address space "
                f"0x0000..0x{MEM_SIZE - 1:04x}"
            )
        return addr

    # Host reads and writes see memory as the CPU's data accesses do, without I/O hooks: the RAM
    # mirror (0x0200..0x09FF) is RAM (mote_host_read/_write).
    def read8(self, addr: int) -> int:
        """The byte at `addr` (plain memory, no I/O hooks)."""
        return self.read_bytes(addr, 1)[0]

    def read16(self, addr: int) -> int:
        """The little-endian word at `addr` (even: bit 0 ignored, as the CPU does)."""
        return int.from_bytes(self.read_bytes(self._span(addr, 1) & 0xFFFE, 2), "little")

    def read_bytes(self, addr: int, n: int) -> bytes:
        """`n` bytes from `addr`; ValueError when they do not all lie in 0x0000..0xFFFF."""
        buf = ffi.new("uint8_t[]", max(n, 1))
        lib.mote_host_read(self._m, self._span(addr, n), buf, n)
        return bytes(ffi.buffer(buf, n))

    # The predecoded instructions need no invalidation: each entry is checked against the opcode
    # word at every fetch.
    def write8(self, addr: int, value: int) -> None:
        """Store one byte at `addr`."""
        self.write_bytes(addr, bytes([value & 0xFF]))

    def write16(self, addr: int, value: int) -> None:
        """Store a little-endian word at `addr` (even: bit 0 ignored, as the CPU does)."""
        self.write_bytes(self._span(addr, 1) & 0xFFFE, (value & 0xFFFF).to_bytes(2, "little"))

    def write_bytes(self, addr: int, data: bytes) -> None:
        """Store `data` from `addr`; ValueError when it does not fit below 0x10000."""
        lib.mote_host_write(self._m, self._span(addr, len(data)), data, len(data))

    @property
    def now(self) -> int:
        """MCLK-rate cycles since reset, low-power time included."""
        return self._m.now

    @property
    def active_cycles(self) -> int:
        """MCLK-rate cycles the CPU has been active since power-on."""
        return lib.mote_component_time(self._m, 0, 0)

    @property
    def mclk_hz(self) -> int:
        """The current MCLK frequency in Hz."""
        return self._m.mclk_hz

    @property
    def time_ns(self) -> int:
        """Simulated time since power-on (the clock module's exact time base when present)."""
        if hasattr(lib, "clk_now_ns"):
            return lib.clk_now_ns(self._m)
        return self._m.now * 1_000_000_000 // max(1, self._m.mclk_hz)

    def cycle_at_ns(self, ns: int) -> int:
        """First cycle whose simulated time is >= ns (from now on, at the current clock setting)."""
        if hasattr(lib, "clk_cycle_at_ns"):
            return lib.clk_cycle_at_ns(self._m, ns)
        return -(-ns * max(1, self._m.mclk_hz) // 1_000_000_000)

    def components(self) -> list[str]:
        """The names of the power-tracked components (0 = CPU)."""
        return [ffi.string(self._m.comp[i].name).decode() for i in range(self._m.ncomp)]

    def mode_cycles(self, component: int = 0) -> dict[str, int]:
        """Cycles spent in each mode of a component (0 = CPU), the current stretch included."""
        comp = self._m.comp[component]
        return {
            ffi.string(comp.mode_names[i]).decode(): lib.mote_component_time(self._m, component, i)
            for i in range(comp.nmodes)
        }

    def mode_ns(self, component: int = 0) -> dict[str, int]:
        """Simulated nanoseconds spent in each mode of a component (0 = CPU), the current stretch
        included: the core's power tracker, exact across DCO changes (unlike cycles / mclk_hz)."""
        comp = self._m.comp[component]
        return {
            ffi.string(comp.mode_names[i]).decode(): lib.mote_component_ns(self._m, component, i)
            for i in range(comp.nmodes)
        }

    def unmodelled(self) -> list[UnmodelledUse]:
        """Parts of the chip the firmware used that the emulator does not model (their registers only
        hold what is written): the first access to each and how many (harness/emulator/unmodelled.py)."""
        return unmodelled_uses(self._m)

    @property
    def active_ns(self) -> int:
        """Simulated nanoseconds the CPU has been active since power-on (the core's tracker)."""
        return lib.mote_component_ns(self._m, 0, 0)

    def cpu_mode(self) -> str:
        """The CPU's current mode name (active, lpm0..lpm4)."""
        return CPU_MODES[self._m.comp[0].mode]

    # ------------------------------------------------------------------ interrupts (host/test API)

    def irq_set(self, vec: int, level: bool) -> None:
        """Raise (`level` True) or clear the interrupt request of vector `vec` now."""
        lib.mote_irq_set(self._m, vec, int(bool(level)))

    def schedule_irq(self, vec: int, level: bool, at_cycle: int) -> None:
        """Raise or clear the interrupt request of vector `vec` at cycle `at_cycle`."""
        lib.mote_schedule_irq(self._m, vec, int(bool(level)), at_cycle)

    # ------------------------------------------------------------------ UART output

    def _drain_uart(self) -> None:
        for port in (0, 1):
            full = False
            while True:
                n = lib.mote_serial_take(self._m, port, self._buf, SERIAL_BUFFER)
                if n == 0:
                    break
                full |= n == SERIAL_BUFFER
                self._uart[port] += ffi.buffer(self._buf, n)[:]
            if not full:
                # bytes are dropped only into a full buffer, and a full buffer is taken whole: a
                # take below the capacity proves nothing was lost (saves a call per byte)
                continue
            lost = lib.mote_serial_dropped(self._m, port) - self._lost_reported[port]
            if lost:
                self._lost_reported[port] += lost  # raised once per loss: the caller may go on
                raise SerialOverflow(
                    f"UART{port}: {lost} byte(s) of serial output lost: the core's 8 KB buffer filled "
                    "between two drains (run in shorter steps, or run_until_uart: it drains at every byte)"
                )

    def uart_output(self, port: int = UART1) -> bytes:
        """Everything the mote sent on a UART port since load."""
        self._drain_uart()
        return bytes(self._uart[port])

    def uart_text(self, port: int = UART1) -> str:
        """The UART port's output since load as text (latin-1)."""
        return self.uart_output(port).decode("latin-1")

    def uart_send(self, data: bytes, port: int = UART1) -> int:
        """Queue bytes for the USART's receiver (one per character time at the current baud
        rate); returns how many were queued."""
        if not hasattr(lib, "uart_rx_push"):
            raise RuntimeError("the USART peripheral is not built into this core")
        return lib.uart_rx_push(self._m, port, data, len(data))

    def uart_rx_health(self, port: int = UART1) -> UartRxHealth:
        """How well the firmware kept up with the USART's receiver since power-on (UART mode)."""
        if not hasattr(lib, "uart_rx_health"):
            raise RuntimeError("the USART peripheral is not built into this core")
        wait, lost = ffi.new("uint64_t *"), ffi.new("uint64_t *")
        lib.uart_rx_health(self._m, port, wait, lost)
        return UartRxHealth(int(wait[0]), int(lost[0]), int(lib.uart_char_cycles(self._m, port)))

    # ------------------------------------------------------------------ harness.target.Target

    def read_serial(self) -> bytes:
        """UART1 bytes sent since the previous call (uart_output() keeps the whole log)."""
        out = self.uart_output()
        new, self._serial_read = out[self._serial_read :], len(out)
        return new

    def write_serial(self, data: bytes) -> None:
        """Queue `data` for UART1's receiver; SerialOverflow when its queue cannot take it all."""
        queued = self.uart_send(data)
        if queued != len(data):
            raise SerialOverflow(
                f"UART1 receive queue full: {len(data) - queued} of {len(data)} byte(s) not queued "
                "(let the mote run to consume them, then send the rest)"
            )

    def run_for(self, seconds: float) -> RunResult:
        """Run for `seconds` of simulated time (harness.target.Simulated)."""
        return self.run_for_time(seconds)

    # ------------------------------------------------------------------ running

    def _check(self, rc: int) -> None:
        if rc in (0, STOP_SERIAL, MOTE_FAULT_HALT):
            return
        m = self._m
        pc = m.fault_pc
        err = EmulatorFault(rc, pc, self.nearest_symbol(pc), m.now)
        lib.mote_clear_fault(m)
        raise err

    def _run_raw(self, until: int) -> int:
        rc = lib.mote_run(self._m, until)
        self._check(rc)
        return rc

    def run(self, cycles: int) -> RunResult:
        """Run for `cycles` MCLK cycles (time in LPM counts)."""
        start = self.now
        self._run_raw(start + cycles)
        return RunResult("limit", self.now - start)

    def run_until_cycle(self, cycle: int) -> RunResult:
        """Run until cycle `cycle` (no-op when it has passed)."""
        start = self.now
        if cycle > start:
            self._run_raw(cycle)
        return RunResult("limit", self.now - start)

    def run_until_time(self, ns: int) -> RunResult:
        """Run until simulated time `ns` (nanoseconds since power-on), exactly, even when the firmware
        changes its clock on the way (the stop is re-computed at every DCO change)."""
        start = self.now
        if hasattr(lib, "clk_run_until_ns"):
            self._check(lib.clk_run_until_ns(self._m, ns))
        else:
            self.run_until_cycle(self.cycle_at_ns(ns))
        return RunResult("limit", self.now - start)

    def run_for_time(self, seconds: float) -> RunResult:
        """Run for `seconds` of simulated time."""
        return self.run_until_time(self.time_ns + round(seconds * 1e9))

    def step(self) -> None:
        """Execute one instruction (or accept one interrupt; in LPM: advance one cycle)."""
        self._run_raw(self.now + 1)

    def run_until_pc(self, target: int | str, max_cycles: int) -> RunResult:
        """Run until the instruction at `target` (address or symbol) is about to execute."""
        addr = self.symbol(target) if isinstance(target, str) else target
        start = self.now
        lib.mote_set_stop_pc(self._m, addr & 0xFFFE)
        try:
            rc = self._run_raw(start + max_cycles)
        finally:
            lib.mote_set_stop_pc(self._m, -1)
        if rc == MOTE_FAULT_HALT:
            lib.mote_clear_fault(self._m)
            return RunResult("stop", self.now - start)
        return RunResult("limit", self.now - start)

    def run_until_uart(
        self, pattern: str | bytes | re.Pattern[bytes], max_cycles: int, port: int = UART1
    ) -> RunResult:
        """Run until the UART output (since load) matches `pattern`; the core stops at each byte.

        The pattern is searched over the whole output, or over its last 256 KB once it is longer
        (keeps long logs linear; `\\A` then means the start of that window)."""
        rx = pattern if isinstance(pattern, re.Pattern) else re.compile(
            pattern.encode() if isinstance(pattern, str) else pattern
        )
        start = self.now
        limit = start + max_cycles
        m = self._m
        m.serial_break = 1
        try:
            while True:
                self._drain_uart()
                buf = self._uart[port]
                found = rx.search(bytes(buf[-UART_SEARCH_WINDOW:]))
                if found:
                    return RunResult("uart", self.now - start, found)
                if self.now >= limit:
                    return RunResult("limit", self.now - start)
                self._run_raw(limit)
        finally:
            m.serial_break = 0
