"""Power report: time per (component, mode) from the core's one power tracker (csrc/mote.c keeps
simulated nanoseconds per mode, taken from the clock module's exact time base at every mode change),
turned into energy by the Sky model in harness.energy.model. The radio joins through the same mode
API (its component's modes: off / powerdown / idle / listen / transmit).

`esse run`, the simulation (SkySimMote.power, via csrc/sim_group.c) and the benchmarks all read
these nanoseconds; nothing converts cycles at the current MCLK (wrong across DCO changes: boot runs
at about 750 kHz before the firmware calibrates the DCO)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.energy.model import STATES, SUPPLY_V, energy_mj, state_of

if TYPE_CHECKING:
    from harness.emulator.mote import Mote


@dataclass(frozen=True)
class ModeTime:
    """Time and energy of one (component, mode) since power-on."""

    component: str
    mode: str
    ns: int
    cycles: int  # MCLK-rate cycles (informative: their length changes with the DCO)
    energy_mj: float

    @property
    def us(self) -> float:
        """The time in microseconds."""
        return self.ns / 1000.0


@dataclass(frozen=True)
class PowerReport:
    """Every (component, mode) of a mote at one instant, with energy per Energest state."""

    total_ns: int
    total_cycles: int
    modes: list[ModeTime]

    @property
    def energy_mj(self) -> float:
        """Energy of all modes, millijoules."""
        return sum(m.energy_mj for m in self.modes)

    def ns(self, component: str, mode: str) -> int:
        """Nanoseconds spent in (component, mode); 0 when the mote has no such mode."""
        return next((m.ns for m in self.modes if (m.component, m.mode) == (component, mode)), 0)

    def cycles(self, component: str, mode: str) -> int:
        """MCLK-rate cycles spent in (component, mode)."""
        return next((m.cycles for m in self.modes if (m.component, m.mode) == (component, mode)), 0)

    def state_ns(self) -> dict[str, int]:
        """Nanoseconds per Energest state (CPU, LPM, TX, RX) of the Sky model."""
        out = dict.fromkeys(STATES, 0)
        for m in self.modes:
            state = state_of(m.component, m.mode)
            if state:
                out[state] += m.ns
        return out

    def lines(self) -> list[str]:
        """One line per (component, mode), then the total energy."""
        out = []
        for m in self.modes:
            share = 100.0 * m.ns / self.total_ns if self.total_ns else 0.0
            out.append(
                f"{m.component:>6} {m.mode:<9} {m.us:>16.3f} us {share:6.2f}% {m.cycles:>14} cycles "
                f"{m.energy_mj:12.6f} mJ"
            )
        out.append(f"{'':>6} {'energy':<9} {self.energy_mj:.6f} mJ at {SUPPLY_V:g} V")
        return out


def power_report(mote: Mote) -> PowerReport:
    """Per-mode nanoseconds (and cycles) of every component of `mote` since power-on."""
    modes = []
    for index, comp in enumerate(mote.components()):
        cycles = mote.mode_cycles(index)
        for mode, ns in mote.mode_ns(index).items():
            state = state_of(comp, mode)
            energy = energy_mj(state, ns / 1000.0) if state else 0.0
            modes.append(ModeTime(comp, mode, ns, cycles.get(mode, 0), energy))
    return PowerReport(mote.time_ns, mote.now, modes)
