"""SetupRun values built by hand for the report and regression tests (the contract's data, no simulation).

Times are round numbers so the expected energies follow from harness.energy.model by hand:
1 s of CPU = 1.8 mA x 3 V x 1 s = 5.4 mJ; 1 s of LPM = 0.1635 mJ; TX 53.1 mJ; listen 60.0 mJ.
"""

from __future__ import annotations

from harness.energy.phases import PhaseCost, SetupRun

MS = 1_000_000  # ns


def phase(name: str, group: str, sender: str, *, cpu_ms: float = 0, lpm_ms: float = 0, tx_ms: float = 0,
          listen_ms: float = 0, nbytes: int = 0, frames: int = 0, fragments: int = 0,
          messages: tuple[str, ...] = ()) -> PhaseCost:
    return PhaseCost(name=name, group=group, sender=sender, messages=messages or (name,),
                     cpu_ns=int(cpu_ms * MS), lpm_ns=int(lpm_ms * MS), tx_ns=int(tx_ms * MS),
                     listen_ns=int(listen_ms * MS), bytes=nbytes, frames=frames, fragments=fragments,
                     time_ns=int((cpu_ms + lpm_ms) * MS))


def exchanges(n: int) -> list[PhaseCost]:
    return [phase(f"exchange {i}", "exchange", "peer", cpu_ms=10, lpm_ms=90, tx_ms=2, listen_ms=100,
                  nbytes=60, frames=2) for i in range(1, n + 1)]


def esse_run(seed: int = 1, n: int = 3) -> SetupRun:
    """ESSE: the mote only takes KEY_MATERIAL and answers KEY_ACK."""
    phases = [phase("KEY_MATERIAL", "hand-off", "peer", cpu_ms=20, lpm_ms=80, tx_ms=1, listen_ms=100,
                    nbytes=90, frames=1),
              phase("KEY_ACK", "hand-off", "mote", cpu_ms=5, lpm_ms=45, tx_ms=2, listen_ms=50, nbytes=20,
                    frames=1)]
    return SetupRun("esse", seed, {"exchanges": n}, tuple(phases + exchanges(n)))


def handshake_run(kind: str = "psk", seed: int = 1, n: int = 3, cpu_scale: float = 1.0) -> SetupRun:
    """A full handshake on the mote: flights 1-6, the mote as DTLS server, then the exchanges."""
    senders = ("peer", "mote", "peer", "mote", "peer", "mote")
    phases = [phase(f"flight {i}", "handshake", senders[i - 1], cpu_ms=100 * i * cpu_scale, lpm_ms=100,
                    tx_ms=3 * i if senders[i - 1] == "mote" else 1, listen_ms=200, nbytes=100 * i,
                    frames=i, fragments=max(0, i - 4) * 2) for i in range(1, 7)]
    return SetupRun(kind, seed, {"exchanges": n}, tuple(phases + exchanges(n)))
