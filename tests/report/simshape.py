"""A real, deterministic simulation with the shape of run_setup, for the sweep's Dask test until
harness.energy.setup_run is on this branch: two emulated Sky motes run `beacon` (an acknowledged frame
to the other every 250 ms, LPM3 between, radio listening) over a UDGM whose RX success ratio is
1 - loss; mote 1's boot is the one set-up phase, each later beacon period one "exchange" phase, its
time per energy state read from the emulator's power tracker. Same (params, seed), same SetupRun."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness import paths
from harness.build import build_firmware
from harness.build.manifest import load_app
from harness.emulator.power import power_report
from harness.emulator.simmote import SkySimMote
from harness.energy.phases import PhaseCost, SetupRun
from harness.sim.engine import Engine
from harness.sim.medium import RadioEvent, UDGMParams

BOOT_US = 500_000
PERIOD_US = 250_000


def build_beacon(out: Path) -> Path:
    """The acknowledged beacon firmware, built into `out`."""
    spec = load_app(paths.APPS_DIR / "beacon")
    defines = [*spec.defines, "BEACON_ACKED=1", "BEACON_PERIOD_MS=250"]
    res = build_firmware(spec.name, spec.sources, [spec.root, *spec.include_dirs], defines, spec.cflags,
                         modules=spec.modules, out_dir=out, linker_script=spec.linker_script)
    return Path(res.elf)


def beacon_setup(params: dict[str, Any], seed: int) -> SetupRun:
    """Run the two beacon motes for params["exchanges"] periods after boot at params["loss"]."""
    elf = Path(params["elf"])
    motes = [SkySimMote(elf, i) for i in (1, 2)]
    medium = UDGMParams(success_ratio_rx=1.0 - float(params.get("loss", 0.0)))
    engine = Engine(motes, {1: (0.0, 0.0, 0.0), 2: (10.0, 0.0, 0.0)}, medium, seed=seed)
    sent: list[RadioEvent] = []
    engine.add_radio_listener(lambda ev: sent.append(ev) if ev.kind == "tx" and ev.sender == 1 else None)
    phases = []
    before = dict.fromkeys(("CPU", "LPM", "TX", "RX"), 0)
    ends = [BOOT_US] + [BOOT_US + PERIOD_US * (i + 1) for i in range(int(params.get("exchanges", 3)))]
    start = 0
    for i, end in enumerate(ends):
        mark = len(sent)
        engine.run(until_us=end)
        now = power_report(engine.by_id[1].mote).state_ns()
        d = {k: now[k] - before[k] for k in before}
        before = now
        frames = sent[mark:]
        phases.append(PhaseCost(name="boot" if i == 0 else f"exchange {i}", group="hand-off" if i == 0 else
                                "exchange", sender="mote", messages=("beacon",) * len(frames),
                                cpu_ns=d["CPU"], lpm_ns=d["LPM"], tx_ns=d["TX"], listen_ns=d["RX"],
                                bytes=sum(len(f.frame) for f in frames), frames=len(frames), fragments=0,
                                time_ns=(end - start) * 1000))
        start = end
    return SetupRun(kind=str(params.get("kind", "esse")), seed=seed,
                    params={k: v for k, v in params.items() if k != "elf"}, phases=tuple(phases))
