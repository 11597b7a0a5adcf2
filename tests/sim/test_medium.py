"""UDGM medium: air time, ranges, success ratios, collisions, channels, causality."""

import math

import pytest

from harness.sim.engine import Engine
from harness.sim.medium import CausalityError, UDGMParams
from harness.sim.scripted import ScriptedMote
from harness.wire.ieee802154 import air_time_us, data_frame


def received(m: ScriptedMote) -> list[tuple[int, bool]]:
    return [(start, ok) for start, _f, _r, ok in m.radio.received]


def engine_for(motes, positions, params=None, seed=1):
    return Engine(motes, positions, params or UDGMParams(), seed=seed)


def test_air_time_formula():
    assert air_time_us(127) == (4 + 1 + 1 + 127) * 32 == 4256
    assert air_time_us(5) == 352  # an ACK: 3 bytes MPDU + 2 bytes FCS
    frame = data_frame(1, 0xABCD, 2, 1, b"\x00hi")
    assert len(frame) == 9 + 3 + 2


def test_frame_timing_and_delivery_at_end():
    a, b = ScriptedMote(1), ScriptedMote(2)
    a.send(1000, b"\x00x")
    e = engine_for([a, b], {1: (0, 0, 0), 2: (10, 0, 0)})
    e.run(until_us=20000)
    ((start, frame, rssi, ok),) = b.radio.received
    assert start == 1000 + 192
    assert b.radio.rx_started == [start]
    assert ok and -95 <= rssi <= -10
    assert e.medium.stats.received == 1


@pytest.mark.parametrize("distance,expect", [(49.99, True), (50.0, True), (50.01, False)])
def test_transmission_range_cut_off(distance, expect):
    a, b = ScriptedMote(1), ScriptedMote(2)
    a.send(0, b"\x00x")
    e = engine_for([a, b], {1: (0, 0, 0), 2: (distance, 0, 0)})
    e.run(until_us=10000)
    assert bool(b.radio.received) is expect


def test_power_scales_range():
    a, b = ScriptedMote(1), ScriptedMote(2)
    a.send(0, b"\x00full")  # PA_LEVEL 31: range 50 m
    a.send(5000, b"\x00half", power=15)  # range 50 * 15/31 = 24.2 m
    e = engine_for([a, b], {1: (0, 0, 0), 2: (30, 0, 0)})
    e.run(until_us=20000)
    assert [f[1][-6:-2] for f in b.radio.received] == [b"full"]


def test_overlap_corrupts_locked_reception_and_second_frame_is_not_received():
    # 1 and 3 both reach 2; 3's frame starts while 2 is locked onto 1's frame.
    m1, m2, m3 = ScriptedMote(1), ScriptedMote(2), ScriptedMote(3)
    m1.send(0, b"\x00" + b"a" * 40)
    m3.send(500, b"\x00b")
    e = engine_for([m1, m2, m3], {1: (0, 0, 0), 2: (20, 0, 0), 3: (40, 0, 0)})
    e.run(until_us=20000)
    assert received(m2) == [(192, False)]
    # 3 had locked onto 1's frame too; starting its own transmission spoils that reception
    assert received(m3) == [(192, False)]
    # 1 is still transmitting when 3's frame starts: it receives nothing
    assert received(m1) == []
    assert e.medium.stats.corrupted == 2 and e.medium.stats.received == 0


def test_interferer_outside_tx_range_but_inside_interference_range():
    m1, m2, m3 = ScriptedMote(1), ScriptedMote(2), ScriptedMote(3, report_rx=False)
    m1.send(0, b"\x00" + b"a" * 40)
    m3.send(300, b"\x00noise")
    # 2 is 20 m from 1; 3 is 80 m from 2 (> 50 tx range, < 100 interference) and 100 m from 1
    e = engine_for([m1, m2, m3], {1: (0, 0, 0), 2: (20, 0, 0), 3: (100, 0, 0)})
    e.run(until_us=20000)
    assert received(m2) == [(192, False)]


def test_interferer_beyond_interference_range_is_harmless():
    m1, m2, m3 = ScriptedMote(1), ScriptedMote(2), ScriptedMote(3)
    m1.send(0, b"\x00" + b"a" * 40)
    m3.send(300, b"\x00far")
    e = engine_for([m1, m2, m3], {1: (0, 0, 0), 2: (20, 0, 0), 3: (130, 0, 0)})
    e.run(until_us=20000)
    assert received(m2) == [(192, True)]


def test_back_to_back_frames_do_not_collide():
    m1, m2, m3 = ScriptedMote(1), ScriptedMote(2), ScriptedMote(3)
    f1 = b"\x00" + b"a" * 20
    m1.send(0, f1)
    # 3's frame starts exactly when 1's ends
    end1 = 192 + air_time_us(len(data_frame(1, 0, 0, 0, f1)))
    m3.send(end1 - 192, b"\x00b")
    e = engine_for([m1, m2, m3], {1: (0, 0, 0), 2: (20, 0, 0), 3: (40, 0, 0)})
    e.run(until_us=20000)
    assert received(m2) == [(192, True), (end1, True)]


def test_channel_isolation():
    m1, m2, m3 = ScriptedMote(1, channel=26), ScriptedMote(2, channel=26), ScriptedMote(3, channel=15)
    m4 = ScriptedMote(4, channel=15)
    m1.send(0, b"\x00" + b"a" * 40)
    m3.send(300, b"\x00other channel")  # overlaps in time, same place, other channel
    e = engine_for([m1, m2, m3, m4], {1: (0, 0, 0), 2: (5, 0, 0), 3: (5, 5, 0), 4: (0, 5, 0)})
    e.run(until_us=20000)
    assert received(m2) == [(192, True)]
    assert received(m4) == [(492, True)]


def test_receiver_off_or_transmitting_receives_nothing():
    m1, m2, m3 = ScriptedMote(1), ScriptedMote(2), ScriptedMote(3)
    m2.radio_on(0, False)
    m1.send(0, b"\x00" + b"a" * 40)
    m3.send(0, b"\x00" + b"b" * 40)  # 3 transmits over the same interval
    e = engine_for([m1, m2, m3], {1: (0, 0, 0), 2: (10, 0, 0), 3: (0, 10, 0)})
    e.run(until_us=20000)
    assert received(m2) == [] and received(m3) == [] and received(m1) == []


def _binomial_ok(k: int, n: int, p: float) -> bool:
    sd = math.sqrt(n * p * (1 - p))
    return abs(k - n * p) <= 5 * sd


def _many_frames(params, distance, n=1500, seed=7):
    a, b = ScriptedMote(1, report_rx=False), ScriptedMote(2, report_rx=False)
    a.every(0, 1000, n, lambda i: a.send(a.now_us(), b"\x00p"))
    e = engine_for([a, b], {1: (0, 0, 0), 2: (distance, 0, 0)}, params, seed)
    e.run(until_us=n * 1000 + 5000)
    return e, len(b.radio.received)


def test_rx_success_ratio_depends_on_distance_within_binomial_bounds():
    params = UDGMParams(50.0, 100.0, 1.0, 0.5)
    d = 50.0 / math.sqrt(2)  # p = 1 - 0.5 * (1 - 0.5) = 0.75
    e, k = _many_frames(params, d)
    assert e.medium.rx_success_probability(1, 2) == pytest.approx(0.75)
    assert _binomial_ok(k, 1500, 0.75), k
    assert e.medium.stats.rx_failed == 1500 - k
    e, k = _many_frames(params, 50.0)  # at the edge: p = success_ratio_rx
    assert _binomial_ok(k, 1500, 0.5), k


def test_tx_success_ratio_within_binomial_bounds_and_lost_frames_are_silent():
    params = UDGMParams(50.0, 100.0, 0.3, 1.0)
    e, k = _many_frames(params, 10.0)
    assert _binomial_ok(k, 1500, 0.3), k
    assert e.medium.stats.tx_lost == 1500 - k
    assert e.medium.stats.frames_sent == 1500


def test_same_seed_same_draws_other_seed_other_draws():
    params = UDGMParams(50.0, 100.0, 0.5, 0.5)
    runs = [_many_frames(params, 30.0, n=200, seed=s)[1] for s in (1, 1, 2)]
    assert runs[0] == runs[1]
    a = _many_frames(params, 30.0, n=200, seed=1)[0]
    b = _many_frames(params, 30.0, n=200, seed=2)[0]
    assert (a.medium.stats.tx_lost, a.medium.stats.rx_failed) != (
        b.medium.stats.tx_lost,
        b.medium.stats.rx_failed,
    )


def test_reply_decided_at_reception_goes_on_air_after_the_lookahead():
    a, b = ScriptedMote(1, report_rx=False), ScriptedMote(2, report_rx=False)
    a.send(0, b"\x00ping")
    b.on_frame = lambda frame, rssi, ok, start: b.radio.send(data_frame(1, 1, 1, 2, b"\x00pong"), b.now_us())
    e = engine_for([a, b], {1: (0, 0, 0), 2: (10, 0, 0)})
    e.run(until_us=10000)
    ping_end = 192 + air_time_us(len(data_frame(1, 0, 0, 0, b"\x00ping")))
    assert [s for s, *_ in a.radio.received] == [ping_end + 192]


class _LyingMote(ScriptedMote):
    """Claims a 192 µs lookahead but puts frames on air 10 µs after deciding."""

    def send(self, time_us, payload, dst=0xFFFF, power=31):
        def go():
            frame = data_frame(1, 1, dst, self.mote_id, payload)
            self.radio._sink.on_transmit(
                frame, self.now_us() + 10, self.now_us() + 10 + air_time_us(len(frame)), 26, power
            )

        self.at(time_us, go)


def test_lookahead_violation_is_detected():
    a, b = _LyingMote(1), ScriptedMote(2)
    a.send(100, b"\x00x")
    e = engine_for([a, b], {1: (0, 0, 0), 2: (1, 0, 0)})
    with pytest.raises(CausalityError, match="lookahead"):
        e.run(until_us=1000)


def test_quantum_cannot_exceed_lookahead():
    with pytest.raises(ValueError, match="quantum"):
        Engine([ScriptedMote(1, lookahead_us=100)], quantum_us=192)


def test_air_energy_per_channel_for_cca():
    m1, m2, m3 = ScriptedMote(1), ScriptedMote(2, channel=15), ScriptedMote(3, channel=26)
    m1.send(0, b"\x00" + b"a" * 10)  # channel 26, 30 m from 2 and 80 m from 3
    e = engine_for([m1, m2, m3], {1: (0, 0, 0), 2: (30, 0, 0), 3: (80, 0, 0)})
    e.run(until_us=10_000)
    end = 192 + air_time_us(9 + 11 + 2)
    # 2 is on another channel: it is told about channel 26 anyway (it may switch), but CCA on 15 is clear
    assert m2.radio.energy_log == [(192, {26: pytest.approx(-10 + 30 / 50 * -85)}), (end, {})]
    assert m3.radio.energy_log == [(192, {26: -95.0}), (end, {})]  # beyond tx range, inside interference
    assert m1.radio.energy_log == []  # a sender does not hear itself
    assert received(m3) == []


def test_cca_busy_during_a_frame():
    m1, m2 = ScriptedMote(1), ScriptedMote(2)
    m1.send(0, b"\x00" + b"a" * 40)
    samples = []
    m2.every(100, 500, 6, lambda i: samples.append((m2.now_us(), m2.radio.clear_channel())))
    e = engine_for([m1, m2], {1: (0, 0, 0), 2: (10, 0, 0)})
    e.run(until_us=5000)
    end = 192 + air_time_us(9 + 41 + 2)
    assert samples == [(t, not (192 <= t < end)) for t in range(100, 3100, 500)]
