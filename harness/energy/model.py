"""The Tmote Sky energy model: the one place that holds the supply voltage and the currents.

Energy is time x current x voltage over four Energest-style states: CPU active, CPU in a low-power
mode, radio transmitting, radio receiving/listening. The figures are the ones the Contiki energy
tools use for the Sky (../shared/REFERENCE.md): 3 V; CPU 1.8 mA, LPM 0.0545 mA, TX 17.7 mA (0 dBm),
RX/listen 20.0 mA. Times in microseconds, energies in millijoules (s x mA x V = mJ).
"""

from __future__ import annotations

SUPPLY_V = 3.0
CURRENT_MA = {"CPU": 1.8, "LPM": 0.0545, "TX": 17.7, "RX": 20.0}
STATES = tuple(CURRENT_MA)


def energy_mj(state: str, time_us: float) -> float:
    """Energy of `time_us` microseconds in `state` (one of STATES)."""
    try:
        current = CURRENT_MA[state]
    except KeyError:
        raise ValueError(f"unknown energy state {state!r} (known: {', '.join(STATES)})") from None
    return time_us / 1e6 * current * SUPPLY_V


def state_of(component: str, mode: str) -> str | None:
    """The state a (component, mode) of the emulator's power tracker counts as; None if it draws
    nothing in this model (a radio that is off or only has its oscillator running)."""
    mode = mode.lower()
    if component == "cpu":
        return "CPU" if mode == "active" else "LPM"
    if "tx" in mode or "transmit" in mode:
        return "TX"
    if "rx" in mode or "listen" in mode:
        return "RX"
    return None
