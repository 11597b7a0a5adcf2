"""Power tracker: time per (component, mode) from the core's mode components, turned into energy
by the Sky model in harness.energy.model. The radio joins through the same mode API (its
component's modes named tx / rx / listen / off ...)."""

from __future__ import annotations

from dataclasses import dataclass

from harness.energy.model import SUPPLY_V, energy_mj, state_of


@dataclass(frozen=True)
class ModeTime:
    component: str
    mode: str
    cycles: int
    us: float
    energy_mj: float


@dataclass(frozen=True)
class PowerReport:
    total_cycles: int
    mclk_hz: int
    modes: list[ModeTime]

    @property
    def energy_mj(self) -> float:
        return sum(m.energy_mj for m in self.modes)

    def cycles(self, component: str, mode: str) -> int:
        return next((m.cycles for m in self.modes if (m.component, m.mode) == (component, mode)), 0)

    def lines(self) -> list[str]:
        out = []
        for m in self.modes:
            share = 100.0 * m.cycles / self.total_cycles if self.total_cycles else 0.0
            out.append(
                f"{m.component:>6} {m.mode:<8} {m.cycles:>14} cycles {m.us:>16.1f} us {share:6.2f}% "
                f"{m.energy_mj:12.6f} mJ"
            )
        out.append(f"{'':>6} {'energy':<8} {self.energy_mj:.6f} mJ at {SUPPLY_V:g} V")
        return out


def power_report(mote) -> PowerReport:
    """Per-mode cycles of every component of `mote` (a harness.emulator.mote.Mote).

    Cycles convert to time at the current MCLK frequency (exact while the DCO setting is fixed,
    which is how the firmware runs after its clock set-up)."""
    hz = mote.mclk_hz or 1
    modes = []
    for index, comp in enumerate(mote.components()):
        for mode, cycles in mote.mode_cycles(index).items():
            us = cycles * 1e6 / hz
            state = state_of(comp, mode)
            energy = energy_mj(state, us) if state else 0.0
            modes.append(ModeTime(comp, mode, cycles, us, energy))
    return PowerReport(mote.now, hz, modes)
