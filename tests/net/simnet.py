"""Motes run by the simulation engine in a background thread, at real-time pace, with one mote's UART1 on
a serial socket: what `esse sim run SCENARIO --realtime` does, in-process so the tests can reach the
engine (extra scripted motes, the medium's statistics) and read the outputs (radio.pcap) when it stops.
`SimNetwork` runs a scenario of emulated Sky motes; `EngineSession` any motes (e.g. host-built nodes,
tests/net/nethost.py).

Real time, because the host side (bridge, aiocoap, coap-client-notls) keeps wall-clock timers (CoAP
ACK_TIMEOUT, ping timeouts); the motes mostly sleep, so the engine keeps up with the wall clock easily.
"""

from __future__ import annotations

import threading
import tomllib
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

from harness.build import build_app
from harness.paths import COOJA_CONFIGS_DIR
from harness.sim.engine import Engine, RunResult
from harness.sim.interfaces import RadioSink, SimMote
from harness.sim.medium import PA_LEVEL_MAX, UDGMParams
from harness.sim.output import Recorder
from harness.sim.runner import build_motes
from harness.sim.scenario import Scenario, scenario_from_dict
from harness.sim.serial_socket import attach_serial_servers
from harness.wire.ieee802154 import air_time_us

DEMO_SCENARIO = COOJA_CONFIGS_DIR / "scenarios" / "ccs_demo.toml"


def demo_scenario(**medium: float) -> dict:
    """The demo scenario as a dict, with [medium] keys replaced (e.g. success_ratio_rx=0.8)."""
    data = tomllib.loads(DEMO_SCENARIO.read_text())
    data["medium"] = {**data.get("medium", {}), **medium}
    return data


class EngineSession:
    """`with EngineSession(engine, serial_mote) as run:` runs the engine at real-time pace in a background
    thread until the block ends, with `serial_mote`'s UART1 on a serial socket at `run.url` (a free port):
    what `esse sim run --realtime` does, in-process. `call(fn)` runs fn on the engine's thread between
    two windows (the only thread that may touch the motes) when the motes' group offers it."""

    def __init__(
        self, engine: Engine, serial_mote: int, progress: Callable[[int], None] | None = None
    ) -> None:
        self.engine = engine
        self.serial_mote = serial_mote
        self._progress = progress
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.result: RunResult | None = None

    def __enter__(self) -> EngineSession:
        self._servers = attach_serial_servers(self.engine, {self.serial_mote: 0}, announce=lambda _: None)
        self.url = f"socket://127.0.0.1:{self._servers[0].port}"
        self._thread = threading.Thread(target=self._run, name="sim-engine", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self.result = self.engine.run(speed=1.0, progress=self._progress)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            self._error = exc

    def __exit__(self, *exc: object) -> None:
        self.engine.stop()
        assert self._thread is not None
        self._thread.join(timeout=30)
        for s in self._servers:
            s.close()
        self.check()

    def call(self, fn: Callable[[], object]) -> Future:
        """fn's result (a Future), computed on the engine thread (by the host motes' group)."""
        group = self.engine.group
        if group is None or not hasattr(group, "call"):
            raise TypeError("these motes' group does not run calls on the engine thread")
        return group.call(fn)

    def check(self) -> None:
        """Fail at once if the engine thread died (e.g. a causality error)."""
        if self._error is not None:
            raise self._error


class SimNetwork(EngineSession):
    """`with SimNetwork(scenario_dict, out_dir) as net:` runs the scenario's emulated motes until the block
    ends; `net.url` is the border router's serial socket; `net.files` (radio.pcap, ...) exist afterwards."""

    def __init__(
        self,
        data: dict,
        out_dir: Path,
        *,
        serial_mote: int = 1,
        seed: int = 5,
        extra_motes: list[SimMote] | None = None,
        positions: dict[int, tuple[float, float, float]] | None = None,
        group: bool = True,
        injectors: list[FrameInjector] | None = None,
    ) -> None:
        self.injectors = list(injectors or [])
        for app in {m["app"] for m in data["motes"]}:
            build_app(app)
        self.scenario: Scenario = scenario_from_dict(data, "test scenario")
        self.out_dir = out_dir
        self.seed = seed
        self.motes = build_motes(self.scenario.sim) + list(extra_motes or [])
        self.positions = {s.mote_id: s.position for s in self.scenario.sim.motes}
        self.positions.update(positions or {})
        self.files: dict[str, Path] = {}
        m = self.scenario.sim.medium
        params = UDGMParams(
            m.transmitting_range, m.interference_range, m.success_ratio_tx, m.success_ratio_rx
        )
        engine = Engine(self.motes, self.positions, params, seed=seed, group=group)
        for inj in self.injectors:
            engine.medium.add_radio(inj.radio_id, inj.position, inj)
        self.recorder = Recorder()
        self.recorder.attach(engine)
        super().__init__(engine, serial_mote, self._refill if self.injectors else None)

    def _refill(self, now_us: int) -> None:
        for inj in self.injectors:
            inj.refill(now_us)

    def __exit__(self, *exc: object) -> None:
        try:
            super().__exit__(*exc)
        finally:
            self.files = self.recorder.write(
                self.out_dir,
                seed=self.seed,
                power=self.engine.power(),
                stats=self.engine.medium.stats,
                per_mote=self.engine.medium.per_mote,
                end_us=self.engine.now_us,
                reason="stopped",
                verdict=None,
            )


class FrameInjector:
    """A transmitter without a mote (e.g. an attacker): a SimRadio on the medium that never listens
    and sends `frames` round-robin, one every `period_us`, from `start_us` on. The engine thread tops
    the schedule up at its progress calls (window boundaries), always in the future of the time all
    motes reached, so causality holds; `sent` counts the frames put on the air."""

    def __init__(
        self,
        radio_id: int,
        position: tuple[float, float, float],
        frames: list[bytes],
        period_us: int,
        start_us: int = 0,
        stop_us: int | None = None,
        channel: int = 26,
    ) -> None:
        self.radio_id = radio_id
        self.position = position
        self.frames = frames
        self.period_us = period_us
        self.stop_us = stop_us
        self.sent = 0
        self._next_us = start_us
        self._channel = channel
        self._sink: RadioSink | None = None
        self.on_schedule: Callable[[int, bytes], None] | None = None

    # SimRadio
    def attach(self, sink: RadioSink) -> None:
        self._sink = sink

    def channel(self) -> int:
        return self._channel

    def listening(self) -> bool:
        return False

    def rx_start(self, frame: bytes, rssi: float, start_us: int, end_us: int) -> None:
        pass

    def air_energy(self, levels: dict[int, float]) -> None:
        pass

    def deliver(self, frame: bytes, rssi: float, crc_ok: bool, start_us: int) -> None:
        pass

    def refill(self, now_us: int, ahead_us: int = 400_000) -> None:
        assert self._sink is not None
        self._next_us = max(self._next_us, now_us + 1000)
        while self._next_us < now_us + ahead_us and (self.stop_us is None or self._next_us < self.stop_us):
            frame = self.frames[self.sent % len(self.frames)]
            end = self._next_us + air_time_us(len(frame))
            self._sink.on_transmit(frame, self._next_us, end, self._channel, PA_LEVEL_MAX)
            self.sent += 1
            self._next_us += self.period_us
