"""Multi-mote simulation: UDGM radio medium, conservative-lookahead engine, Cooja `.csc` format,
TOML scenarios, outputs (logs, pcap, power), serial sockets and the real-Cooja backend.

The engine drives anything that implements the small protocols in `harness.sim.interfaces`;
the emulator-backed Sky mote is plugged in through `harness.sim.motes`.
"""
