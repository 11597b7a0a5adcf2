"""GDB per mote in a simulation (`esse sim run SCENARIO --gdb MOTE=[HOST]:PORT`).

The debugged mote leaves the C group stepper and runs on its own in the engine's quantum windows
(the lock-step reference the group is proven byte-identical to, so no mote's output changes). The
engine steps every other mote to the window end first, then this one: when it stops at a breakpoint
(or after a single step, or a Ctrl-C at a window end) the engine loop waits inside its run_until
while the client inspects it, so the whole simulation pauses with every mote in the same window.
`continue` and `step` resume it; a step that would cross the window end waits for the next window,
after the others caught up. Looking (registers, memory) changes nothing simulated; the same seed
gives the same logs with or without a client. A client that detaches or hangs up lets the run go on
with its breakpoints removed; when the simulation ends, a waiting client gets W00 (exited).

Protocol details and registers: harness/emulator/gdbstub.py (the `esse run --gdb` server).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Sequence
from typing import Any

from harness.emulator.gdbstub import SIGINT, SIGTRAP, GdbStub, parse_address
from harness.emulator.mote import MOTE_FAULT_HALT, lib
from harness.emulator.simmote import SkySimMote
from harness.sim.interfaces import SimMote, SimRadio

INTERRUPT_POLL_S = 0.05  # wall-clock interval between looks for the client's Ctrl-C


def parse_gdb_spec(text: str) -> tuple[int, str, int]:
    """'MOTE=[HOST]:PORT' -> (mote id, host, port)."""
    mote, sep, address = text.partition("=")
    if not sep or not mote.strip().isdigit():
        raise ValueError(
            f"bad --gdb {text!r}: want MOTE=:PORT or MOTE=HOST:PORT (e.g. 1=:3333; PORT 0: a free one)"
        )
    host, port = parse_address(address)
    return int(mote), host, port


class DebuggedMote:
    """A SkySimMote served to one GDB client; a SimMote the engine steps on its own (no group)."""

    group_class = None  # out of the group stepper: the engine runs it in quantum windows

    def __init__(self, inner: SkySimMote, reg_bytes: int = 2) -> None:
        self.inner = inner
        self.mote_id = inner.mote_id
        self.lookahead_us = inner.lookahead_us
        self.stub = GdbStub(inner.mote, reg_bytes=reg_bytes)
        self._action: str | None = None  # "c"/"s" the client asked for, not yet carried out
        self._running = False  # the client waits for a stop reply
        self._next_poll = 0.0

    def __getattr__(self, name: str) -> Any:
        # everything else (start_at, take_resets, node_id, power_ns, mote, ...) is the inner mote's
        return getattr(self.inner, name)

    # ---- the client
    def attach(self, listener: socket.socket) -> None:
        """Wait for the client and answer it until it first resumes the mote (before the run)."""
        self.stub.accept(listener)
        self._resume(self.stub.next_resume())

    def _resume(self, action: str | None) -> None:
        if action is None:  # detached, killed or gone: run free
            for pc in list(self.stub.breakpoints):
                self.stub._breakpoint(pc, False)
            self.stub.close()
            self._running = False
        else:
            self._running = True
        self._action = action

    def _stopped(self, signal: int) -> None:
        """Report a stop and serve the client (the whole simulation waits) until it resumes."""
        self._running = False
        self.stub.send_stop(signal)
        self._resume(self.stub.next_resume())

    def close(self) -> None:
        """The simulation is over: a client still waiting for a stop hears that the program exited."""
        if self.stub.connected:
            if self._running:
                try:
                    self.stub.send_exit(0)
                except OSError:
                    pass
            self.stub.close()
        self._running = False

    # ---- SimMote
    @property
    def radio(self) -> SimRadio | None:
        """The inner mote's radio."""
        return self.inner.radio

    def now_us(self) -> int:
        """The mote's simulated time in microseconds."""
        return self.inner.now_us()

    def run_until(self, time_us: int) -> None:
        """Run up to `time_us`, stopping for the client at breakpoints and steps (see the module doc)."""
        inner = self.inner
        if time_us <= inner.now_us():
            return
        ns = time_us * 1000
        m = inner.mote.ptr
        while True:
            if self._action is not None:
                if lib.simm_now_ns(inner._sim) >= ns:
                    break  # carried out in the next window, once the others are there
                action, self._action = self._action, None
                rc = self.stub.step_over_breakpoint()
                lib.mote_clear_fault(m)
                if rc not in (0, MOTE_FAULT_HALT, lib.MOTE_STOP_SERIAL):
                    self._fault(rc)
                if action == "s":
                    self._stopped(SIGTRAP)
                    continue
            rc = lib.simm_run_until_ns(inner._sim, ns)
            if rc == MOTE_FAULT_HALT:
                lib.mote_clear_fault(m)
                self._stopped(SIGTRAP)
                continue
            if rc not in (0, lib.MOTE_STOP_SERIAL):
                self._fault(rc)
            if rc == 0:
                break
            lib.mote_clear_fault(m)
        inner._at_us = time_us
        inner.check()
        if self._running and self._action is None and time.monotonic() >= self._next_poll:
            self._next_poll = time.monotonic() + INTERRUPT_POLL_S
            if self.stub.interrupted():
                self._stopped(SIGINT)

    def _fault(self, rc: int) -> None:
        """Tell the client (SIGILL/SIGSEGV), then fail the simulation as any mote fault does."""
        if self.stub.connected:
            try:
                self.stub.send_stop(self.stub.stop_signal(rc))
            except OSError:
                pass
            self.stub.close()
        self._running = False
        self.inner.raise_fault(rc)

    def uart_rx(self, data: bytes) -> None:
        """Bytes arrive at UART1 now."""
        self.inner.uart_rx(data)

    def drain_uart_tx(self) -> list[tuple[int, int]]:
        """UART1 bytes since the last call as (time_us, byte)."""
        return self.inner.drain_uart_tx()

    def power(self) -> dict[str, int]:
        """Microseconds in each power state."""
        return self.inner.power()


def debug_motes(
    motes: Sequence[SimMote],
    specs: Sequence[str],
    announce: Callable[[str], None],
    reg_bytes: int = 2,
) -> list[SimMote]:
    """`motes` with those named in `specs` ('MOTE=[HOST]:PORT') under a GDB server each: every server
    listens and is announced first, then each waits for its client and its first continue or step."""
    by_id = {m.mote_id: i for i, m in enumerate(motes)}
    wanted: dict[int, tuple[str, int]] = {}
    for spec in specs:
        mote_id, host, port = parse_gdb_spec(spec)
        if mote_id not in by_id:
            known = ", ".join(map(str, sorted(by_id)))
            raise ValueError(f"--gdb {spec!r}: no mote {mote_id} (motes: {known})")
        if mote_id in wanted:
            raise ValueError(f"--gdb {spec!r}: mote {mote_id} is named twice")
        if not isinstance(motes[by_id[mote_id]], SkySimMote):
            raise ValueError(f"--gdb {spec!r}: mote {mote_id} is not an emulated Sky mote")
        wanted[mote_id] = (host, port)
    out = list(motes)
    listeners: list[tuple[DebuggedMote, socket.socket]] = []
    try:
        for mote_id, (host, port) in sorted(wanted.items()):
            listener = socket.create_server((host, port))
            listeners.append((DebuggedMote(motes[by_id[mote_id]], reg_bytes), listener))  # type: ignore[arg-type]
            bound = listener.getsockname()
            announce(f"GDB server for mote {mote_id} on {bound[0]}:{bound[1]}, waiting for a client")
        for dm, listener in listeners:
            dm.attach(listener)
            out[by_id[dm.mote_id]] = dm
    finally:
        for _, listener in listeners:
            listener.close()
    return out
