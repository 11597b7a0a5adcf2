"""GDB per mote in a simulation (`esse sim run SCENARIO --gdb MOTE=:PORT`, harness/sim/gdb.py).

A real client first: mspdebug's `gdbc` driver (Debian's gdb-multiarch has no msp430 target, see
tests/emulator/test_gdbstub.py) stops mote 1 of the two-mote radio test at `send_to`, reads its
registers and memory, steps, then hangs up; the run goes on and writes the same log, frames and power
as a run without a client for the same seed. Then, in process and packet by packet: the whole
simulation pauses while the mote is stopped (the other mote stands in the same window), continue
reaches the next hit a second of simulated time later, and the end of the run is reported as W00.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
import time

import pytest
from requirements import require_tool

from harness.build import build_app
from harness.emulator.gdbstub import checksum
from harness.emulator.simmote import SkySimMote
from harness.paths import COOJA_CONFIGS_DIR
from harness.sim.engine import Engine, MoteLine
from harness.sim.gdb import debug_motes, parse_gdb_spec
from harness.sim.medium import UDGMParams

TWO = COOJA_CONFIGS_DIR / "scenarios" / "two_motes.toml"
SEED = 5
CLI = [sys.executable, "-c", "import sys; from harness.cli import main; sys.exit(main(sys.argv[1:]))"]
END_US = 3_000_000


@pytest.fixture(scope="module")
def radiotest():
    return build_app("radiotest").elf


def _sim_run(out, *extra):
    return [*CLI, "sim", "run", str(TWO), "--seed", str(SEED), "--duration", "5", "--port-base", "0",
            "--out", str(out), *extra]  # fmt: skip


def test_mspdebug_debugs_one_mote_of_a_simulation(radiotest, tmp_path):
    mspdebug = require_tool("mspdebug")
    ref = subprocess.run(_sim_run(tmp_path / "ref"), capture_output=True, text=True, timeout=120)
    assert ref.returncode == 0, ref.stderr
    send_to, seq = (SkySimMote(radiotest, 1).mote.symbol(s) for s in ("send_to", "seq"))
    server = subprocess.Popen(
        _sim_run(tmp_path / "dbg", "--gdb", "1=:0"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        first = server.stdout.readline()
        m = re.match(r"esse sim run: GDB server for mote 1 on 127\.0\.0\.1:(\d+), waiting for a", first)
        assert m, (first, server.stderr.read() if server.poll() is not None else "")
        client = subprocess.run(
            [mspdebug, "-n", "gdbc", "-d", f"127.0.0.1:{m.group(1)}",
             f"setbreak {send_to:#x}", "run", "regs", "step", "regs", f"md {seq:#x} 2"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        out = client.stdout + client.stderr
        pcs = [int(pc, 16) for pc in re.findall(r"\( PC: ([0-9a-f]+)\)", out)]
        assert pcs[0] == send_to and pcs[-1] == send_to + 2, out  # at send_to, then one PUSH later
        sps = [int(sp, 16) for sp in re.findall(r"\( SP: ([0-9a-f]+)\)", out)]
        assert sps[-1] == sps[0] - 2, out  # the PUSH took a word of stack
        assert re.search(rf"{seq:05x}: 00 00 ", out), out  # no frame sent yet: seq is still 0
        assert server.wait(timeout=120) == 0, server.stderr.read()
    finally:
        server.kill()
        server.wait()
    # the client looked and stepped: nothing simulated changed, for either mote
    for name in ("mote-output.log", "radio.pcap", "power.json"):
        assert (tmp_path / "dbg" / name).read_bytes() == (tmp_path / "ref" / name).read_bytes(), name
    assert "RX len=50 crc=1" in (tmp_path / "dbg" / "mote-output.log").read_text()


class Client:
    """A minimal GDB remote-protocol client (packets, acks) over TCP."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.buf = b""

    def _fill(self) -> None:
        chunk = self.sock.recv(4096)
        assert chunk, "server closed"
        self.buf += chunk

    def send(self, text: str) -> None:
        payload = text.encode()
        self.sock.sendall(b"$" + payload + b"#" + checksum(payload))
        while b"+" not in self.buf:
            self._fill()
        self.buf = self.buf[self.buf.index(b"+") + 1 :]

    def reply(self) -> str:
        while b"#" not in self.buf or len(self.buf) < self.buf.index(b"#") + 3:
            self._fill()
        start, end = self.buf.index(b"$"), self.buf.index(b"#")
        payload, cs = self.buf[start + 1 : end], self.buf[end + 1 : end + 3]
        self.buf = self.buf[end + 3 :]
        assert cs == checksum(payload)
        self.sock.sendall(b"+")
        return payload.decode()

    def cmd(self, text: str) -> str:
        self.send(text)
        return self.reply()


def _engine(elf, motes=None):
    motes = motes or [SkySimMote(elf, 1), SkySimMote(elf, 2)]
    positions = {1: (0.0, 0.0, 0.0), 2: (20.0, 0.0, 0.0)}
    engine = Engine(motes, positions, UDGMParams(50, 100, 1.0, 1.0), seed=SEED)
    lines: list[MoteLine] = []
    engine.add_line_listener(lines.append)
    return engine, lines


def test_simulation_pauses_at_a_breakpoint_and_resumes(radiotest):
    ref, ref_lines = _engine(radiotest)
    ref.run(until_us=END_US)

    motes = [SkySimMote(radiotest, 1), SkySimMote(radiotest, 2)]
    announced: list[str] = []
    made: dict = {}
    ready = threading.Event()
    errors: list[BaseException] = []

    def simulate() -> None:
        try:
            sim_motes = debug_motes(motes, ["1=:0"], announced.append)  # waits for the client's first c
            engine, lines = _engine(radiotest, sim_motes)
            made.update(engine=engine, lines=lines)
            ready.set()
            made["result"] = engine.run(until_us=END_US)
            sim_motes[0].close()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test
            errors.append(exc)
        finally:
            ready.set()

    thread = threading.Thread(target=simulate, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not announced and time.monotonic() < deadline:
        time.sleep(0.01)
    port = int(announced[0].rsplit(":", 1)[1].split(",")[0])
    c = Client(port)
    send_to, seq = motes[0].mote.symbol("send_to"), motes[0].mote.symbol("seq")
    assert c.cmd("?") == "S05"
    assert c.cmd(f"Z0,{send_to:x},2") == "OK"
    assert c.cmd("c") == "S05"
    assert ready.wait(60) and not errors, errors
    engine, lines = made["engine"], made["lines"]
    first_us = motes[0].time_ns // 1000  # where it stopped, inside the window
    assert int.from_bytes(bytes.fromhex(c.cmd("p0")), "little") == send_to
    assert c.cmd(f"m{seq:x},1") == "00"
    # paused: the engine and the other mote stand still, within one window of the stopped mote
    t_engine, t_other = engine.now_us, motes[1].now_us()
    time.sleep(0.3)
    assert (engine.now_us, motes[1].now_us()) == (t_engine, t_other)
    assert 0 <= t_other - first_us <= engine.quantum_us
    assert c.cmd("s") == "S05" and motes[0].mote.reg(0) == send_to + 2
    assert c.cmd("c") == "S05" and motes[0].mote.reg(0) == send_to  # the next frame, a second later
    assert 900_000 <= motes[0].time_ns // 1000 - first_us <= 1_100_000
    assert c.cmd(f"m{seq:x},1") == "01"
    assert c.cmd(f"z0,{send_to:x},2") == "OK"
    assert c.cmd("c") == "W00"  # ran to the end of the simulation
    thread.join(timeout=60)
    assert not errors, errors
    assert made["result"].end_us == END_US
    assert [(ln.time_us, ln.mote_id, ln.text) for ln in lines] == [
        (ln.time_us, ln.mote_id, ln.text) for ln in ref_lines
    ]
    assert any(ln.mote_id == 2 and "RX len=50 crc=1" in ln.text for ln in lines)


def test_bad_gdb_specs_are_named(radiotest):
    with pytest.raises(ValueError, match="MOTE=:PORT"):
        parse_gdb_spec(":3333")
    motes = [SkySimMote(radiotest, 1)]
    with pytest.raises(ValueError, match="no mote 7"):
        debug_motes(motes, ["7=:0"], print)
    with pytest.raises(ValueError, match="named twice"):
        debug_motes(motes, ["1=:0", "1=:0"], print)
