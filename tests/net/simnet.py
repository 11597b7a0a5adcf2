"""A scenario of emulated Sky motes run by the simulation engine in a background thread, at real-time
pace, with the border router's UART1 on a serial socket: what `esse sim run SCENARIO --realtime` does,
in-process so the tests can reach the engine (extra scripted motes, the medium's statistics) and read
the outputs (radio.pcap) when it stops.

Real time, because the host side (bridge, aiocoap, coap-client-notls) keeps wall-clock timers (CoAP
ACK_TIMEOUT, ping timeouts); the motes mostly sleep, so the engine keeps up with the wall clock easily.
"""

from __future__ import annotations

import threading
import tomllib
from pathlib import Path

from harness.build import build_app
from harness.paths import COOJA_CONFIGS_DIR
from harness.sim.engine import Engine
from harness.sim.interfaces import SimMote
from harness.sim.medium import UDGMParams
from harness.sim.output import Recorder
from harness.sim.runner import build_motes
from harness.sim.scenario import Scenario, scenario_from_dict
from harness.sim.serial_socket import attach_serial_servers

DEMO_SCENARIO = COOJA_CONFIGS_DIR / "scenarios" / "ccs_demo.toml"


def demo_scenario(**medium: float) -> dict:
    """The demo scenario as a dict, with [medium] keys replaced (e.g. success_ratio_rx=0.8)."""
    data = tomllib.loads(DEMO_SCENARIO.read_text())
    data["medium"] = {**data.get("medium", {}), **medium}
    return data


class SimNetwork:
    """`with SimNetwork(scenario_dict, out_dir) as net:` runs until the block ends; `net.url` is the
    border router's serial socket (a free port); `net.files` (radio.pcap, ...) exist afterwards."""

    def __init__(
        self,
        data: dict,
        out_dir: Path,
        *,
        serial_mote: int = 1,
        seed: int = 5,
        extra_motes: list[SimMote] | None = None,
        positions: dict[int, tuple[float, float, float]] | None = None,
    ) -> None:
        for app in {m["app"] for m in data["motes"]}:
            build_app(app)
        self.scenario: Scenario = scenario_from_dict(data, "test scenario")
        self.out_dir = out_dir
        self.serial_mote = serial_mote
        self.seed = seed
        self.motes = build_motes(self.scenario.sim) + list(extra_motes or [])
        self.positions = {s.mote_id: s.position for s in self.scenario.sim.motes}
        self.positions.update(positions or {})
        self.files: dict[str, Path] = {}
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def __enter__(self) -> SimNetwork:
        m = self.scenario.sim.medium
        params = UDGMParams(
            m.transmitting_range, m.interference_range, m.success_ratio_tx, m.success_ratio_rx
        )
        self.engine = Engine(self.motes, self.positions, params, seed=self.seed)
        self.recorder = Recorder()
        self.recorder.attach(self.engine)
        self._servers = attach_serial_servers(self.engine, {self.serial_mote: 0}, announce=lambda _: None)
        self.url = f"socket://127.0.0.1:{self._servers[0].port}"
        self._thread = threading.Thread(target=self._run, name="sim-engine", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self.result = self.engine.run(speed=1.0)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            self._error = exc

    def __exit__(self, *exc: object) -> None:
        self.engine.stop()
        assert self._thread is not None
        self._thread.join(timeout=30)
        for s in self._servers:
            s.close()
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
        if self._error is not None:
            raise self._error

    def check(self) -> None:
        """Fail at once if the engine thread died (e.g. a causality error)."""
        if self._error is not None:
            raise self._error
