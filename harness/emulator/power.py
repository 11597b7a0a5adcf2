"""Power tracker: time per (component, mode) from the core's mode components, and energy with
the Tmote Sky currents Contiki's energest tools use (3 V; CPU 1.8 mA, LPM 0.0545 mA, radio TX
17.7 mA, radio RX/listen 20.0 mA). The radio joins through the same mode API (its component's
modes named tx / rx / listen / off ...)."""

from __future__ import annotations

from dataclasses import dataclass

SKY_VOLTAGE = 3.0
CPU_ACTIVE_MA = 1.8
CPU_LPM_MA = 0.0545
RADIO_TX_MA = 17.7
RADIO_RX_MA = 20.0


def current_ma(component: str, mode: str) -> float:
    """Supply current of a (component, mode) per the Sky figures; 0 for modes they do not count."""
    mode = mode.lower()
    if component == "cpu":
        return CPU_ACTIVE_MA if mode == "active" else CPU_LPM_MA
    if "tx" in mode or "transmit" in mode:
        return RADIO_TX_MA
    if "rx" in mode or "listen" in mode:
        return RADIO_RX_MA
    return 0.0


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
        out.append(f"{'':>6} {'energy':<8} {self.energy_mj:.6f} mJ at {SKY_VOLTAGE:g} V")
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
            energy = us * 1e-6 * current_ma(comp, mode) * 1e-3 * SKY_VOLTAGE * 1e3  # mJ
            modes.append(ModeTime(comp, mode, cycles, us, energy))
    return PowerReport(mote.now, hz, modes)
