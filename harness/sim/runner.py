"""Run a scenario end to end: motes from the factory, engine, serial sockets, outputs."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.emulator.resets import ResetEvent
from harness.sim.csc import CscError, CscSimulation, check_firmware_files
from harness.sim.engine import Engine, MoteLine, OutputMatch, RadioEvent, RunResult, StopCondition
from harness.sim.interfaces import SimMote
from harness.sim.motes import MoteRequest, create_mote
from harness.sim.output import Recorder
from harness.sim.scenario import Scenario, ScenarioError
from harness.sim.serial_socket import attach_serial_servers, serial_ports_from_base
from harness.wire.infomem import INFO_START, Identity


class SimulationError(RuntimeError):
    """A mote failed during the run (e.g. an emulator fault); the outputs up to then were written."""


@dataclass
class SimOutcome:
    """What a run produced: result, seed, verdict, output files and the engine."""
    result: RunResult
    seed: int
    verdict: bool | None
    files: dict[str, Path]
    engine: Engine


@dataclass
class WatchOnly:
    """A success condition the run does not stop on (scenario `stop = false`): seen, not obeyed."""

    inner: OutputMatch

    def on_line(self, line: MoteLine) -> None:
        """Pass the line on."""
        self.inner.on_line(line)

    def on_radio(self, ev: RadioEvent) -> None:
        """Radio events do not count."""

    @property
    def satisfied(self) -> bool:
        """Never: the run goes on to its duration."""
        return False

    @property
    def satisfied_at_us(self) -> int | None:
        """Never satisfied, so never a time."""
        return None

    def describe(self) -> str:
        """The watched condition in words."""
        return f"{self.inner.describe()} (run goes on)"


def build_motes(
    sim: CscSimulation, factory: Callable[[MoteRequest], SimMote] = create_mote, *, translate: bool = False
) -> list[SimMote]:
    """One simulated mote per <mote> of the simulation, made by `factory` (emulated motes run their
    flash code translated with `translate`: same results, faster)."""
    check_firmware_files(sim)
    adc = sim.esse_adc()
    psk_dn = sim.esse_psk_dn()
    sht11 = sim.esse_sht11()
    motes = []
    for m in sim.motes:
        t = sim.mote_type(m.type_identifier)
        fw = sim.resolve_path(t.firmware)
        if fw is None:
            raise CscError(
                f"{sim.path}:{t.line}: firmware {t.firmware!r} needs a Contiki tree; "
                "only the real Cooja can run it"
            )
        req = MoteRequest(
            m.mote_id, t.class_name, t.identifier, fw, adc.get(m.mote_id, {}), translate, sht11.get(m.mote_id)
        )
        mote = factory(req)
        if m.mote_id in psk_dn:
            provision_mote(mote, Identity(node_id=m.mote_id, psk_dn=psk_dn[m.mote_id]))
        motes.append(mote)
    return motes


def provision_mote(mote: SimMote, identity: Identity) -> None:
    """Write the identity into an emulated mote's information flash (what provisioning does to a
    real one), after its ELF was loaded and before it runs."""
    emulated = getattr(mote, "mote", None)
    if emulated is None or not hasattr(emulated, "write_bytes"):
        raise CscError(f"mote {identity.node_id}: psk_dn needs an emulated mote (information flash access)")
    emulated.write_bytes(INFO_START, identity.encode())


def run_scenario(
    sc: Scenario,
    motes: list[SimMote],
    out_dir: Path,
    *,
    seed: int | None = None,
    duration_s: float | None = None,
    speed: float | None = None,
    serial: bool = True,
    port_base: int | None = None,
    announce: Callable[[str], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
    fail_on_reset: bool = False,
    on_reset: Callable[[ResetEvent], None] | None = None,
    on_step: Callable[[int], None] | None = None,
) -> SimOutcome:
    """Run the scenario on `motes` and write Cooja's outputs to `out_dir`; `port_base` overrides the
    file's serial socket ports (base + mote id, 0: free ports picked by the OS); every mote reset goes
    to on_reset (and the summary); with fail_on_reset the first one ends the run with verdict False;
    on_step(now_us) is called after every engine window."""
    sim = sc.sim
    ports = sim.serial_ports()
    if port_base is not None:
        ports = serial_ports_from_base(ports, port_base)
    if seed is None:
        seed = sim.random_seed if sim.random_seed is not None else random.SystemRandom().randrange(2**31)
    duration = duration_s if duration_s is not None else sc.duration_s
    if duration is None or duration <= 0:
        raise ScenarioError("no simulation duration: give duration_s in the scenario or --duration")
    until_us = int(round(duration * 1e6))
    params = sim.medium
    positions = {s.mote_id: s.position for s in sim.motes}
    engine = Engine(motes, positions, params, seed=seed, motedelay_us=sim.motedelay_us)
    recorder = Recorder()
    recorder.attach(engine)
    engine.stop_on_reset = fail_on_reset
    if on_reset is not None:
        engine.add_reset_listener(on_reset)
    if on_step is not None:
        engine.add_step_listener(on_step)
    conditions: list[StopCondition] = []
    success: OutputMatch | None = None
    failure_match: OutputMatch | None = None
    if sc.success is not None:
        motes_set = frozenset(sc.success.motes) if sc.success.motes is not None else None
        success = OutputMatch(sc.success.regex, motes_set, sc.success.require_all)
        conditions.append(success if sc.success.stop else WatchOnly(success))
        if sc.success.fail_regex is not None:
            failure_match = OutputMatch(sc.success.fail_regex)
            conditions.append(failure_match)
    servers = attach_serial_servers(engine, ports, announce) if serial else []
    failure: Exception | None = None
    try:
        result = engine.run(
            until_us=until_us,
            conditions=conditions,
            speed=speed,
            progress=(lambda now: progress(now, until_us)) if progress else None,
        )
    except RuntimeError as exc:  # a mote fault, a causality violation: keep what was recorded
        failure = exc
        result = RunResult("error", max([engine.now_us, *(m.now_us() for m in motes)]))
    except KeyboardInterrupt:  # Ctrl-C / SIGTERM: stop here and still write what was recorded
        result = RunResult("interrupted", engine.now_us)
    finally:
        for s in servers:
            s.close()
    verdict = None
    if success is not None:
        failed = failure_match is not None and failure_match.satisfied
        verdict = success.satisfied and not failed and failure is None
    if fail_on_reset and engine.resets:
        verdict = False
    files = recorder.write(
        out_dir,
        seed=seed,
        power=engine.power(),
        stats=engine.medium.stats,
        per_mote=engine.medium.per_mote,
        end_us=result.end_us,
        reason=result.reason,
        verdict=verdict,
        unmodelled=[(m.mote_id, u) for m in motes if hasattr(m, "unmodelled") for u in m.unmodelled()],
    )
    if failure is not None:
        raise SimulationError(
            f"the simulation failed at {result.end_us} µs: {failure} (outputs up to then in {out_dir})"
        ) from failure
    return SimOutcome(result, seed, verdict, files, engine)
