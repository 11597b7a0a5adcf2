"""Small helpers shared by the emulated-mote simulation tests."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from harness.cli import main
from harness.emulator.simmote import SkySimMote
from harness.sim.engine import Engine, MoteLine
from harness.sim.medium import RadioEvent, UDGMParams
from harness.sim.motes import MoteRequest
from harness.sim.runner import build_motes
from harness.sim.scenario import load_scenario

RADIOTEST_READY = re.compile(r"radiotest node=\d+ ready")


class StubMote:
    def __init__(self, mote_id: int) -> None:
        self.mote_id = mote_id


def render_scenario(scenario: Path, csc: Path) -> tuple[str, list[MoteRequest]]:
    """`esse sim render` the scenario into csc; its text and the requests the runner makes for its motes."""
    assert main(["sim", "render", str(scenario), "-o", str(csc)]) == 0
    seen: list[MoteRequest] = []
    build_motes(load_scenario(scenario).sim, lambda req: seen.append(req) or StubMote(req.mote_id))
    return csc.read_text(), seen


@dataclass
class Run:
    engine: Engine
    motes: dict[int, SkySimMote]
    lines: list[MoteLine] = field(default_factory=list)
    events: list[RadioEvent] = field(default_factory=list)

    def text(self, mote_id: int) -> list[str]:
        return [ln.text for ln in self.lines if ln.mote_id == mote_id]

    def matching(self, mote_id: int, pattern: str) -> list[re.Match[str]]:
        rx = re.compile(pattern)
        return [m for t in self.text(mote_id) if (m := rx.search(t))]

    def run_for(self, us: int) -> None:
        self.engine.run(until_us=self.engine.now_us + us)

    def command(self, mote_id: int, cmd: str, wait_us: int = 20_000) -> None:
        """Type a radiotest command line on a mote's UART1 and run until it is answered."""
        before = len(self.matching(mote_id, rf"^OK {re.escape(cmd)}$"))
        self.engine.queue_uart_rx(mote_id, cmd.encode() + b"\n")
        self.run_for(wait_us)
        assert len(self.matching(mote_id, rf"^OK {re.escape(cmd)}$")) == before + 1, self.text(mote_id)


def start(
    elf: Path,
    positions: dict[int, tuple[float, float, float]],
    params: UDGMParams | None = None,
    seed: int = 1,
    group: bool = True,
) -> Run:
    """Motes running `elf` at `positions`, booted (their ready line printed)."""
    motes = {i: SkySimMote(elf, i) for i in sorted(positions)}
    engine = Engine(list(motes.values()), positions, params or UDGMParams(), seed=seed, group=group)
    run = Run(engine, motes)
    engine.add_line_listener(run.lines.append)
    engine.add_radio_listener(run.events.append)
    run.run_for(500_000)  # DCO calibration and radio start-up take ~0.42 s
    for i in motes:
        assert any(RADIOTEST_READY.search(t) or "ready" in t for t in run.text(i)), run.text(i)
    return run
