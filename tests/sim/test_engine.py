"""Engine: stop conditions, determinism of every output file, UART pacing, real-time pace."""

import threading
import time

import pytest

from harness.sim.engine import STOP_GRACE_US, UART_BYTE_US, Engine, EventCount, OutputMatch, RunResult
from harness.sim.medium import UDGMParams
from harness.sim.output import Recorder
from harness.sim.scripted import ScriptedMote
from harness.wire.ieee802154 import air_time_us


def lossy_network():
    motes = [ScriptedMote(i) for i in (1, 2, 3, 4)]
    for m in motes:
        m.say(1000 * m.mote_id, f"boot {m.mote_id}")
        m.every(5000 + 300 * m.mote_id, 7000, 30, lambda i, m=m: m.send(m.now_us(), b"\x00d%d" % i))
    positions = {1: (0, 0, 0), 2: (30, 0, 0), 3: (0, 30, 0), 4: (45, 45, 0)}
    return motes, positions


def run_to_files(tmp_path, seed):
    motes, positions = lossy_network()
    e = Engine(motes, positions, UDGMParams(50, 80, 0.9, 0.7), seed=seed)
    rec = Recorder()
    rec.attach(e)
    res = e.run(until_us=300_000)
    files = rec.write(
        tmp_path,
        seed=seed,
        power=e.power(),
        stats=e.medium.stats,
        per_mote=e.medium.per_mote,
        end_us=res.end_us,
        reason=res.reason,
        verdict=None,
    )
    return {k: p.read_bytes() for k, p in files.items()}


def test_same_seed_gives_byte_identical_outputs(tmp_path):
    a = run_to_files(tmp_path / "a", 42)
    b = run_to_files(tmp_path / "b", 42)
    c = run_to_files(tmp_path / "c", 43)
    assert a == b
    assert a["testlog"].startswith(b"Random seed: 42\n")
    assert a["mote_log"] != c["mote_log"]  # lossy links: another seed loses other frames
    assert a["pcap"] == c["pcap"]  # what is sent does not depend on the draws here


def test_output_lines_are_time_ordered_and_cooja_formatted(tmp_path):
    files = run_to_files(tmp_path, 5)
    lines = files["mote_log"].decode().splitlines()
    times = [int(ln.split("\t")[0]) for ln in lines]
    assert times == sorted(times)
    assert lines[0] == f"{1000 + 5 * UART_BYTE_US + UART_BYTE_US * 2}\tID:1\tboot 1"
    assert "RX src=" in files["testlog"].decode()


def test_stop_on_regex_of_one_mote():
    motes, positions = lossy_network()
    e = Engine(motes, positions, seed=1)
    cond = OutputMatch(r"^boot 3$", frozenset({3}))
    res = e.run(until_us=10_000_000, conditions=[cond])
    assert res.reason == "condition" and cond.satisfied
    assert 3000 < cond.satisfied_at_us < 4000 and res.end_us == cond.satisfied_at_us + STOP_GRACE_US


def test_stop_when_all_motes_matched():
    motes, positions = lossy_network()
    e = Engine(motes, positions, seed=1)
    cond = OutputMatch(r"^boot", frozenset({1, 2, 3, 4}), require_all=True)
    res = e.run(until_us=10_000_000, conditions=[cond])
    assert res.reason == "condition" and cond.matched == {1, 2, 3, 4}
    assert 4000 < cond.satisfied_at_us < 5000 and res.end_us == cond.satisfied_at_us + STOP_GRACE_US


def test_stop_after_event_count():
    motes, positions = lossy_network()
    e = Engine(motes, positions, seed=1)
    tx: list[int] = []
    e.add_radio_listener(lambda ev: tx.append(ev.time_us) if ev.kind == "tx" else None)
    cond = EventCount("tx", 10)
    res = e.run(until_us=10_000_000, conditions=[cond])
    assert res.reason == "condition" and cond.satisfied_at_us == tx[9]
    assert res.end_us == tx[9] + STOP_GRACE_US and tx[-1] <= res.end_us  # the run went on past the 10th


def test_condition_met_after_the_end_time_ends_at_the_end_time():
    motes, positions = lossy_network()
    e = Engine(motes, positions, seed=1)
    cond = OutputMatch(r"^boot 3$", frozenset({3}))
    res = e.run(until_us=5000, conditions=[cond])  # "boot 3" ends at 3 609 µs
    assert cond.satisfied_at_us == 3609 and res == RunResult("condition", 5000)


def test_stop_from_another_thread():
    motes, positions = lossy_network()
    e = Engine(motes, positions, seed=1)
    threading.Timer(0.2, e.stop).start()
    res = e.run()  # no end time: runs until stopped
    assert res.reason == "stopped" and res.end_us > 0


def test_uart_rx_is_paced_one_byte_per_byte_time():
    m = ScriptedMote(1, echo_uart=True)
    e = Engine([m])
    e.run(until_us=1000)
    e.queue_uart_rx(1, b"hello\n")
    e.run(until_us=5000)
    assert bytes(m.uart_received) == b"hello\n"
    # each byte arrives one byte time after the previous; the echo shows the arrival times
    lines = []
    e.add_line_listener(lines.append)
    e.queue_uart_rx(1, b"ab\n")
    e.run(until_us=10000)
    assert lines[0].text == "ab"
    assert lines[0].time_us == 5000 + 2 * UART_BYTE_US + UART_BYTE_US


def test_realtime_pace_follows_the_wall_clock():
    e = Engine([ScriptedMote(1)])
    t0 = time.monotonic()
    e.run(until_us=300_000, speed=1.0)
    assert time.monotonic() - t0 >= 0.28
    t0 = time.monotonic()
    e.run(until_us=500_000, speed=2.0)  # 0.2 simulated s at double speed
    assert time.monotonic() - t0 >= 0.09


def test_duplicate_ids_rejected():
    with pytest.raises(ValueError, match="duplicate"):
        Engine([ScriptedMote(1), ScriptedMote(1)])


def test_no_mote_runs_past_a_radio_event_it_could_observe():
    """Random traffic among 6 motes: every rx_start finds the receiver exactly at the frame start and
    every delivery exactly at the frame end, whatever the mix of transmit decisions."""
    import random

    rng = random.Random(11)
    motes = [ScriptedMote(i, report_rx=False) for i in range(1, 7)]
    for m in motes:
        for _ in range(40):
            m.send(rng.randrange(0, 200_000), b"\x00" + bytes(rng.randrange(1, 60)))
    seen = []
    for m in motes:
        radio = m.radio
        orig_start, orig_deliver = radio.rx_start, radio.deliver

        def rx_start(frame, rssi, start, end, m=m, orig=orig_start):
            seen.append(("start", m.now_us(), start))
            orig(frame, rssi, start, end)

        def deliver(frame, rssi, ok, start, m=m, orig=orig_deliver):
            seen.append(("end", m.now_us(), start + air_time_us(len(frame))))
            orig(frame, rssi, ok, start)

        radio.rx_start, radio.deliver = rx_start, deliver
    positions = {i: ((i % 3) * 20.0, (i // 3) * 20.0, 0.0) for i in range(1, 7)}
    e = Engine(motes, positions, seed=2)
    e.run(until_us=250_000)
    assert len(seen) > 100
    assert all(now == expected for _, now, expected in seen)
    assert e.medium.stats.frames_sent == 240


def test_outputs_identical_across_processes_with_different_hash_seeds(tmp_path):
    """Nothing in the outputs may depend on set/dict hashing order of one interpreter."""
    import os
    import subprocess
    import sys

    code = (
        "import importlib.util, pathlib, sys\n"
        f"spec = importlib.util.spec_from_file_location('t', {str(__file__)!r})\n"
        "t = importlib.util.module_from_spec(spec); spec.loader.exec_module(t)\n"
        "t.run_to_files(pathlib.Path(sys.argv[1]), 42)\n"
    )
    outs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / hash_seed
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-c", code, str(out)], env=env, check=True)
        outs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert outs[0] == outs[1]
    assert set(outs[0]) == {
        "COOJA.testlog",
        "mote-output.log",
        "radio.pcap",
        "power.csv",
        "power.json",
        "summary.json",
    }
