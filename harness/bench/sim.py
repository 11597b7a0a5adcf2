"""Simulation speed (`invoke bench-sim`): prints figures, asserts nothing.

* Scripted motes: the Python engine + UDGM medium alone (every mote stepped per 192 µs window).
* Emulated Sky motes: the `beacon` firmware (one 30-byte broadcast frame per second per mote, radio
  listening, LPM3 in between) on a grid 20 m apart (range 50 m: each mote hears up to ~20 others),
  stepped by the C group stepper (harness/emulator/csrc/sim_group.c; a window runs only the members
  that wake in it, hence "members run per window"; members of one firmware share one predecode cache,
  csrc/mote.h mote_share_code). The simulated time includes
  the 0.42 s boot (DCO calibration, CPU active); "after boot" is the speed from 1 s on. Host time
  is this process's CPU time.
* The same emulated runs translated (`esse sim run --translate`, harness/emulator/translate.py): the
  beacon firmware's flash code as compiled host C, built once per process (set-up includes it: a
  few seconds the first time, then loaded from the cache), attached to every mote. The results are
  the same; "same results" compares frames, lines and per-mote power with the interpreted run.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from harness.sim.engine import Engine, MoteLine
from harness.sim.medium import UDGMParams
from harness.sim.scripted import ScriptedMote


def bench(
    motes: int = 10, seconds: float = 10.0, period_ms: float = 100.0, seed: int = 1
) -> dict[str, float]:
    """Engine speed with scripted motes sending periodically: wall time, windows and frame counts."""
    rng = random.Random(seed)
    ms = [ScriptedMote(i, report_rx=False) for i in range(1, motes + 1)]
    n = int(seconds * 1000 / period_ms)
    def sender(m: ScriptedMote) -> Callable[[int], None]:
        return lambda _i: m.send(m.now_us(), b"\x00" + bytes(40))

    for m in ms:
        offset = rng.randrange(0, int(period_ms * 1000))
        m.every(offset, int(period_ms * 1000), n, sender(m))
    cols = max(1, round(motes**0.5))
    positions = {m.mote_id: ((m.mote_id - 1) % cols * 25.0, (m.mote_id - 1) // cols * 25.0, 0.0) for m in ms}
    e = Engine(ms, positions, UDGMParams(50, 100, 1.0, 0.9), seed=seed)
    t0 = time.perf_counter()
    e.run(until_us=int(seconds * 1e6))
    wall = time.perf_counter() - t0
    windows = seconds * 1e6 / e.quantum_us
    return {
        "motes": motes,
        "simulated_s": seconds,
        "wall_s": wall,
        "speed_x_realtime": seconds / wall,
        "windows_per_s": windows / wall,
        "frames_sent": e.medium.stats.frames_sent,
        "received": e.medium.stats.received,
        "corrupted": e.medium.stats.corrupted,
    }


def bench_emulated(
    motes: int = 20, seconds: float = 10.0, spacing_m: float = 20.0, seed: int = 1, translate: bool = False
) -> dict:
    """Engine speed with emulated Sky motes running the beacon app (translated with `translate`): CPU
    time, windows and frame counts."""
    from harness.build import build_app
    from harness.emulator.simmote import SkySimMote

    elf = build_app("beacon").elf
    t_setup = time.process_time()
    ms = [SkySimMote(elf, i, translate=translate) for i in range(1, motes + 1)]
    cols = max(1, round(motes**0.5))
    positions = {
        m.mote_id: ((m.mote_id - 1) % cols * spacing_m, (m.mote_id - 1) // cols * spacing_m, 0.0) for m in ms
    }
    e = Engine(ms, positions, UDGMParams(50, 100, 1.0, 1.0), seed=seed)
    lines: list[MoteLine] = []
    e.add_line_listener(lines.append)
    setup = time.process_time() - t_setup
    t0 = time.process_time()
    e.run(until_us=1_000_000)  # boot: DCO calibration and radio start-up (CPU active ~0.42 s)
    t1 = time.process_time()
    e.run(until_us=int(seconds * 1e6))
    cpu = time.process_time() - t0
    steady = (seconds - 1.0) / max(1e-9, time.process_time() - t1)
    power = e.power()
    active = sum(p["CPU"] for p in power.values()) / (motes * seconds * 1e6)
    return {
        "motes": motes,
        "simulated_s": seconds,
        "setup_s": setup,
        "cpu_s": cpu,
        "speed_x_realtime": seconds / cpu,
        "steady_x_realtime": steady,
        "group_windows": getattr(e.group, "windows", 0),  # the C group stepper counts its windows
        "member_runs": getattr(e.group, "member_runs", 0),  # and the members it ran in them (lazy)
        "frames_sent": e.medium.stats.frames_sent,
        "received": e.medium.stats.received,
        "corrupted": e.medium.stats.corrupted,
        "cpu_active_share": active,
        "lines": len(lines),
        "power": power,
    }


def bench_emulated_both(
    motes: int = 20, seconds: float = 10.0, seed: int = 1, spacing_m: float = 20.0
) -> dict:
    """bench_emulated interpreted, then translated: the interpreted figures, the translated ones as
    `<key>_translated`, and `same_results` (frames, lines and per-mote power alike)."""
    r = bench_emulated(motes=motes, seconds=seconds, spacing_m=spacing_m, seed=seed)
    t = bench_emulated(motes=motes, seconds=seconds, spacing_m=spacing_m, seed=seed, translate=True)
    same = all(r[k] == t[k] for k in ("frames_sent", "received", "corrupted", "lines", "power"))
    return r | {f"{k}_translated": v for k, v in t.items()} | {"same_results": same}


def main(quick: bool = False, extra_motes: int = 0, extra_spacing_m: float = 20.0) -> None:
    """Print the simulation benchmarks (scripted motes, then emulated ones; `extra_motes` > 0 adds a
    run of that many emulated motes over 5 simulated seconds, on a grid `extra_spacing_m` apart).
    The speed of emulated motes follows the frames each one receives (a reception costs its mote
    three wake-ups and ~33 SPI bytes), hence "received per mote-second" next to it."""
    for motes in (2, 10, 30):
        r = bench(motes=motes)
        print(
            f"{r['motes']:3d} scripted motes, {r['simulated_s']:.0f} s simulated: {r['wall_s']:.2f} s wall "
            f"({r['speed_x_realtime']:.1f}x real time, {r['windows_per_s']:.0f} windows/s), "
            f"frames sent {r['frames_sent']}, received {r['received']}, corrupted {r['corrupted']}"
        )
    from harness.emulator.core_build import ensure_built

    ensure_built()
    runs = [(20, 10.0, 20.0)] if quick else [(20, 10.0, 20.0), (100, 10.0, 20.0)]
    if extra_motes > 0:
        runs.append((extra_motes, 5.0, extra_spacing_m))
    for motes, seconds, spacing in runs:
        r = bench_emulated_both(motes=motes, seconds=seconds, spacing_m=spacing)
        heard = r["received"] / (r["motes"] * r["simulated_s"])
        print(
            f"{r['motes']:3d} emulated Sky motes (beacon, 1 frame/s, LPM3, {spacing:g} m apart, "
            f"received per mote-second {heard:.1f}), {r['simulated_s']:.0f} s simulated: "
            f"{r['cpu_s']:.2f} s CPU ({r['speed_x_realtime']:.1f}x real time, after boot "
            f"{r['steady_x_realtime']:.1f}x; set-up {r['setup_s']:.2f} s), "
            f"{r['group_windows']} group windows ({r['member_runs'] / max(1, r['group_windows']):.1f} "
            f"members run per window), frames sent {r['frames_sent']}, received {r['received']}, "
            f"corrupted {r['corrupted']}, CPU active {100 * r['cpu_active_share']:.1f}%"
        )
        t = {k.removesuffix("_translated"): v for k, v in r.items() if k.endswith("_translated")}
        print(
            f"    translated: {t['cpu_s']:.2f} s CPU ({t['speed_x_realtime']:.1f}x real time, after boot "
            f"{t['steady_x_realtime']:.1f}x; set-up {t['setup_s']:.2f} s): "
            f"{r['cpu_s'] / max(1e-9, t['cpu_s']):.2f}x the interpreted speed "
            f"(after boot {t['steady_x_realtime'] / max(1e-9, r['steady_x_realtime']):.2f}x), "
            f"same results: {'yes' if r['same_results'] else 'NO'}"
        )


if __name__ == "__main__":
    main()
