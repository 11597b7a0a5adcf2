"""The C group stepper (long windows, harness/emulator/csrc/sim_group.c) against plain 192 µs
lock-step windows: same frames, same lines, same power, byte for byte, under heavy contention
(CCA refusals, collisions, acknowledgements), with beacon motes sleeping in LPM3, and mixed with
motes the engine steps one by one."""

from __future__ import annotations

from harness.emulator.mote import lib
from harness.emulator.simmote import SkyMoteGroup, SkySimMote
from harness.sim.engine import STOP_GRACE_US, Engine, EventCount, OutputMatch
from harness.sim.medium import UDGMParams
from harness.sim.output import Recorder
from harness.sim.scripted import ScriptedMote
from harness.wire.ieee802154 import with_fcs

from .helpers import start


def trace(run):
    lines = [(ln.time_us, ln.mote_id, ln.text) for ln in run.lines]
    events = [(e.kind, e.time_us, e.sender, e.receiver, e.frame) for e in run.events]
    return lines, events, run.engine.power()


def contention(elf, group: bool):
    positions = {i: (10.0 * (i - 1), 0.0, 0.0) for i in range(1, 6)}
    run = start(elf, positions, UDGMParams(50.0, 100.0, 1.0, 0.9), seed=4, group=group)
    run.command(1, "period 0")
    for i, gap_us in ((1, 900), (3, 1700), (4, 300), (5, 2300)):  # all but node 2 send to node 2
        run.engine.queue_uart_rx(i, b"period 7\n")  # every 7 ms: near saturation
        run.run_for(gap_us)
    run.run_for(300_000)
    return run


def test_group_equals_lockstep_under_contention(radiotest_elf):
    a = contention(radiotest_elf, group=True)
    b = contention(radiotest_elf, group=False)
    assert trace(a) == trace(b)
    texts = [t for _, _, t in trace(a)[0]]
    assert any(" rc=-2 " in t for t in texts)  # CCA refused: the channel was busy
    assert a.engine.medium.stats.corrupted > 0  # and some frames collided anyway
    assert any(t.startswith("RX len=50 crc=0 ") for t in texts)
    assert any("acked=1" in t for t in texts)
    assert a.engine.group is not None and b.engine.group is None


def beacon_grid(elf, group: bool, n: int = 9, spacing: float = 20.0):
    motes = [SkySimMote(elf, i) for i in range(1, n + 1)]
    pos = {m.mote_id: ((m.mote_id - 1) % 3 * spacing, (m.mote_id - 1) // 3 * spacing, 0.0) for m in motes}
    e = Engine(motes, pos, UDGMParams(50.0, 100.0, 1.0, 1.0), seed=2, group=group)
    lines, events = [], []
    e.add_line_listener(lines.append)
    e.add_radio_listener(events.append)
    return e, lines, events


def beacons(elf, group: bool):
    e, lines, events = beacon_grid(elf, group)
    e.run(until_us=3_000_000)
    return e, lines, events


def test_sleeping_beacons_group_equals_lockstep_with_long_windows(beacon_elf):
    ea, la, va = beacons(beacon_elf, True)
    eb, lb, vb = beacons(beacon_elf, False)
    assert la == lb and va == vb and ea.power() == eb.power()
    assert ea.medium.stats.frames_sent >= 9 * 2 and ea.medium.stats.received > 0
    # the motes sleep most of the time, so the group needs far fewer windows than lock-step (15 625)
    assert ea.group.windows < 3_000_000 / 192 / 2
    for p in ea.power().values():
        assert p["LPM"] > 0.75 * 3_000_000 and p["RX"] > 0.85 * 3_000_000


def test_sleeping_receivers_are_not_run_for_quiet_radio_events(beacon_elf):
    """A sleeping mote's CC2420 events that change no pin that could interrupt (the bytes between
    a frame's first and last, a frame's energy on CCA while P1.4 cannot interrupt) do not wake it in
    the group: it fires them when it next runs or is caught up. Same output as lock-step (above);
    here fewer member runs: 1 621 for 136 receptions before quiet events, 1 123 with them (and the
    sleeping send; 1 077 with quiet events alone)."""
    motes = [SkySimMote(beacon_elf, i) for i in range(1, 10)]
    pos = {m.mote_id: ((m.mote_id - 1) % 3 * 20.0, (m.mote_id - 1) // 3 * 20.0, 0.0) for m in motes}
    e = Engine(motes, pos, UDGMParams(50.0, 100.0, 1.0, 1.0), seed=2)
    e.run(until_us=1_000_000)
    runs, received = e.group.member_runs, e.medium.stats.received
    e.run(until_us=3_000_000)
    runs, received = e.group.member_runs - runs, e.medium.stats.received - received
    assert received == 136
    assert runs <= 9 * received, (runs, received)


def radios_inside_frames(elf, group: bool, stops):
    """9 beacons 35 m apart (each hears the frames of its nearer neighbours, range 50 m, and only the
    energy of the others): at each stop, every mote's time and CC2420 RSSI register (the energy it
    hears), each mote brought to the stop first (simm_now_ns: a member behind replays what was held)."""
    e, _, events = beacon_grid(elf, group, spacing=35.0)
    seen = []
    for t in stops:
        e.run(until_us=t)
        seen.append([(m.time_ns, m.radio.radio.reg(0x13)) for m in e.motes])  # 0x13: RSSI
    held = sum(lib.med_port_held(m.radio.c_model) for m in e.motes)
    return seen, [ev for ev in events if ev.kind == "tx"], e.power(), held


def test_energy_held_for_sleeping_members_lands_where_lockstep_puts_it(beacon_elf):
    """The medium holds a frame's energy changes for a member behind its group instead of bringing
    the sleeping mote forward per frame, and replays them right before the member next moves
    (csrc/sim_group.h simm_defer). Stopped in the middle of frames (a far frame's energy on the air),
    every mote stands at the same nanosecond and hears the same level as in 192 µs lock-step, where
    every mote stands at the medium's time and nothing is held."""
    _, sent, _, _ = radios_inside_frames(elf := beacon_elf, False, [3_500_000])
    stops = [ev.time_us + 700 for ev in sent if ev.time_us > 1_000_000]  # 30-byte frames: ~1.2 ms
    a, _, pa, held_a = radios_inside_frames(elf, True, stops)
    b, _, pb, held_b = radios_inside_frames(elf, False, stops)
    assert a == b and pa == pb
    assert held_b == 0 and held_a > 50, (held_a, held_b)
    levels = {rssi for row in a for _, rssi in row}
    assert len(stops) >= 18 and len(levels) >= 3, levels  # quiet, a far frame, a near one


def beacons_until(elf, group: bool, n: int = 9):
    e, lines, events = beacon_grid(elf, group, n)
    ready = OutputMatch(r"^beacon node=\d+ ready", frozenset(range(1, n + 1)), require_all=True)
    first = e.run(until_us=3_000_000, conditions=[ready])
    heard = EventCount("rx", 25)
    second = e.run(until_us=5_000_000, conditions=[heard])
    return e, lines, events, (first, ready.satisfied_at_us), (second, heard.satisfied_at_us)


def test_runs_stopping_on_conditions_end_alike_in_group_and_lockstep(beacon_elf):
    """A run that stops on a line or a radio event ends STOP_GRACE_US after it, not at a window end
    (which differs between long group windows and 192 µs lock-step), so both give the same bytes."""
    ea, la, va, *stops_a = beacons_until(beacon_elf, True)
    eb, lb, vb, *stops_b = beacons_until(beacon_elf, False)
    assert stops_a == stops_b
    for result, at in stops_a:
        assert result.reason == "condition" and at is not None and result.end_us == at + STOP_GRACE_US
    assert stops_a[0][1] == max(ln.time_us for ln in la if " ready " in ln.text)
    assert stops_a[1][1] == [ev.time_us for ev in va if ev.kind == "rx"][24]
    assert la == lb and va == vb and ea.power() == eb.power()


def test_group_with_a_scripted_mote_stepped_alone(radiotest_elf):
    """Ungrouped motes bound the group's windows by the quantum; their frames reach the emulated ones."""
    sky = [SkySimMote(radiotest_elf, i) for i in (1, 2)]
    other = ScriptedMote(3)
    # a broadcast data frame to PAN 0x22AB on channel 26 (radiotest listens there, filter on)
    frame = with_fcs(bytes([0x41, 0x88, 0x07, 0xAB, 0x22, 0xFF, 0xFF, 0x03, 0x00]) + bytes(41))
    other.at(600_000, lambda: other.radio.send(frame, other.now_us()))
    e = Engine([*sky, other], {1: (0, 0, 0), 2: (10, 0, 0), 3: (20, 0, 0)}, seed=1)
    lines = []
    e.add_line_listener(lines.append)
    e.run(until_us=700_000)
    assert e.group is not None and [m.mote_id for m in e._solo] == [3]
    got = [ln for ln in lines if ln.text.startswith("RX len=50 crc=")]
    assert sorted(ln.mote_id for ln in got) == [1, 2], lines
    assert all(" src=3 " in ln.text for ln in got)


def crowd(radiotest_elf, beacon_elf, out_dir, group: bool):
    """40 motes started at seeded offsets (motedelay): 4 radiotest motes near the middle sending
    acknowledged frames every 7 to 11 ms, 36 beacon motes on a 6 x 6 grid 12 m apart, RX success
    0.9. Returns the output files (serial log, pcap, power), the per-mote power in ns and stats."""
    motes = [SkySimMote(radiotest_elf if i <= 4 else beacon_elf, i) for i in range(1, 41)]
    pos = {i: (26.0 + 4.0 * i, 30.0, 0.0) for i in range(1, 5)}
    pos |= {i: ((i - 5) % 6 * 12.0, (i - 5) // 6 * 12.0, 0.0) for i in range(5, 41)}
    e = Engine(motes, pos, UDGMParams(50.0, 100.0, 1.0, 0.9), seed=9, group=group, motedelay_us=400_000)
    rec = Recorder()
    rec.attach(e)
    e.run(until_us=1_000_000)  # every mote started and booted
    for i, period_ms, gap_us in ((1, 9, 1300), (3, 7, 700), (4, 11, 2100)):  # to node 2, acked
        e.queue_uart_rx(i, f"period {period_ms}\n".encode())
        e.run(until_us=e.now_us + gap_us)
    e.run(until_us=2_500_000)
    files = rec.write(
        out_dir,
        seed=e.seed,
        power=e.power(),
        stats=e.medium.stats,
        per_mote=e.medium.per_mote,
        end_us=e.now_us,
        reason="time",
        verdict=None,
    )
    power_ns = {m.mote_id: m.power_ns() for m in motes}
    return {k: p.read_bytes() for k, p in files.items()}, power_ns, e


def test_lazy_group_equals_lockstep_in_a_crowd(radiotest_elf, beacon_elf, tmp_path):
    """The group steps only the members that can change in a window (the others catch up when the
    medium or the host touches them): 40 motes with start-up offsets, traffic, collisions and RX
    failures give the same serial log, pcap and per-mode energy as 192 µs lock-step."""
    a, pa, ea = crowd(radiotest_elf, beacon_elf, tmp_path / "group", group=True)
    b, pb, eb = crowd(radiotest_elf, beacon_elf, tmp_path / "lockstep", group=False)
    assert a == b
    assert pa == pb
    assert ea.group is not None and eb.group is None
    assert len(set(ea.start_offsets_us.values())) == 40  # the motes started apart
    st = ea.medium.stats
    assert st.corrupted > 0 and st.rx_failed > 0 and st.received > 500, st
    log = a["mote_log"].decode()
    assert "acked=1" in log and "OK period 7" in log and log.count("beacon node=") == 36
    # lazy: a window runs only the members that wake in it (here, with every mote hearing every
    # frame, about 16 of the 40)
    assert ea.group.member_runs < 40 * ea.group.windows / 2, (ea.group.member_runs, ea.group.windows)


def test_members_of_one_firmware_share_a_predecode_cache(radiotest_elf, beacon_elf):
    """The group gives members with the same flash image one predecode cache (csrc/mote.h,
    mote_share_code; the lock-step comparisons above run them against private caches)."""
    elfs = (beacon_elf, radiotest_elf, beacon_elf, radiotest_elf)
    ms = [SkySimMote(elf, i) for i, elf in enumerate(elfs, 1)]
    group = SkyMoteGroup(ms)
    p = [m.mote.ptr for m in ms]
    assert lib.mote_shares_code(p[0], p[2]) and lib.mote_shares_code(p[1], p[3])
    assert not lib.mote_shares_code(p[0], p[1]) and not lib.mote_shares_code(p[2], p[3])
    assert group.windows == 0
