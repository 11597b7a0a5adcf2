"""A GDB remote-serial-protocol server for one emulated mote (`esse run --gdb :PORT`).

Packets `$data#checksum`, acknowledged with `+`. Served: qSupported, ?, g/G (all registers),
p/P (one register), m/M (memory), c/s (continue/step, optional resume address), Z0/z0 and Z1/z1
(breakpoints, any number: csrc/mote.h mote_set_breakpoint), k (kill), D (detach), Ctrl-C (0x03)
while running, qAttached/qC/H*; anything else gets the empty reply ("not supported").

Registers: the 16 CPU registers R0..R15 in gdb's msp430 order (PC, SP, SR, CG, R4..R15), each
little-endian, `reg_bytes` wide: 2 for the MSP430 (msp430-gdb of mspgcc, mspdebug's `gdbc`), 4 for
gdb's msp430 target built for MSP430X (20-bit registers in 32-bit slots; the high bytes read 0).
Stop replies: S05 (SIGTRAP) at a breakpoint or after a step, S02 (SIGINT) after Ctrl-C, S04 (SIGILL)
for an illegal instruction, S0B (SIGSEGV) for any other emulator fault, W00 when the client kills.
"""

from __future__ import annotations

import select
import socket
from collections.abc import Callable

from harness.emulator.mote import MOTE_FAULT_HALT, Mote, lib

SIGINT, SIGILL, SIGTRAP, SIGSEGV = 2, 4, 5, 11
FAULT_SIGNALS = {4: SIGILL}  # MOTE_FAULT_ILLEGAL; others SIGSEGV
RUN_CHUNK = 200_000  # cycles between looks at the socket (Ctrl-C) and the console


def parse_address(text: str) -> tuple[str, int]:
    """':PORT' or 'HOST:PORT' -> (host, port); the host defaults to 127.0.0.1."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"bad --gdb address {text!r}: want :PORT or HOST:PORT (PORT 0 picks a free one)")
    return host or "127.0.0.1", int(port)


def checksum(data: bytes) -> bytes:
    """The two hex digits that end a packet."""
    return b"%02x" % (sum(data) & 0xFF)


class GdbStub:
    """Serves one GDB client at a time for `mote` (whose program stands where it was left)."""

    def __init__(
        self,
        mote: Mote,
        reg_bytes: int = 2,
        console: Callable[[bytes], None] | None = None,
    ) -> None:
        if reg_bytes not in (2, 4):
            raise ValueError("reg_bytes must be 2 or 4")
        self.mote = mote
        self.reg_bytes = reg_bytes
        self.console = console
        self.breakpoints: set[int] = set()
        self._uart_seen = 0
        self._conn: socket.socket | None = None
        self._buf = b""

    # ---------------------------------------------------------------- transport
    def serve(self, listener: socket.socket) -> None:
        """Accept one client on `listener` and answer it until it detaches, kills or hangs up."""
        self.accept(listener)
        conn = self._conn
        assert conn is not None
        try:
            while True:
                packet = self._read_packet()
                if packet is None:
                    return
                reply = self.handle(packet)
                if reply is None:  # k / D: answer (D) and end the session
                    return
                self._send(reply)
        finally:
            self._flush_console()
            conn.close()
            self._conn = None

    def accept(self, listener: socket.socket) -> None:
        """Wait for one client on `listener` (served by serve() or, packet by packet, next_resume())."""
        self._conn, _ = listener.accept()

    @property
    def connected(self) -> bool:
        """Whether a client is attached."""
        return self._conn is not None

    def close(self) -> None:
        """Hang up on the client (if any)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def next_resume(self) -> str | None:
        """Answer the client's packets until it resumes the mote: "c" (continue) or "s" (step), whose
        stop reply the caller owes (send_stop); None once the client detached, killed or hung up.
        For a caller that runs the mote itself (a simulation stepping all its motes together)."""
        while True:
            packet = self._read_packet()
            if packet is None:
                return None
            text = packet.decode("latin-1")
            if text[:1] in ("c", "s"):
                try:
                    if len(text) > 1:
                        self.mote.set_reg(0, int(text[1:].split(";")[0], 16))
                except ValueError:
                    self._send(b"E01")
                    continue
                return text[:1]
            reply = self.handle(packet)
            if reply is None:
                return None
            self._send(reply)

    def send_stop(self, signal: int) -> None:
        """The stop reply owed after next_resume() (S05 breakpoint/step, S02 Ctrl-C, ...)."""
        self._send(b"S%02x" % signal)

    def send_exit(self, code: int = 0) -> None:
        """Tell the client the program is gone (W packet), e.g. when the simulation ended."""
        self._send(b"W%02x" % (code & 0xFF))

    def interrupted(self) -> bool:
        """A Ctrl-C (0x03) from the client while the mote runs."""
        try:
            return self._interrupted()
        except (ConnectionError, OSError):
            return False

    def _recv(self) -> bytes:
        assert self._conn is not None
        data = self._conn.recv(4096)
        if not data:
            raise ConnectionError("the GDB client hung up")
        return data

    def _read_packet(self) -> bytes | None:
        """The next packet's payload (acknowledged), or None when the client is gone."""
        try:
            while True:
                start = self._buf.find(b"$")
                if start >= 0:
                    end = self._buf.find(b"#", start)
                    if end >= 0 and len(self._buf) >= end + 3:
                        payload = self._buf[start + 1 : end]
                        given = self._buf[end + 1 : end + 3].lower()
                        self._buf = self._buf[end + 3 :]
                        assert self._conn is not None
                        if given != checksum(payload):
                            self._conn.sendall(b"-")
                            continue
                        self._conn.sendall(b"+")
                        return payload
                else:
                    self._buf = self._buf[-1:] if self._buf.endswith(b"\x03") else b""
                self._buf += self._recv()
        except (ConnectionError, OSError):
            return None

    def _send(self, payload: bytes) -> None:
        assert self._conn is not None
        packet = b"$" + payload + b"#" + checksum(payload)
        for _ in range(5):  # resend on a NAK
            self._conn.sendall(packet)
            ack = self._wait_ack()
            if ack != b"-":
                return

    def _wait_ack(self) -> bytes:
        while True:
            for i, c in enumerate(self._buf):
                if c in b"+-":
                    ack = self._buf[i : i + 1]
                    self._buf = self._buf[i + 1 :]
                    return ack
                if c == ord("$"):
                    return b"+"  # a client in no-ack mode answers with the next packet
            self._buf = b""
            self._buf += self._recv()

    def _interrupted(self) -> bool:
        """A Ctrl-C (0x03) from the client while the mote runs."""
        assert self._conn is not None
        if b"\x03" in self._buf:
            self._buf = self._buf.replace(b"\x03", b"", 1)
            return True
        ready, _, _ = select.select([self._conn], [], [], 0)
        if ready:
            self._buf += self._recv()
            if b"\x03" in self._buf:
                self._buf = self._buf.replace(b"\x03", b"", 1)
                return True
        return False

    def _flush_console(self) -> None:
        if self.console is None:
            return
        out = self.mote.uart_output()
        if len(out) > self._uart_seen:
            self.console(out[self._uart_seen :])
            self._uart_seen = len(out)

    # ---------------------------------------------------------------- commands
    def handle(self, packet: bytes) -> bytes | None:
        """The reply to one packet (None: end the session after k/D)."""
        text = packet.decode("latin-1")
        cmd = text[:1]
        try:
            if text.startswith("qSupported"):
                return b"PacketSize=1000;swbreak+"
            if text == "qAttached":
                return b"1"
            if text == "qC":
                return b"QC1"
            if cmd == "H":
                return b"OK"
            if cmd == "?":
                return b"S%02x" % SIGTRAP
            if cmd == "g":
                return self._registers_hex().encode()
            if cmd == "G":
                self._set_registers(text[1:])
                return b"OK"
            if cmd == "p":
                return self._reg_hex(int(text[1:], 16)).encode()
            if cmd == "P":
                n, value = text[1:].split("=")
                self._set_reg(int(n, 16), value)
                return b"OK"
            if cmd == "m":
                addr, length = (int(x, 16) for x in text[1:].split(","))
                return self._read_memory(addr, length).hex().encode()
            if cmd == "M":
                where, data = text[1:].split(":")
                addr, length = (int(x, 16) for x in where.split(","))
                self._write_memory(addr, bytes.fromhex(data)[:length])
                return b"OK"
            if cmd in "Zz" and text[1:2] in ("0", "1"):
                _, bp_addr, _kind = text[1:].split(",")
                self._breakpoint(int(bp_addr, 16), cmd == "Z")
                return b"OK"
            if cmd in "cs":
                if len(text) > 1:
                    self.mote.set_reg(0, int(text[1:].split(";")[0], 16))
                return self._step() if cmd == "s" else self._continue()
            if cmd == "k":
                return None
            if cmd == "D":
                self._send(b"OK")
                return None
        except (ValueError, IndexError):
            return b"E01"
        return b""

    # registers
    def _reg_hex(self, n: int) -> str:
        if not 0 <= n <= 15:
            raise ValueError(f"no register {n}")
        return self.mote.reg(n).to_bytes(self.reg_bytes, "little").hex()

    def _registers_hex(self) -> str:
        return "".join(self._reg_hex(n) for n in range(16))

    def _set_reg(self, n: int, hexvalue: str) -> None:
        if not 0 <= n <= 15:
            raise ValueError(f"no register {n}")
        value = int.from_bytes(bytes.fromhex(hexvalue), "little") & 0xFFFF
        if n != 3:  # CG2 reads as its constant
            self.mote.set_reg(n, value)

    def _set_registers(self, hexdata: str) -> None:
        width = 2 * self.reg_bytes
        for n in range(min(16, len(hexdata) // width)):
            self._set_reg(n, hexdata[n * width : (n + 1) * width])

    # memory (the whole 64 KB address space; I/O registers read as plain bytes, without side effects)
    def _read_memory(self, addr: int, length: int) -> bytes:
        length = max(0, min(length, 0x10000 - addr))
        return self.mote.read_bytes(addr, length)

    def _write_memory(self, addr: int, data: bytes) -> None:
        data = data[: max(0, 0x10000 - addr)]
        self.mote.write_bytes(addr, data)
        # keep the RAM mirror (0x0200-0x09FF = 0x1100-0x18FF) in step, as the CPU does
        for i, b in enumerate(data):
            a = addr + i
            if 0x0200 <= a < 0x0A00:
                self.mote.write8(a + 0x0F00, b)
            elif 0x1100 <= a < 0x1900:
                self.mote.write8(a - 0x0F00, b)
        lib.mote_invalidate_code(self.mote.ptr)

    def _breakpoint(self, addr: int, on: bool) -> None:
        addr &= 0xFFFE
        lib.mote_set_breakpoint(self.mote.ptr, addr, 1 if on else 0)
        if on:
            self.breakpoints.add(addr)
        else:
            self.breakpoints.discard(addr)

    # execution
    def step_over_breakpoint(self) -> int:
        """One instruction from the current PC even when a breakpoint sits there; the fault code."""
        m = self.mote.ptr
        pc = self.mote.reg(0)
        if pc in self.breakpoints:
            lib.mote_set_breakpoint(m, pc, 0)
        lib.mote_clear_fault(m)
        rc = lib.mote_run(m, m.now + 1)
        if pc in self.breakpoints:
            lib.mote_set_breakpoint(m, pc, 1)
        return rc

    def stop_signal(self, rc: int) -> int:
        """The signal a stop with mote_run's code `rc` reports (SIGTRAP, SIGILL, SIGSEGV)."""
        if rc in (0, MOTE_FAULT_HALT, lib.MOTE_STOP_SERIAL):
            return SIGTRAP
        return FAULT_SIGNALS.get(rc, SIGSEGV)

    def _stop_reply(self, rc: int) -> bytes:
        lib.mote_clear_fault(self.mote.ptr)
        self._flush_console()
        return b"S%02x" % self.stop_signal(rc)

    def _step(self) -> bytes:
        return self._stop_reply(self.step_over_breakpoint())

    def _continue(self) -> bytes:
        m = self.mote.ptr
        rc = self.step_over_breakpoint()
        while rc in (0, lib.MOTE_STOP_SERIAL):
            rc = lib.mote_run(m, m.now + RUN_CHUNK)
            if rc == lib.MOTE_STOP_SERIAL:
                lib.mote_clear_fault(m)
                rc = 0
            self._flush_console()
            if rc == 0 and self._interrupted():
                lib.mote_clear_fault(m)
                self._flush_console()
                return b"S%02x" % SIGINT
        return self._stop_reply(rc)
