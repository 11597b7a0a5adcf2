"""What one DTLS session set-up costs the sensor, phase by phase: the data the energy report reads.

A *phase* is a DTLS flight (1-6), one hand-off message of ESSE (KEY_MATERIAL in, KEY_ACK out) or one
CoAP exchange over the record layer. The run that measures them (harness.energy.setup_run) fills
each phase with the CCS's time per energy state, taken from the emulator's per-mode nanosecond
tracker over the phase's interval of simulated time, plus what crossed the air for it. The report,
the CI regression check and the sweeps (harness.energy.report / .regression / .sweep) only read
these records; they never run a simulation themselves.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from harness.energy.model import energy_mj

KINDS = ("esse", "psk", "ecdhe")  # ESSE delegation; full PSK and full ECDHE-ECDSA handshakes on the mote
STATE_FIELDS = {"CPU": "cpu_ns", "LPM": "lpm_ns", "TX": "tx_ns", "RX": "listen_ns"}


@dataclass(frozen=True)
class PhaseCost:
    """One phase of a session set-up (or one record exchange) as the CCS paid for it."""

    name: str  # "flight 1".."flight 6", "KEY_MATERIAL", "KEY_ACK", "exchange 1", ...
    group: str  # "handshake", "hand-off" or "exchange"
    sender: str  # "mote" or "peer": who sent the phase's datagrams
    messages: tuple[str, ...]  # DTLS handshake messages / record types, "*" marks a retransmission
    cpu_ns: int  # the CCS's time in each energy state over the phase (harness.energy.model states)
    lpm_ns: int
    tx_ns: int
    listen_ns: int
    bytes: int  # UDP payload bytes of the phase's datagrams
    frames: int  # 802.15.4 data frames that carried them (on the CCS's hop)
    fragments: int  # of those, RFC 4944 fragments (0 when every datagram fit one frame)
    time_ns: int  # simulated time the phase lasted
    # the same interval from the CCS's firmware energest (harness.energy.energest_probe): ns per state
    # (CPU, LPM, TX, RX); empty when not read. A kind whose radio is modelled (ecdhe) has CPU and LPM only
    energest_ns: dict[str, int] = field(default_factory=dict)

    def mj(self, state: str) -> float:
        """The phase's energy in one state (CPU, LPM, TX, RX) in mJ."""
        return energy_mj(state, getattr(self, STATE_FIELDS[state]) / 1000)

    @property
    def total_mj(self) -> float:
        """The phase's energy over all states in mJ."""
        return sum(self.mj(s) for s in STATE_FIELDS)

    def energest_mj(self, state: str) -> float | None:
        """The phase's energy in one state by the firmware's energest, in mJ; None when not read."""
        ns = self.energest_ns.get(state)
        return None if ns is None else energy_mj(state, ns / 1000)


@dataclass(frozen=True)
class SetupRun:
    """One measured session set-up of one kind, then its record exchanges, for one seed."""

    kind: str  # one of KINDS
    seed: int
    params: dict[str, Any]  # what the run was asked: exchanges, loss, channel_check_hz, sessions, ...
    phases: tuple[PhaseCost, ...]
    energest: dict[str, int] = field(default_factory=dict)  # the firmware's own totals (ns per state)

    def total_mj(self, group: str | None = None) -> float:
        """Energy of all phases, or of one group of them, in mJ."""
        return sum(p.total_mj for p in self.phases if group is None or p.group == group)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (tuples become lists)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SetupRun:
        """The inverse of to_json."""
        phases = tuple(PhaseCost(**{**p, "messages": tuple(p["messages"]),
                                    "energest_ns": dict(p.get("energest_ns", {}))}) for p in data["phases"])
        return cls(kind=data["kind"], seed=data["seed"], params=dict(data["params"]), phases=phases,
                   energest=dict(data.get("energest", {})))
