"""Bad TOML scenarios through `esse sim run` (a subprocess): exit 2, one line naming the key, no traceback."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from user_errors import ROOT, assert_one_line_error, run_cli

from harness.sim.scenario import load_scenario

GOOD = """title = "t"
seed = 1
duration_s = 1.0
[[motes]]
app = "radiotest"
count = 2
"""

BAD: list[tuple[str, str]] = [
    (GOOD.replace("seed = 1", 'seed = "one"'), "seed"),
    (GOOD.replace("seed = 1", "seed = -4"), "seed"),
    (GOOD.replace("duration_s = 1.0", "duration_s = 0"), "duration_s"),
    (GOOD.replace("duration_s = 1.0", "duration_s = inf"), "duration_s"),
    (GOOD.replace("duration_s = 1.0", 'duration_s = "long"'), "duration_s"),
    (GOOD + "[medium]\nsuccess_ratio_tx = 1.5\n", "medium.success_ratio_tx"),
    (GOOD + "[medium]\ntransmitting_range = -1\n", "medium.transmitting_range"),
    (GOOD + "[topology]\nkind = \"ring\"\n", "topology.kind"),
    (GOOD + "[topology]\nkind = \"grid\"\ncolumns = 0\n", "topology.columns"),
    (GOOD + "[topology]\nspacing = \"far\"\n", "topology.spacing"),
    (GOOD.replace("count = 2", "count = 0"), "motes[0].count"),
    (GOOD.replace("count = 2", "count = 2.5"), "motes[0].count"),
    (GOOD.replace('app = "radiotest"', 'app = ""'), "motes[0].app"),
    (GOOD.replace('app = "radiotest"', 'app = "../../etc"'), "motes[0].app"),
    (GOOD.replace("count = 2", "count = 1\nadc = { temperature = 5000 }"), "adc value 5000"),
    (GOOD.replace("count = 2", "count = 1\nadc = { sound = 1 }"), "adc channel 'sound'"),
    (GOOD.replace("count = 2", "count = 1\nposition = [1.0]"), "motes[0].position"),
    (GOOD + "[success]\nmotes = \"all\"\n", "success.regex"),
    (GOOD + "[success]\nregex = \"(\"\n", "success.regex"),
    (GOOD + "[success]\nregex = \"x\"\nmotes = \"some\"\n", "success.motes"),
    (GOOD + "[success]\nregex = \"x\"\nmotes = [7]\n", "names mote 7"),
    (GOOD + "[serial]\nbase_port = 70000\n", "serial.base_port"),
    (GOOD + "[serial]\nbase_port = 65534\n", "serial port 65536"),
    (GOOD + "[power]\ntracker = \"yes\"\n", "power.tracker"),
    ("translate = \"yes\"\n" + GOOD, "translate"),
    (GOOD + "[extra]\nx = 1\n", "extra: unknown key"),
    (GOOD.replace("count = 2", "count = 2\ncolour = 1"), "motes[0].colour: unknown key"),
    ("title = \"t\"\n", "motes: Field required"),
    ("motes = [", "not valid TOML"),
]


def _run(path: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_cli("sim", "run", str(path), "--out", str(cwd / "out"), cwd=cwd)



@pytest.mark.parametrize("text,needle", BAD, ids=[f"bad{i:02d}" for i in range(len(BAD))])
def test_bad_scenario_file(tmp_path: Path, text: str, needle: str) -> None:
    """Each bad scenario: exit 2 with one line naming the key."""
    f = tmp_path / "bad.toml"
    f.write_text(text)
    assert_one_line_error(_run(f, tmp_path), needle)


def test_missing_and_directory(tmp_path: Path) -> None:
    """A scenario path that does not exist, and a directory named .toml."""
    assert_one_line_error(_run(tmp_path / "nope.toml", tmp_path), "no such scenario file")
    d = tmp_path / "dir.toml"
    d.mkdir()
    assert_one_line_error(_run(d, tmp_path), "is a directory")


SHIPPED = sorted((ROOT / "cooja_configs" / "scenarios").glob("*.toml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_scenarios_load(path: Path) -> None:
    """Every scenario in the tree passes the schema."""
    assert load_scenario(path).sim.motes
