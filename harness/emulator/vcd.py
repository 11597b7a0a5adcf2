"""Value Change Dump of an emulated mote (`esse run --vcd FILE`, `esse sim run --vcd DIR|MOTE=FILE`).

The C core records every change where it happens (csrc/trace_vcd.h: port pin listener, mode
listeners, clock listener, USART TX tap, reset hook) into a buffer; `MoteTrace` drains it between
runs and writes the file GTKWave reads (IEEE 1364-2005, clause 18: the four-state VCD format),
`$timescale 1ns`, time = the mote's simulated nanoseconds since power-on (`mote_now_ns`, the power
tracker's time base: the intervals of a mode add up to its `Mote.mode_ns()` total).

    mote = Mote("build/apps/hello/hello.elf")
    trace = MoteTrace(mote, "hello.vcd")   # after every device (radio, ...) is attached
    mote.run_for_time(2.0)
    trace.close()                           # drains, ends the file at the mote's present

Signals, in scope `moteN`: the Sky's wires by name (LEDs P5.4-P5.6, active low: `led_red_n` ...; the
CC2420's FIFOP P1.0, FIFO P1.3, CCA P1.4, SFD P4.1, CSn P4.2, VREG_EN P4.5, RESETn P4.6; the M25P80's
chip select P4.4, the DS2411's 1-Wire line P2.4, the SHT11's DATA P1.5, SCK P1.6, VDD P1.7), the six
ports as 8-bit vectors (PxIN: the level the chip sees; an input nobody drives reads 0), the mode of
every power-tracker component (`cpu_mode`, `radio_mode`: the mode's index, names listed in a
`$comment`), `dco_hz`, each byte a USART sends in UART mode (`uart1_tx`, value at its stop bit, with an
event `uart1_byte` per byte so repeated bytes show) and `reset` (an event per POR/PUC; `reset_cause`
holds enum mote_reset_cause).
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from harness.emulator.mote import Mote, ffi, lib, setup_error
from harness.emulator.resets import RESET_CAUSES

TIMESCALE = "1ns"
# (port, pin, name): the Tmote Sky's wiring (LEDs active low; sky.h, dev_cc2420.h, sky_devices.py)
SKY_PINS: tuple[tuple[int, int, str], ...] = (
    (1, 0, "cc2420_fifop"),
    (1, 3, "cc2420_fifo"),
    (1, 4, "cc2420_cca"),
    (1, 5, "sht11_data"),
    (1, 6, "sht11_sck"),
    (1, 7, "sht11_vdd"),
    (2, 4, "ds2411_1wire"),
    (4, 1, "cc2420_sfd"),
    (4, 2, "cc2420_csn"),
    (4, 4, "flash_csn"),
    (4, 5, "cc2420_vreg_en"),
    (4, 6, "cc2420_resetn"),
    (5, 4, "led_red_n"),
    (5, 5, "led_green_n"),
    (5, 6, "led_blue_n"),
)
_TAKE = 4096  # records per vcdt_take call
_POLL_PENDING = 65536  # poll() drains once this many records wait


class VcdWriter:
    """A minimal VCD writer: declare variables, then `header()`, then changes in time order."""

    def __init__(self, out: TextIO, timescale: str = TIMESCALE) -> None:
        self._out = out
        self._timescale = timescale
        self._decls: list[str] = []
        self._widths: dict[str, int] = {}
        self._scopes: list[str] = []
        self._comments: list[str] = []
        self._time: int | None = None

    @staticmethod
    def _code(index: int) -> str:
        """Identifier code number `index`: printable ASCII 33..126, shortest first."""
        chars = []
        index += 1
        while index:
            index -= 1
            chars.append(chr(33 + index % 94))
            index //= 94
        return "".join(chars)

    def scope(self, name: str) -> None:
        """Open a module scope (closed by `upscope`)."""
        self._decls.append(f"$scope module {name} $end")
        self._scopes.append(name)

    def upscope(self) -> None:
        """Close the innermost scope."""
        self._decls.append("$upscope $end")
        self._scopes.pop()

    def var(self, name: str, width: int = 1, kind: str = "wire") -> str:
        """Declare a variable in the current scope; returns its identifier code."""
        code = self._code(len(self._widths))
        self._widths[code] = width
        self._decls.append(f"$var {kind} {width} {code} {name} $end")
        return code

    def comment(self, text: str) -> None:
        """A `$comment` in the header."""
        self._comments.append(text)

    def value(self, code: str, value: int | None) -> str:
        """The value change text of `code` (None: unknown, x)."""
        if self._widths[code] == 1:
            return f"{'x' if value is None else value & 1}{code}"
        return f"b{'x' if value is None else format(value, 'b')} {code}"

    def header(self, time: int, initial: dict[str, int | None], version: str) -> None:
        """Write the declarations and the initial values ($dumpvars) at `time`."""
        while self._scopes:
            self.upscope()
        w = self._out.write
        w(f"$version {version} $end\n")
        for text in self._comments:
            w(f"$comment {text} $end\n")
        w(f"$timescale {self._timescale} $end\n")
        for line in self._decls:
            w(line + "\n")
        w("$enddefinitions $end\n")
        w(f"#{time}\n$dumpvars\n")
        for code, value in initial.items():
            w(self.value(code, value) + "\n")
        w("$end\n")
        self._time = time

    def change(self, time: int, code: str, value: int) -> None:
        """A value change (an event: value 1) at `time` (not before the previous one)."""
        if self._time is None:
            raise RuntimeError("VcdWriter.change before header()")
        if time != self._time:
            if time < self._time:
                raise ValueError(f"VCD time going backwards: {time} after {self._time}")
            self._out.write(f"#{time}\n")
            self._time = time
        self._out.write(self.value(code, value) + "\n")

    def end(self, time: int) -> None:
        """Mark the end of the dump at `time` (the last interval's end)."""
        if self._time is not None and time > self._time:
            self._out.write(f"#{time}\n")
            self._time = time


def _bits_for(n: int) -> int:
    return max(1, (n - 1).bit_length())


class MoteTrace:
    """Records one emulated mote into a VCD file; attach after every device of the mote."""

    def __init__(self, mote: Mote, out: str | Path | TextIO, scope: str | None = None) -> None:
        self.mote = mote
        self._file: TextIO
        self.path: Path | None = None
        if isinstance(out, str | Path):
            self.path = Path(out)
            self._file = open(self.path, "w", encoding="ascii")  # noqa: SIM115 (closed by close())
        else:
            self._file = out
        self._own = self.path is not None
        ptr = lib.vcdt_attach(mote.ptr)
        if ptr == ffi.NULL:
            if self._own:
                self._file.close()
            raise setup_error("VCD trace: vcdt_attach failed")
        self._t = ffi.gc(ptr, lib.vcdt_free)
        # called from the mote's listeners: lives as long as the mote (stopped when closed)
        mote.__dict__.setdefault("_devices", []).append(self._t)
        self._w = VcdWriter(self._file)
        self._port_levels: dict[int, int] = {}
        self._times = ffi.new("uint64_t[]", _TAKE)
        self._sigs = ffi.new("uint8_t[]", _TAKE)
        self._values = ffi.new("uint32_t[]", _TAKE)
        self._closed = False
        self.records = 0
        self._declare(scope or f"mote{mote.node_id}")
        self._started = False

    def _declare(self, scope: str) -> None:
        w = self._w
        m = self.mote.ptr
        w.scope(scope)
        w.scope("pins")
        self._pins: dict[int, list[tuple[int, str]]] = {}
        for port, pin, name in SKY_PINS:
            self._pins.setdefault(port, []).append((pin, w.var(name)))
        w.upscope()
        w.scope("ports")
        self._ports = {n: w.var(f"P{n}", 8) for n in range(1, 7)}
        w.upscope()
        self._modes: dict[int, str] = {}
        names: list[str] = []
        for c in range(m.ncomp):
            comp = m.comp[c]
            modes = [ffi.string(comp.mode_names[k]).decode() for k in range(comp.nmodes)]
            cname = ffi.string(comp.name).decode()
            self._modes[c] = w.var(f"{cname}_mode", _bits_for(len(modes)), "reg")
            names.append(f"{cname}_mode: " + ", ".join(f"{k} {mode}" for k, mode in enumerate(modes)))
        w.comment("; ".join(names))
        w.comment("reset_cause: " + ", ".join(f"{k} {c}" for k, c in enumerate(RESET_CAUSES)))
        w.comment("pins: PxIN levels (LEDs active low); uartN_tx: the byte at its stop bit")
        self._dco = w.var("dco_hz", 32, "integer")
        self._uart = {u: w.var(f"uart{u}_tx", 8, "reg") for u in (0, 1)}
        self._uart_ev = {u: w.var(f"uart{u}_byte", 1, "event") for u in (0, 1)}
        self._reset_ev = w.var("reset", 1, "event")
        self._reset_cause = w.var("reset_cause", 3, "reg")
        w.upscope()

    # ------------------------------------------------------------------ draining

    @property
    def lost(self) -> int:
        """Records the core could not keep (its buffer was full): never silently, see `drain`."""
        return int(lib.vcdt_lost(self._t))

    def poll(self) -> None:
        """Drain when enough records wait (cheap to call after every run step)."""
        if lib.vcdt_pending(self._t) >= _POLL_PENDING:
            self.drain()

    def drain(self) -> None:
        """Write every waiting record to the file; RuntimeError when the core lost records."""
        if self._closed:
            return
        while True:
            n = lib.vcdt_take(self._t, self._times, self._sigs, self._values, _TAKE)
            if n == 0:
                break
            self._write(n)
        if self.lost:
            raise RuntimeError(
                f"VCD trace: {self.lost} change(s) lost (more than {lib.VCDT_MAX_RECORDS} waited between two "
                "drains); the file is incomplete"
            )

    def _write(self, n: int) -> None:
        times, sigs, values = self._times, self._sigs, self._values
        start = 0
        if not self._started:
            start = self._initial(n)
        w = self._w
        for i in range(start, n):
            t, sig, value = int(times[i]), int(sigs[i]), int(values[i])
            if lib.VCDT_SIG_PORT < sig <= lib.VCDT_SIG_PORT + 6:
                port = sig - lib.VCDT_SIG_PORT
                changed = value ^ self._port_levels[port]
                self._port_levels[port] = value
                w.change(t, self._ports[port], value)
                for pin, code in self._pins.get(port, ()):
                    if changed >> pin & 1:
                        w.change(t, code, value >> pin & 1)
            elif lib.VCDT_SIG_MODE <= sig < lib.VCDT_SIG_DCO:
                mode_code = self._modes.get(sig - lib.VCDT_SIG_MODE)
                if mode_code is None:
                    raise RuntimeError("VCD trace: a component registered after the trace started")
                w.change(t, mode_code, value)
            elif sig == lib.VCDT_SIG_DCO:
                w.change(t, self._dco, value)
            elif sig in (lib.VCDT_SIG_UART, lib.VCDT_SIG_UART + 1):
                u = sig - lib.VCDT_SIG_UART
                w.change(t, self._uart[u], value)
                w.change(t, self._uart_ev[u], 1)
            elif sig == lib.VCDT_SIG_RESET:
                w.change(t, self._reset_ev, 1)
                w.change(t, self._reset_cause, value)
            else:
                raise RuntimeError(f"VCD trace: unknown signal {sig}")
        self.records += n

    def _initial(self, n: int) -> int:
        """The first records are the values at attach (trace_vcd.h): the header's $dumpvars."""
        count = 6 + len(self._modes) + 1
        if n < count:
            raise RuntimeError("VCD trace: the initial values did not come first")
        initial: dict[str, int | None] = {}
        t0 = int(self._times[0])
        for i in range(count):
            sig, value = int(self._sigs[i]), int(self._values[i])
            if lib.VCDT_SIG_PORT < sig <= lib.VCDT_SIG_PORT + 6:
                port = sig - lib.VCDT_SIG_PORT
                self._port_levels[port] = value
                for pin, code in self._pins.get(port, ()):
                    initial[code] = value >> pin & 1
                initial[self._ports[port]] = value
            elif sig == lib.VCDT_SIG_DCO:
                initial[self._dco] = value
            else:
                initial[self._modes[sig - lib.VCDT_SIG_MODE]] = value
        for u in (0, 1):
            initial[self._uart[u]] = None
        initial[self._reset_cause] = None
        self._w.header(t0, initial, "ESSE emulator (harness/emulator/vcd.py)")
        self._started = True
        return count

    def close(self) -> None:
        """Drain, end the dump at the mote's present, stop recording and close the file."""
        if self._closed:
            return
        try:
            self.drain()
            self._w.end(self.mote.time_ns)
        finally:
            lib.vcdt_stop(self._t)
            self._closed = True
            if self._own:
                self._file.close()
            else:
                self._file.flush()
