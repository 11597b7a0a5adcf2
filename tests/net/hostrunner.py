"""Runs nodes in real time behind a TCP socket that stands in for the serial line.

The TCP server plays the part of the emulator's / Cooja's serial socket: the bridge connects to
`socket://127.0.0.1:<port>` and exchanges the same SLIP byte stream a UART would carry. One thread
owns the nodes (every ctypes/cffi call happens there): it feeds received bytes to the serial node,
advances the nodes' clocks to real elapsed time and runs their periodic work and the radio medium.

A serial node has `uart_write(bytes)` and `uart_read() -> bytes`: a host-built `nethost.Node`, or an
`EmulatedMote` (the MSP430 firmware on the cycle-counting emulator).
"""

from __future__ import annotations

import queue
import select
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Protocol

from nethost import Medium, Node


class SerialNode(Protocol):
    def uart_write(self, data: bytes) -> None: ...
    def uart_read(self) -> bytes: ...


def host_tickers(nodes: list[Node], periodic: list[Callable[[], None]]) -> list[Callable[[int], None]]:
    """Clock updates and periodic work of host-built nodes, plus their medium when they have no MAC."""
    medium = None if nodes[0].with_mac else Medium(nodes)

    def tick(now_ms: int) -> None:
        for node in nodes:
            node.set_time(now_ms)
        for fn in periodic:
            fn()
        if medium:
            medium.pump()

    tick.medium = medium  # type: ignore[attr-defined]
    return [tick]


class EmulatedMote:
    """A firmware ELF on the emulator, its UART1 as the serial line, kept at real elapsed time."""

    SLICE_NS = 2_000_000  # run in 2 ms slices: the DCO changes speed while the firmware calibrates it

    def __init__(self, elf: Path, node_id: int, adc: dict[int, int] | None = None) -> None:
        from harness.emulator.mote import Mote, lib

        self.lib = lib
        self.mote = Mote(elf, node_id=node_id)
        for channel, value in (adc or {}).items():
            lib.adc_set_channel(self.mote.ptr, channel, value)
        self._sent = 0

    def uart_write(self, data: bytes) -> None:
        queued = self.lib.uart_rx_push(self.mote.ptr, 1, data, len(data))
        assert queued == len(data), "emulated UART receive queue full"

    def uart_read(self) -> bytes:
        out = self.mote.uart_output()
        new, self._sent = out[self._sent :], len(out)
        return new

    def advance(self, now_ms: int) -> None:
        target = now_ms * 1_000_000
        while self.mote.time_ns < target:
            self.mote.run_until_time(min(target, self.mote.time_ns + self.SLICE_NS))


class SerialSocketRunner:
    def __init__(self, serial: SerialNode, tickers: list[Callable[[int], None]]) -> None:
        self.serial = serial
        self.tickers = tickers
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(1)
        self.port = self.server.getsockname()[1]
        self.url = f"socket://127.0.0.1:{self.port}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="serial-nodes", daemon=True)
        self._calls: queue.Queue[tuple[Callable[[], object], Future]] = queue.Queue()
        self.error: BaseException | None = None

    def call(self, fn: Callable[[], object]) -> Future:
        """Run fn on the nodes' thread (the only one that may touch them); its result as a Future."""
        fut: Future = Future()
        self._calls.put((fn, fut))
        return fut

    def __enter__(self) -> SerialSocketRunner:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self.server.close()
        if self.error:
            raise self.error

    def _tick(self, start: float) -> None:
        while not self._calls.empty():
            fn, fut = self._calls.get()
            try:
                fut.set_result(fn())
            except Exception as exc:  # noqa: BLE001 - handed to the caller
                fut.set_exception(exc)
        now = int((time.monotonic() - start) * 1000)
        for tick in self.tickers:
            tick(now)

    def _run(self) -> None:
        try:
            start = time.monotonic()
            conn: socket.socket | None = None
            while not self._stop.is_set():
                if conn is None:
                    ready, _, _ = select.select([self.server], [], [], 0.01)
                    if ready:
                        conn, _ = self.server.accept()
                        conn.setblocking(False)
                    self._tick(start)
                    continue
                ready, _, _ = select.select([conn], [], [], 0.002)
                if ready:
                    data = conn.recv(4096)
                    if not data:
                        conn.close()
                        conn = None
                        continue
                    self.serial.uart_write(data)
                self._tick(start)
                out = self.serial.uart_read()
                if out:
                    conn.sendall(out)
            if conn:
                conn.close()
        except BaseException as exc:  # surfaced in __exit__
            self.error = exc


class EmulatedRadioNet:
    """Several emulated Sky motes with CC2420s on one channel, run in lockstep slices.

    Every transmitted frame reaches every other radio (perfect links). A radio reports a frame at its
    TX strobe, 192 us before the preamble; a receiver must have it before its clock passes the SFD
    (preamble start + 160 us): slices of 100 us keep every receiver within that window.
    """

    SLICE_NS = 100_000

    def __init__(self, motes: list[EmulatedMote]) -> None:
        from harness.emulator.radio import Radio

        self.motes = motes
        self.radios = [Radio(m.mote) for m in motes]
        self.frames: list[tuple[int, bytes]] = []  # (sender index, PSDU)
        for i, radio in enumerate(self.radios):
            radio.on_transmit = lambda f, i=i: self._on_air(i, f)

    def _on_air(self, sender: int, frame) -> None:  # noqa: ANN001 - harness.emulator.radio.TxFrame
        self.frames.append((sender, frame.psdu))
        for j, radio in enumerate(self.radios):
            if j != sender:
                radio.receive(frame.psdu, channel=frame.channel, start_ns=frame.start_ns, rssi_dbm=-60)

    def advance(self, now_ms: int) -> None:
        target = now_ms * 1_000_000
        while min(m.mote.time_ns for m in self.motes) < target:
            step = min(m.mote.time_ns for m in self.motes) + self.SLICE_NS
            for m in self.motes:
                if m.mote.time_ns < step:
                    m.mote.run_until_time(min(step, target))
        for radio in self.radios:
            radio.check()
