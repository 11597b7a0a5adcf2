"""Full PSK set-up: the host writes the client's flight 5 as three back-to-back datagrams down the
border router's SLIP line while the router transmits the first two on the air. Every byte must reach
the router (no UART1 overrun: the CC2420 driver's energest TX->listen switch once held interrupts off
longer than one 115200-baud character), so the Finished goes out at once and the client never
retransmits (a retransmitted message is starred in PhaseCost.messages)."""

from __future__ import annotations

import pytest

from harness.emulator.simmote import SkySimMote
from harness.energy.setup_run import SetupRunner

FLIGHTS = [f"flight {i}" for i in range(1, 7)]
FLIGHT5 = ("ClientKeyExchange", "ChangeCipherSpec", "Finished")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_psk_flight5_back_to_back_needs_no_retransmission(seed: int) -> None:
    runner = SetupRunner("psk", seed=seed, exchanges=1)
    run = runner.run()
    handshake = [p for p in run.phases if p.group == "handshake"]
    assert [p.name for p in handshake] == FLIGHTS
    retransmitted = [(p.name, m) for p in run.phases for m in p.messages if m.endswith("*")]
    assert retransmitted == []
    assert handshake[4].messages == FLIGHT5
    assert runner.net is not None
    br = next(m for m in runner.net.engine.motes if m.mote_id == 1)
    assert isinstance(br, SkySimMote)
    router = br.mote
    overruns = int.from_bytes(router.read_bytes(router.symbol("rx_overruns"), 2), "little")
    # at most the bytes the host wrote before the router installed its receive handler at start-up
    assert overruns <= 1
