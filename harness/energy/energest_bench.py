"""Benchmark: the CCS's boot and an idle hour, firmware energest against the emulator's tracker.

`invoke bench-energest` (figures, not a test). The network of the set-up runs (border router + `ccs`
provisioned with its PSK_DN, always-on radio; harness.energy.simpeers) boots until the CCS answers a
ping at its global address; then it idles for `idle_s` seconds of simulated time. At both instants the
CCS's energest counters are read from its RAM and timers (harness.energy.energest_probe: nothing runs
on the mote) and its tracker is read: the boot is everything since power-on (energest's boot estimate
from crt0's Timer_B included), the idle stretch the difference of the two reads. The set-ups and the
record exchange have the same comparison in `esse energy report`. Last, what printing an EG1 line
costs the CCS (`ccs_energest`, a line every 2 s, against `ccs` over the same idle stretch): the reason
the set-up runs read energest from RAM instead of having the mote print it at every phase boundary.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.energy.energest import MODEL_STATES, TAG, EnergestSample, interval_seconds
from harness.energy.energest_probe import EnergestProbe
from harness.energy.model import energy_mj
from harness.energy.simpeers import CCS, Apps, SimNetwork
from harness.sim.engine import MoteLine


@dataclass(frozen=True)
class Stretch:
    """One stretch of the CCS's time: seconds per state from energest and from the tracker."""

    name: str
    energest_s: dict[str, float]
    tracker_s: dict[str, float]

    def lines(self) -> list[str]:
        """Per state: both mJ figures and the difference in %."""
        span = sum(self.tracker_s[s] for s in ("CPU", "LPM"))
        out = [f"{self.name} ({span:.3f} s)"]
        for s in MODEL_STATES:
            fw, tr = energy_mj(s, self.energest_s[s] * 1e6), energy_mj(s, self.tracker_s[s] * 1e6)
            diff = f"{(fw - tr) / tr * 100:+.3f} %" if tr else "n/a"
            out.append(f"  {s:<7}energest {fw:12.4f} mJ   tracker {tr:12.4f} mJ   {diff}")
        return out


def measure(idle_s: float = 3600.0, seed: int = 1) -> list[Stretch]:
    """The boot (power-on to the first ping answered) and `idle_s` seconds of idle after it."""
    net = SimNetwork(seed=seed)
    try:
        mote = net.ccs_mote
        probe = EnergestProbe(mote, mote.firmware, CCS)
        net.boot()
        booted, p0 = probe.read(), mote.power_ns()
        net.run_for(idle_s)
        idle, p1 = probe.read(), mote.power_ns()
    finally:
        net.close()
    if booted is None or idle is None:
        raise RuntimeError("the CCS's energest is not running after its boot")
    zero = EnergestSample(CCS, 0, booted.hz, 0, (0,) * len(booted.ticks), (0,) * len(booted.fine), 0)
    return [Stretch(f"boot (power-on to the first ping answered, seed {seed})",
                    interval_seconds(zero, booted), {k: v / 1e9 for k, v in p0.items()}),
            Stretch(f"idle {idle_s:g} s after the boot", interval_seconds(booted, idle),
                    {k: (p1[k] - p0[k]) / 1e9 for k in p1})]


def line_cost(seconds: float = 600.0, seed: int = 1) -> tuple[float, int, float]:
    """What printing EG1 lines costs the CCS: `ccs_energest` (a line every 2 s) against `ccs` over the
    same idle stretch after the boot, by the tracker. (ms of CPU per line, lines, mean bytes per line)."""
    cpu: dict[str, int] = {}
    printed: list[str] = []
    for app in ("ccs", "ccs_energest"):
        net = SimNetwork(seed=seed, apps=Apps(ccs=app))
        try:
            lines: list[str] = []

            def keep(ln: MoteLine, out: list[str] = lines) -> None:
                if ln.mote_id == CCS:
                    out.append(ln.text)

            net.engine.add_line_listener(keep)
            net.boot()
            before, cpu0 = len(lines), net.ccs_mote.power_ns()["CPU"]
            net.run_for(seconds)
            cpu[app] = net.ccs_mote.power_ns()["CPU"] - cpu0
            if app == "ccs_energest":
                printed = [t for t in lines[before:] if TAG in t]
        finally:
            net.close()
    if not printed:
        raise RuntimeError("ccs_energest printed no EG1 line")
    extra_ms = (cpu["ccs_energest"] - cpu["ccs"]) / 1e6
    return extra_ms / len(printed), len(printed), sum(len(t) + 1 for t in printed) / len(printed)


def report(idle_s: float = 3600.0, seed: int = 1) -> str:
    """The benchmark's text."""
    lines = ["CCS (ccs, always-on radio, in the set-up runs' network): firmware energest vs the tracker"]
    for stretch in measure(idle_s, seed):
        lines += stretch.lines()
    ms, count, size = line_cost(600.0, seed)
    lines.append(f"cost of printing one EG1 line (ccs_energest vs ccs, 600 s idle, {count} lines of "
                 f"{size:.1f} bytes on average): {ms:.3f} ms of CPU, {energy_mj('CPU', ms * 1000):.4f} mJ")
    return "\n".join(lines)
