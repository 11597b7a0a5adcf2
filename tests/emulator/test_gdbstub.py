"""`esse run --gdb :PORT`: the GDB remote serial protocol (harness/emulator/gdbstub.py).

A real client first: mspdebug's `gdbc` driver (Debian package mspdebug) sets a breakpoint on a
symbol's address, runs to it, steps, reads registers and memory, writes memory. Debian's
gdb-multiarch is built without the msp430 target ("set architecture msp430": undefined item), so it
cannot be the client here. Then the packets mspdebug does not send (several Z0/z0, p/P, G, ?,
Ctrl-C, D, checksum NAK, 4-byte registers), over a socket, as the protocol documentation states them.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading

import pytest
from emu_helpers import mote_from_asm

from harness.emulator.gdbstub import GdbStub, checksum, parse_address
from harness.emulator.mote import Mote

NODE_ID = 5


@pytest.fixture(scope="module")
def hello_elf():
    from harness.build import build_app

    return build_app("hello").elf


def _mspdebug() -> str:
    path = shutil.which("mspdebug")
    if path is None:
        if os.environ.get("ESSE_REQUIRE_ALL") == "1":
            pytest.fail("mspdebug is missing: apt-get install mspdebug")
        pytest.skip("mspdebug is missing: apt-get install mspdebug")
    return path


def test_mspdebug_drives_esse_run_gdb(hello_elf):
    mspdebug = _mspdebug()
    image = Mote(hello_elf).image
    assert image is not None
    main, node_id = image.symbol("main"), image.symbol("node_id")
    cmd = [sys.executable, "-c", "import sys; from harness.cli import main; sys.exit(main(sys.argv[1:]))"]
    server = subprocess.Popen(
        [*cmd, "run", str(hello_elf), "--node-id", str(NODE_ID), "--gdb", ":0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = server.stdout.readline()
        m = re.match(r"esse run: GDB server on 127\.0\.0\.1:(\d+), waiting for a client", first)
        assert m, (first, server.stderr.read() if server.poll() is not None else "")
        client = subprocess.run(
            [
                mspdebug, "-n", "gdbc", "-d", f"127.0.0.1:{m.group(1)}",
                f"setbreak {main:#x}", "run", "regs",
                "step", "regs",
                f"md {node_id:#x} 2",
                "mw 0x1200 0x12 0x34", "md 0x0300 2",
            ],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        out = client.stdout + client.stderr
        pcs = [int(pc, 16) for pc in re.findall(r"\( PC: ([0-9a-f]+)\)", out)]
        # stopped at main (run, regs), then one PUSH later (step, regs)
        assert pcs[0] == main and pcs[-1] == main + 2 and set(pcs) == {main, main + 2}, out
        assert re.search(rf"{node_id:05x}: {NODE_ID:02x} 00 ", out), out  # node_id written by the loader
        assert "00300: 12 34" in out, out  # written at 0x1200, read through the RAM mirror
        assert server.wait(timeout=20) == 0  # the client hung up: esse run ends
        assert "GDB client gone" in server.stdout.read()
    finally:
        server.kill()
        server.wait()


# ---------------------------------------------------------------- the protocol, packet by packet

PROGRAM = """
        .text
        .globl _start
_start: mov #0x3900, sp
        mov #0x5a80, &0x0120
loop:   inc r10
second: inc r11
        jmp loop
"""


class Client:
    """A minimal RSP client over a socket pair (for the packets mspdebug does not send)."""

    def __init__(self, stub: GdbStub) -> None:
        listener = socket.create_server(("127.0.0.1", 0))
        self.thread = threading.Thread(target=stub.serve, args=(listener,), daemon=True)
        self.thread.start()
        self.sock = socket.create_connection(listener.getsockname())
        self.buf = b""

    def raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_until(self, token: bytes) -> bytes:
        while token not in self.buf:
            chunk = self.sock.recv(4096)
            assert chunk, "server closed"
            self.buf += chunk
        i = self.buf.index(token) + len(token)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def reply(self) -> str:
        frame = self.read_until(b"#")
        while len(self.buf) < 2:
            self.buf += self.sock.recv(4096)
        cs, self.buf = self.buf[:2], self.buf[2:]
        payload = frame[frame.index(b"$") + 1 : -1]
        assert cs == checksum(payload)
        self.raw(b"+")
        return payload.decode()

    def cmd(self, text: str) -> str:
        payload = text.encode()
        self.raw(b"$" + payload + b"#" + checksum(payload))
        assert self.read_until(b"+").endswith(b"+")
        return self.reply()


def test_protocol_breakpoints_registers_and_memory():
    mote = mote_from_asm(PROGRAM)
    c = Client(GdbStub(mote))
    assert "PacketSize" in c.cmd("qSupported:swbreak+")
    assert c.cmd("?") == "S05"
    regs = c.cmd("g")
    assert len(regs) == 16 * 4 and int.from_bytes(bytes.fromhex(regs[:4]), "little") == 0x4000
    loop, second = mote.symbol("loop"), mote.symbol("second")
    assert c.cmd(f"Z0,{loop:x},2") == "OK" and c.cmd(f"Z0,{second:x},2") == "OK"
    assert c.cmd("c") == "S05" and mote.reg(0) == loop
    assert c.cmd("c") == "S05" and mote.reg(0) == second  # the next breakpoint, not the same one
    assert c.cmd("c") == "S05" and mote.reg(0) == loop and mote.reg(10) == 1
    assert c.cmd(f"z0,{second:x},2") == "OK"
    assert c.cmd("c") == "S05" and mote.reg(0) == loop and mote.reg(11) == 2  # second removed
    assert c.cmd("s") == "S05" and mote.reg(0) == second
    assert c.cmd("pa") == mote.reg(10).to_bytes(2, "little").hex()
    assert c.cmd("Pa=3412") == "OK" and mote.reg(10) == 0x1234
    assert c.cmd("P3=ffff") == "OK" and mote.reg(3) == 0  # CG2 is not writable
    g = c.cmd("g")
    c.cmd("G" + g[:40] + "7856" + g[44:])  # R10 via G
    assert mote.reg(10) == 0x5678
    assert c.cmd("M1100,3:aabbcc") == "OK" and c.cmd("m1100,3") == "aabbcc"
    assert c.cmd("m0200,3") == "aabbcc"  # the RAM mirror
    assert c.cmd("mfffe,2") == mote.read_bytes(0xFFFE, 2).hex()
    assert c.cmd("vMustReplyEmpty") == ""
    # a corrupted packet is NAKed and the resent one answered
    c.raw(b"$g#00")
    assert c.read_until(b"-") == b"-"
    assert len(c.cmd("g")) == 64
    c.raw(b"$D#44")
    assert c.read_until(b"+") == b"+" and c.reply() == "OK"
    c.thread.join(timeout=5)
    assert not c.thread.is_alive()


def test_ctrl_c_interrupts_a_running_mote_and_kill_ends():
    mote = mote_from_asm(PROGRAM)
    c = Client(GdbStub(mote))
    payload = b"c"
    c.raw(b"$" + payload + b"#" + checksum(payload))
    assert c.read_until(b"+") == b"+"
    c.raw(b"\x03")
    assert c.reply() == "S02" and mote.now > 0
    c.raw(b"$k#6b")
    c.thread.join(timeout=5)
    assert not c.thread.is_alive()


def test_four_byte_registers_and_addresses():
    mote = mote_from_asm(PROGRAM)
    c = Client(GdbStub(mote, reg_bytes=4))
    g = c.cmd("g")
    assert len(g) == 16 * 8 and g[:8] == "00400000"
    assert c.cmd("p0") == "00400000"
    c.raw(b"$k#6b")
    assert parse_address(":0") == ("127.0.0.1", 0) and parse_address("0.0.0.0:3333") == ("0.0.0.0", 3333)
    with pytest.raises(ValueError, match="bad --gdb address"):
        parse_address("3333")
