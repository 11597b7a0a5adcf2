"""An emulated Telos (TelosB / Tmote Sky) behind a serial port a normal program opens: RFC 2217.

    board = EmulatedTelos()                       # factory-fresh: flash erased, BSL in ROM
    port = board.serve()                          # rfc2217://127.0.0.1:<port>
    ... python -m msp430.bsl.target.telosb -p rfc2217://127.0.0.1:<port> -e -P image.hex ...
    board.close()

The server is pyserial's RFC 2217 server side (serial.rfc2217.PortManager), so line settings and the
DTR/RTS control lines travel with the bytes, as on the Sky's FTDI USB UART:

* DTR/RTS drive the board's I2C switch (harness.emulator.bsl.TelosBslSwitch) that holds RST/NMI and TCK;
  the entry sequence starts the bootstrap loader model (harness.emulator.bsl.BootstrapLoader), a
  plain reset runs the program in flash on the cycle-counting emulator.
* While the program runs, host bytes go to UART1's receiver and UART1's output goes to the host.
  Time is paced to the wall clock (`speed` = simulated seconds per wall second; None = flat out).
* One client at a time; a client that vanishes mid-command leaves the BSL where SLAU319 leaves it
  (partial frame dropped, flash as written so far, still in the BSL); a new client can connect.

States: "held" (RST/NMI low), "bsl", "run", "halted" (the program faulted; a reset restarts it).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import serial
from serial import rfc2217

from harness.emulator.bsl import BootstrapLoader, BslEntryDetector, BslEvent, TelosBslSwitch, blank_flash
from harness.emulator.mote import EmulatorFault, Mote, ffi, lib

UART1 = 1
SLICE_S = 0.002  # simulated time per run step: bounds UART latency and pacing error


class _Line:
    """The serial port as the RFC 2217 server's PortManager sees it (settings and control lines)."""

    def __init__(self, board: EmulatedTelos) -> None:
        self._board = board
        self.baudrate = 9600
        self.bytesize = 8
        self.parity = serial.PARITY_NONE
        self.stopbits = serial.STOPBITS_ONE
        self.xonxoff = False
        self.rtscts = False
        self.break_condition = False
        self._dtr = False
        self._rts = False
        # FTDI inputs the Sky leaves unconnected
        self.cts = self.dsr = self.ri = self.cd = False

    @property
    def dtr(self) -> bool:
        return self._dtr

    @dtr.setter
    def dtr(self, value: bool) -> None:
        self._dtr = bool(value)
        self._board._control_lines(self._dtr, self._rts)

    @property
    def rts(self) -> bool:
        return self._rts

    @rts.setter
    def rts(self, value: bool) -> None:
        self._rts = bool(value)
        self._board._control_lines(self._dtr, self._rts)

    def reset_input_buffer(self) -> None:
        """Purge what the host has not read yet (nothing is buffered on the board side)."""

    def reset_output_buffer(self) -> None:
        """Purge what the host sent and the board has not taken."""
        self._board._purge_rx()


class _Conn:
    """PortManager's `connection`: writes go to the client socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def write(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError:
            pass  # the client is gone (cable pulled); the reader loop notices and cleans up


class EmulatedTelos:
    """One emulated Telos mote: MSP430F1611 emulator, ROM BSL model, I2C BSL switch, RFC 2217 port."""

    def __init__(
        self,
        firmware: str | Path | None = None,
        node_id: int | None = None,
        speed: float | None = 1.0,
        on_event: Callable[[str], None] | None = None,
    ) -> None:
        self.mote = Mote()
        blank_flash(self.mote)
        if firmware is not None:  # a mote flashed earlier: the image is in flash, then a POR
            self.mote.load(firmware, node_id=node_id)
        self.speed = speed
        self.events: list[str] = []
        self._on_event = on_event
        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self._line = _Line(self)
        self.bsl = self._new_bsl()
        self._switch = TelosBslSwitch(self._pins)
        self._entry = BslEntryDetector(self._reset_line)
        self.state = "run" if firmware is not None else "halted"
        self._rx_pending = bytearray()
        self._tx_buf = ffi.new("uint8_t[]", 4096)
        self._pm: rfc2217.PortManager | None = None
        self._client: socket.socket | None = None
        self._listener: socket.socket | None = None
        self._closing = threading.Event()
        self._threads: list[threading.Thread] = []
        self.port: int | None = None
        self._sim_anchor = (time.monotonic(), self.mote.time_ns)

    # ------------------------------------------------------------------ events and state
    def _event(self, message: str) -> None:
        self.events.append(message)
        if self._on_event is not None:
            self._on_event(message)

    def _bsl_event(self, ev: BslEvent) -> None:
        if ev.kind != "ack":
            self._event(f"bsl: {ev.message}")

    def _new_bsl(self) -> BootstrapLoader:
        return BootstrapLoader(
            self.mote,
            start_program=self._start_program,
            flash_changed=self._forget_elf,
            on_event=self._bsl_event,
        )

    def _forget_elf(self) -> None:
        # the BSL changed flash: the ELF loaded at construction (its `node_id` address that the emulator
        # re-writes, its `_end` stack limit, its symbols) no longer describes the program
        m = self.mote.ptr
        m.node_id_addr = -1
        m.stack_limit = 0
        self.mote.image = None

    def _pins(self, rst_high: bool, tck_high: bool) -> None:
        self._entry.pins(rst_high, tck_high)

    def _control_lines(self, dtr: bool, rts: bool) -> None:
        with self._lock:
            self._switch.set_lines(dtr, rts)

    def _reset_line(self, what: str) -> None:
        with self._lock:
            if what == "held":
                self.state = "held"
                self._event("RST/NMI low: mote held in reset")
            elif what == "bsl":
                self.bsl = self._new_bsl()  # the ROM BSL starts afresh: locked, 9600 baud
                self.state = "bsl"
                self._event("BSL entry sequence: bootstrap loader running (locked, 9600 baud 8E1)")
            else:
                self._start_program(None)
            self._wake.notify_all()

    def _start_program(self, pc: int | None) -> None:
        with self._lock:
            lib.mote_invalidate_code(self.mote.ptr)
            self.mote.reset()
            if pc is not None:
                self.mote.pc = pc
            self._drain_uart()  # output of a previous run is not this run's
            self._rx_pending.clear()
            self._sim_anchor = (time.monotonic(), self.mote.time_ns)
            if pc is None and self.mote.read16(0xFFFE) == 0xFFFF:
                self.state = "halted"
                self._event("reset: the reset vector is erased, nothing to run (flash a program)")
            else:
                self.state = "run"
                self._event(f"reset: program runs from {self.mote.pc:#06x}")
            self._wake.notify_all()

    def _purge_rx(self) -> None:
        with self._lock:
            self._rx_pending.clear()

    # ------------------------------------------------------------------ host bytes
    def _from_host(self, data: bytes) -> None:
        with self._lock:
            if self.state == "bsl":
                line = self._line
                self.bsl.feed(data, line.baudrate, line.parity, line.bytesize)
                self._send(self.bsl.take_output())
            elif self.state == "run":
                self._rx_pending += data
                self._wake.notify_all()
            # held in reset or halted: the UART is not listening; bytes are lost

    def _send(self, data: bytes) -> None:
        pm, client = self._pm, self._client
        if not data or pm is None or client is None:
            return
        try:
            client.sendall(b"".join(pm.escape(data)))
        except OSError:
            pass  # the reader notices the dead client

    def _drain_uart(self) -> bytes:
        out = bytearray()
        while True:
            n = lib.mote_serial_take(self.mote.ptr, UART1, self._tx_buf, 4096)
            if n == 0:
                return bytes(out)
            out += ffi.buffer(self._tx_buf, n)[:]

    # ------------------------------------------------------------------ the program
    def step(self, seconds: float = SLICE_S) -> None:
        """Run the program for `seconds` of simulated time (no-op unless running); moves UART bytes."""
        with self._lock:
            if self.state != "run":
                return
            if self._rx_pending:
                n = self.mote.uart_send(bytes(self._rx_pending))
                del self._rx_pending[:n]
            try:
                self.mote.run_for_time(seconds)
            except EmulatorFault as exc:
                self.state = "halted"
                self._event(f"program faulted: {exc}; the mote is halted until the next reset")
            self._send(self._drain_uart())

    def _run_loop(self) -> None:
        while not self._closing.is_set():
            with self._lock:
                while self.state != "run" and not self._closing.is_set():
                    self._wake.wait(0.2)
                anchor_wall, anchor_ns = self._sim_anchor
                sim_s = (self.mote.time_ns - anchor_ns) / 1e9
            self.step()
            if self.speed:
                ahead = anchor_wall + sim_s / self.speed - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)

    # ------------------------------------------------------------------ RFC 2217 server
    def serve(self, port: int = 0, host: str = "127.0.0.1") -> int:
        """Listen for RFC 2217 clients and run the mote; returns the TCP port."""
        try:
            self._listener = socket.create_server((host, port))
        except OSError as exc:
            raise OSError(f"emulated mote: cannot listen on {host}:{port}: {exc.strerror}") from None
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        for target, name in ((self._accept_loop, "rfc2217-accept"), (self._run_loop, "telos-run")):
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)
        return self.port

    @property
    def url(self) -> str:
        """The pyserial URL of this mote's serial port."""
        return f"rfc2217://127.0.0.1:{self.port}"

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._closing.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self._client is not None:
                conn.close()  # one client at a time, like a tty opened exclusively
                continue
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._client = conn
                self._pm = rfc2217.PortManager(self._line, _Conn(conn))
            threading.Thread(target=self._serve_client, args=(conn,), daemon=True).start()

    def _serve_client(self, conn: socket.socket) -> None:
        assert self._pm is not None
        pm = self._pm
        while True:
            try:
                data = conn.recv(4096)
            except OSError:
                data = b""
            if not data:
                break
            payload = b"".join(pm.filter(data))
            if payload:
                self._from_host(payload)
        with self._lock:
            self._client = None
            self._pm = None
            if self.state == "bsl":
                self.bsl.host_lost()
        conn.close()

    def drop_client(self) -> None:
        """Cut the current client's connection (a USB cable pulled)."""
        client = self._client
        if client is not None:
            try:
                client.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        """Stop serving and running."""
        self._closing.set()
        with self._lock:
            self._wake.notify_all()
        if self._listener is not None:
            self._listener.close()
        self.drop_client()
        for t in self._threads:
            t.join(timeout=2)

    def __enter__(self) -> EmulatedTelos:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
