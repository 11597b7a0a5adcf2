"""Mote start-up as Cooja does it: each emulated mote powers on at a seeded offset in
[0, motedelay_us) (harness/sim/engine.py start_offsets, csrc/sim_start.c)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.emulator.simmote import SkySimMote
from harness.sim.engine import Engine, MoteLine, start_offsets

N = 20
DELAY_US = 1_000_000


@pytest.fixture(scope="module")
def hello_elf() -> Path:
    from harness.build import build_app

    return build_app("hello").elf


def run_hello(elf: Path, seed: int, delay_us: int, group: bool = True, until_us: int = 1_600_000):
    """N hello motes for until_us; returns (engine, lines)."""
    motes = [SkySimMote(elf, i, with_radio=False) for i in range(1, N + 1)]
    engine = Engine(motes, seed=seed, group=group, motedelay_us=delay_us)
    lines: list[MoteLine] = []
    engine.add_line_listener(lines.append)
    engine.run(until_us=until_us)
    return engine, lines


def first_lines(lines: list[MoteLine]) -> dict[int, int]:
    first: dict[int, int] = {}
    for ln in lines:
        first.setdefault(ln.mote_id, ln.time_us)
    return first


def log_bytes(lines: list[MoteLine]) -> bytes:
    return "".join(f"{ln.time_us}\tID:{ln.mote_id}\t{ln.text}\n" for ln in lines).encode()


def test_offsets_are_seeded_and_in_range():
    motes = [type("M", (), {"mote_id": i})() for i in range(1, 101)]
    a, b = start_offsets(motes, 7, DELAY_US), start_offsets(motes, 7, DELAY_US)
    assert a == {} and b == {}  # nothing to start late: no start_at
    ids = list(range(1, 101))
    started: dict[int, int] = {}

    class Late:
        def __init__(self, i: int) -> None:
            self.mote_id = i

        def start_at(self, t: int, i: int | None = None) -> None:
            started[self.mote_id] = t

    offs = start_offsets([Late(i) for i in ids], 7, DELAY_US)
    assert offs == started and sorted(offs) == ids
    assert all(0 <= t < DELAY_US for t in offs.values()) and len(set(offs.values())) == 100
    assert offs == start_offsets([Late(i) for i in reversed(ids)], 7, DELAY_US)  # order-free
    assert offs != start_offsets([Late(i) for i in ids], 8, DELAY_US)
    assert start_offsets([Late(i) for i in ids], 7, 0) == {}


def test_first_lines_spread_and_keep_their_boot_time(hello_elf):
    _, undelayed = run_hello(hello_elf, seed=3, delay_us=0, until_us=600_000)
    boot = first_lines(undelayed)
    assert max(boot.values()) - min(boot.values()) < 1000  # together without a delay (id length aside)
    engine, lines = run_hello(hello_elf, seed=3, delay_us=DELAY_US)
    first = first_lines(lines)
    assert sorted(first) == list(range(1, N + 1))
    assert max(first.values()) - min(first.values()) > DELAY_US // 2
    for mid, t in first.items():
        # the mote's own boot takes exactly as long as before, shifted by its power-on time. That
        # power-on lands on the held mote's next MCLK edge at or after its start (csrc/sim_start.c;
        # up to 1.33 us later at the 750 kHz reset DCO), and times floor to whole us: 0..2 us in all
        assert 0 <= t - engine.start_offsets_us[mid] - boot[mid] <= 2, (mid, t)
    # the text of each mote's output is unchanged by the delay
    for mid in range(1, N + 1):
        early = [ln.text for ln in undelayed if ln.mote_id == mid]
        late = [ln.text for ln in lines if ln.mote_id == mid]
        assert late[: len(early)] == early[: len(late)] and late


def test_same_seed_same_log_group_and_lockstep(hello_elf):
    _, a = run_hello(hello_elf, seed=11, delay_us=DELAY_US)
    _, b = run_hello(hello_elf, seed=11, delay_us=DELAY_US)
    _, c = run_hello(hello_elf, seed=11, delay_us=DELAY_US, group=False)
    _, d = run_hello(hello_elf, seed=12, delay_us=DELAY_US)
    assert log_bytes(a) == log_bytes(b) == log_bytes(c)
    assert log_bytes(a) != log_bytes(d)


def test_power_leaves_out_the_time_before_power_on(hello_elf):
    engine, _ = run_hello(hello_elf, seed=5, delay_us=DELAY_US, until_us=1_200_000)
    for m in engine.motes:
        p = m.power()
        on = 1_200_000 - engine.start_offsets_us[m.mote_id]
        assert abs(p["CPU"] + p["LPM"] - on) <= 2, (m.mote_id, p, on)


def test_scenario_motedelay_is_honoured(hello_elf, tmp_path, monkeypatch):
    from harness.sim.runner import build_motes, run_scenario
    from harness.sim.scenario import ScenarioError, scenario_from_dict

    monkeypatch.setenv("ESSE_BUILD_DIR", str(hello_elf.parent.parent))
    base = {"seed": 5, "duration_s": 0.7, "motes": [{"app": "hello", "count": 4}]}
    assert scenario_from_dict(base).sim.motedelay_us == 1_000_000  # Cooja's default
    sc = scenario_from_dict({**base, "motedelay_us": 250_000})
    assert sc.sim.motedelay_us == 250_000
    outcome = run_scenario(sc, build_motes(sc.sim), tmp_path / "out", serial=False)
    offsets = outcome.engine.start_offsets_us
    assert sorted(offsets) == [1, 2, 3, 4] and all(0 <= t < 250_000 for t in offsets.values())
    assert len(set(offsets.values())) == 4
    for bad in (-1, 1.5, "x"):
        with pytest.raises(ScenarioError, match="motedelay_us: "):
            scenario_from_dict({**base, "motedelay_us": bad})
