"""harness.clock: simulated time runs callbacks in time order (ties in scheduling order), cancellable,
never backwards; the wall clock schedules on the asyncio loop. Both satisfy the Clock protocol."""

from __future__ import annotations

import asyncio
import socket

import pytest

from harness.clock import Clock, SimClock, WallClock


def test_sim_clock_runs_due_callbacks_in_time_order_with_stable_ties() -> None:
    clock = SimClock(start=10.0)
    seen: list[tuple[str, float]] = []

    def note(name: str) -> None:
        seen.append((name, clock.now()))

    clock.call_at(12.0, lambda: note("b"))
    clock.call_at(11.0, lambda: note("a"))
    clock.call_at(12.0, lambda: note("c"))  # same time as b, scheduled later: runs after it
    late = clock.call_at(13.0, lambda: note("never"))
    assert clock.now() == 10.0 and clock.next_due() == 11.0
    assert clock.advance_to(12.0) == 3
    assert seen == [("a", 11.0), ("b", 12.0), ("c", 12.0)]
    late.cancel()
    assert clock.next_due() is None
    assert clock.advance(5.0) == 0 and clock.now() == 17.0 and len(seen) == 3


def test_sim_clock_callbacks_may_schedule_more_within_the_same_advance() -> None:
    clock = SimClock()
    ticks: list[float] = []

    def tick() -> None:
        ticks.append(clock.now())
        clock.call_at(clock.now() + 1.0, tick)

    clock.call_at(1.0, tick)
    clock.advance_to(3.5)
    assert ticks == [1.0, 2.0, 3.0] and clock.now() == 3.5
    clock.call_at(0.0, lambda: ticks.append(-1.0))  # in the past: runs at the next advance, at now
    clock.advance_to(3.5)
    assert ticks[-1] == -1.0


def test_sim_clock_refuses_to_go_back() -> None:
    clock = SimClock(start=5.0)
    with pytest.raises(ValueError, match="runs forward"):
        clock.advance_to(4.0)


def test_wall_clock_call_at_runs_on_the_loop_and_cancels() -> None:
    async def go() -> list[str]:
        clock = WallClock()
        done = asyncio.get_running_loop().create_future()
        ran: list[str] = []
        clock.call_at(clock.now() + 10.0, lambda: ran.append("cancelled")).cancel()

        def due() -> None:
            ran.append("due")
            done.set_result(None)

        clock.call_at(clock.now() - 1.0, due)
        await asyncio.wait_for(done, 5.0)
        return ran

    assert asyncio.run(go()) == ["due"]


def test_both_are_clocks() -> None:
    assert isinstance(SimClock(), Clock) and isinstance(WallClock(), Clock)


def test_dtls_endpoint_schedules_retransmissions_on_its_clock() -> None:
    """The host DTLS binding asks TinyDTLS for its next retransmission on the clock it is given."""
    from harness.ssm.handshake import ensure_tinydtls_extension

    binding = ensure_tinydtls_extension()
    from harness.tinydtls.udp import DtlsClient

    async def go() -> None:
        clock = SimClock(start=100.0)
        psk = binding.PskStore({b"id": b"key"}, identity=b"id")
        client = await DtlsClient.create(psk=psk, clock=clock)
        silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # a peer that never answers
        silent.bind(("127.0.0.1", 0))
        try:
            connecting = asyncio.ensure_future(client.connect(silent.getsockname(), timeout=5.0))
            while client.datagrams_out == 0:
                await asyncio.sleep(0)
            due = clock.next_due()
            assert due is not None and due > 100.0  # TinyDTLS's retransmission timer, on simulated time
            connecting.cancel()
        finally:
            client.close()
            silent.close()

    asyncio.run(go())


def test_simulation_engine_advances_its_clock() -> None:
    """Host callbacks on Engine.clock run at their simulated time, the engine ending a window there."""
    from harness.sim.engine import Engine
    from harness.sim.scripted import ScriptedMote

    engine = Engine([ScriptedMote(1), ScriptedMote(2)], seed=3)
    seen: list[tuple[float, int]] = []
    engine.clock.call_at(1.25, lambda: seen.append((engine.clock.now(), engine.now_us)))
    engine.clock.call_at(0.5, lambda: seen.append((engine.clock.now(), engine.now_us)))
    engine.run(until_us=2_000_000)
    assert seen == [(0.5, 500_000), (1.25, 1_250_000)] and engine.clock.now() == 2.0
