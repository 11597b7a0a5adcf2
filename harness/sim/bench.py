"""Engine/medium throughput with scripted motes (`invoke sim-bench`): prints figures, asserts nothing."""

from __future__ import annotations

import random
import time

from harness.sim.engine import Engine
from harness.sim.medium import UDGMParams
from harness.sim.scripted import ScriptedMote


def bench(
    motes: int = 10, seconds: float = 10.0, period_ms: float = 100.0, seed: int = 1
) -> dict[str, float]:
    rng = random.Random(seed)
    ms = [ScriptedMote(i, report_rx=False) for i in range(1, motes + 1)]
    n = int(seconds * 1000 / period_ms)
    for m in ms:
        offset = rng.randrange(0, int(period_ms * 1000))
        m.every(offset, int(period_ms * 1000), n, lambda i, m=m: m.send(m.now_us(), b"\x00" + bytes(40)))
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


def main() -> None:
    for motes in (2, 10, 30):
        r = bench(motes=motes)
        print(
            f"{r['motes']:3d} scripted motes, {r['simulated_s']:.0f} s simulated: {r['wall_s']:.2f} s wall "
            f"({r['speed_x_realtime']:.1f}x real time, {r['windows_per_s']:.0f} windows/s), "
            f"frames sent {r['frames_sent']}, received {r['received']}, corrupted {r['corrupted']}"
        )


if __name__ == "__main__":
    main()
