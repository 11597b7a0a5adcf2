"""CPU duty cycle of the network apps on the emulator: the demo scenario (border router + two CCS)
run in the simulation engine as fast as possible, nobody talking to it; CPU time over CPU + LPM time
per mote, after boot (the DCO calibration at power-on keeps the CPU busy for ~0.45 s)."""

from __future__ import annotations

from pathlib import Path

from harness.paths import COOJA_CONFIGS_DIR

SCENARIO = COOJA_CONFIGS_DIR / "scenarios" / "ccs_demo.toml"
BOOT_S = 1.0


def duty_cycles(seconds: float = 20.0, scenario: Path = SCENARIO) -> dict[int, tuple[str, float]]:
    """{mote id: (app, CPU duty in % between BOOT_S and `seconds`)}."""
    from harness.build import build_app
    from harness.sim.engine import Engine
    from harness.sim.medium import UDGMParams
    from harness.sim.runner import build_motes
    from harness.sim.scenario import load_scenario

    sc = load_scenario(scenario)
    apps = {m.mote_id: m.type_identifier.removeprefix("sky_") for m in sc.sim.motes}
    for app in set(apps.values()):
        build_app(app)
    motes = build_motes(sc.sim)
    m = sc.sim.medium
    params = UDGMParams(m.transmitting_range, m.interference_range, m.success_ratio_tx, m.success_ratio_rx)
    engine = Engine(motes, {s.mote_id: s.position for s in sc.sim.motes}, params, seed=1)
    engine.run(until_us=int(BOOT_S * 1e6))
    before = engine.power()
    engine.run(until_us=int(seconds * 1e6))
    after = engine.power()
    out = {}
    for mid in sorted(after):
        cpu = after[mid]["CPU"] - before[mid]["CPU"]
        lpm = after[mid]["LPM"] - before[mid]["LPM"]
        out[mid] = (apps[mid], 100.0 * cpu / (cpu + lpm))
    return out


def report(seconds: float = 20.0) -> str:
    """A Markdown table of each mote's CPU duty cycle on an idle network."""
    lines = [f"CPU duty cycle, idle network, {BOOT_S:.0f} s .. {seconds:.0f} s of simulated time", ""]
    lines += ["| mote | app | CPU duty |", "| --- | --- | --- |"]
    for mid, (app, duty) in duty_cycles(seconds).items():
        lines.append(f"| {mid} | {app} | {duty:.2f} % |")
    return "\n".join(lines)
