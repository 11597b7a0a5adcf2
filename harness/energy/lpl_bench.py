"""Radio duty of low-power listening (firmware/dev/lpl.h) on the emulator: `invoke bench-lpl`.

A ccs_lpl mote alone in the simulation (no router: it sends a Router Solicitation every 4 s as a
strobe) and, for comparison, the always-listening ccs. Reported per mote: the radio duty (TX + RX
over elapsed time) of the quiet stretches between its own transmissions (only the 8 Hz channel
checks: the idle duty) and of the whole run after boot (solicitations included)."""

from __future__ import annotations

from dataclasses import dataclass

from harness.emulator.power import power_report

BOOT_S = 1.0
STEP_S = 0.25


@dataclass(frozen=True)
class Duty:
    """Radio and CPU duty of one firmware over a run."""

    app: str
    idle_radio: float  # share of time on air or listening in stretches without own transmissions
    radio: float  # the same over the whole run after boot
    cpu: float


def measure(app: str, seconds: float) -> Duty:
    """Run `app` alone for `seconds` of simulated time and measure its duty cycles."""
    from harness.build import build_app
    from harness.emulator.simmote import SkySimMote

    mote = SkySimMote(build_app(app).elf, mote_id=2)
    mote.run_until(int(BOOT_S * 1e6))
    first = last = power_report(mote.mote).state_ns()
    t_first = t_last = mote.mote.time_ns
    quiet_on = quiet_t = 0
    t = BOOT_S
    while t < seconds:
        t += STEP_S
        mote.run_until(int(t * 1e6))
        now = power_report(mote.mote).state_ns()
        t_now = mote.mote.time_ns
        if now["TX"] == last["TX"]:  # no transmission of its own in this step
            quiet_on += now["RX"] - last["RX"]
            quiet_t += t_now - t_last
        last, t_last = now, t_now
    span = t_last - t_first
    radio = (last["RX"] + last["TX"] - first["RX"] - first["TX"]) / span
    return Duty(app, quiet_on / quiet_t if quiet_t else 0.0, radio, (last["CPU"] - first["CPU"]) / span)


def report(seconds: float = 20.0) -> str:
    """A table of the radio duty of ccs_lpl and ccs."""
    lines = [f"Radio duty, one mote alone, {BOOT_S:.0f} s .. {seconds:.0f} s of simulated time", ""]
    lines += ["| app | idle radio duty | radio duty (RS strobes included) | CPU duty |"]
    lines += ["| --- | --- | --- | --- |"]
    for app in ("ccs_lpl", "ccs"):
        d = measure(app, seconds)
        cells = (d.idle_radio, d.radio, d.cpu)
        lines.append(f"| {d.app} | " + " | ".join(f"{v * 100:.2f} %" for v in cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report())
