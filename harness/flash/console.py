"""`esse console`: a mote's serial output with timestamps, optionally logged, with live energest.

Energest lines (the firmware's per-report line) go to the energy room's parser
(`harness.energy.energest.EnergestMonitor.feed_line`), the same one the simulation uses; each interval
it completes is shown under the line as `energest: <summary>`.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import serial


class ConsoleError(RuntimeError):
    """The console cannot open or lost its port; the message says which and why."""


def energest_monitor() -> Any | None:
    """The energy room's EnergestMonitor, or None where harness.energy.energest is not installed."""
    try:
        from harness.energy.energest import EnergestMonitor
    except ImportError:
        return None
    return EnergestMonitor()


def telosb_reset(port: serial.SerialBase) -> None:
    """Reset a Telos through its I2C switch on DTR/RTS: python-msp430-tools' TelosB reset sequence
    (RST/NMI and TCK low, RST/NMI released, TCK released), with the input purged while RST/NMI is
    held, so what arrives afterwards is the new run's output from its first byte."""
    from msp430.bsl.target.telosb import TelosBTarget

    board = TelosBTarget()
    board.serial, board.control_delay = port, 0.0
    try:
        board.i2c_switch_write_bsl_sequence([(0, 0)])
        port.reset_input_buffer()
        board.i2c_switch_write_bsl_sequence([(1, 0), (1, 1)])
    finally:
        board.serial = None  # the port stays the console's


def stamp(t: float) -> str:
    """UTC wall-clock time with milliseconds."""
    return datetime.fromtimestamp(t, UTC).strftime("%H:%M:%S.%f")[:-3]


class Console:
    """Reads lines from a serial port (any pyserial URL) and shows them as they arrive."""

    def __init__(
        self,
        port: str,
        baudrate: int = 115200,
        log: str | Path | None = None,
        timestamps: bool = True,
        out: TextIO | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.port = port
        self.baudrate = baudrate
        self.timestamps = timestamps
        self.out = out or sys.stdout
        self.clock = clock
        self._log: TextIO | None = open(log, "a", encoding="utf-8") if log else None  # noqa: SIM115
        self.monitor = energest_monitor()
        self.lines: list[str] = []
        self.intervals: list[str] = []

    def _emit(self, text: str) -> None:
        line = f"{stamp(self.clock())} {text}" if self.timestamps else text
        print(line, file=self.out, flush=True)
        if self._log is not None:
            self._log.write(line + "\n")
            self._log.flush()

    def line(self, text: str) -> None:
        """One line from the mote: show it, log it, feed it to the energest parser."""
        self.lines.append(text)
        self._emit(text)
        if self.monitor is not None:
            interval = self.monitor.feed_line(text)
            if interval is not None:
                self.intervals.append(str(interval))
                self._emit(f"energest: {interval}")

    def run(
        self, duration: float | None = None, until: str | None = None, send: bytes = b"", reset: bool = False
    ) -> int:
        """Show lines until `duration` seconds passed or a line matches `until`; 0 when so ended.
        `reset` first resets the mote (Telos switch on DTR/RTS) so its boot output is seen."""
        pattern = re.compile(until) if until else None
        try:
            ser = serial.serial_for_url(self.port, baudrate=self.baudrate, timeout=0.1)
        except (serial.SerialException, ValueError) as exc:
            raise ConsoleError(f"cannot open {self.port}: {exc}") from None
        if self.monitor is None:
            self._emit("(energest parsing unavailable: harness.energy.energest is not installed)")
        buf = bytearray()
        try:
            if reset:
                telosb_reset(ser)
                self._emit("(mote reset through DTR/RTS)")
            if send:
                ser.write(send)
            end = None if duration is None else time.monotonic() + duration
            while end is None or time.monotonic() < end:
                try:
                    chunk = ser.read(ser.in_waiting or 1)
                except (serial.SerialException, OSError) as exc:
                    raise ConsoleError(f"{self.port} lost: {exc}") from None
                buf += chunk
                while b"\n" in buf:
                    raw, _, rest = bytes(buf).partition(b"\n")
                    buf = bytearray(rest)
                    text = raw.decode("latin-1").rstrip("\r")
                    self.line(text)
                    if pattern is not None and pattern.search(text):
                        return 0
            return 0 if pattern is None else 1
        finally:
            ser.close()
            if self._log is not None:
                self._log.close()
                self._log = None
