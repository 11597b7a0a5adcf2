"""A scenario's per-mote SHT11 environment (`sht11 = { temperature, humidity }` in [[motes]]) reaches the
emulated sensor: through the rendered `.csc` (`// esse-sht11` comments) to the firmware's readings."""

from __future__ import annotations

import re

import pytest

from harness.cli import main
from harness.sim.csc import read_csc

from .helpers import render_scenario


@pytest.fixture(scope="module")
def sht11_elf():
    from harness.build import build_app

    return build_app("sht11_read").elf


def test_sht11_environment_from_the_scenario_reaches_the_firmware(sht11_elf, tmp_path, capsys):
    scenario = tmp_path / "sht.toml"
    scenario.write_text(
        'title = "SHT11"\nseed = 5\nduration_s = 1.6\nmotedelay_us = 0\n'
        '[[motes]]\napp = "sht11_read"\nsht11 = { temperature = -12.5, humidity = 87.25 }\n'
        '[[motes]]\napp = "sht11_read"\n'
    )
    csc = tmp_path / "sht.csc"
    text, seen = render_scenario(scenario, csc)
    assert "// esse-sht11 mote=1 temperature=-12.5 humidity=87.25" in text
    assert read_csc(csc).esse_sht11() == {1: (-12.5, 87.25)}
    assert [r.sht11 for r in seen] == [(-12.5, 87.25), None]
    capsys.readouterr()
    assert main(["sim", "run", str(csc), "--out", str(tmp_path / "out")]) == 0
    log = (tmp_path / "out" / "mote-output.log").read_text()
    one = re.search(r"ID:1\tSHT hi n=0 rc=0,0 sot=\d+ sorh=\d+ t=(-?\d+) rh=(\d+)", log)
    two = re.search(r"ID:2\tSHT hi n=0 rc=0,0 sot=\d+ sorh=\d+ t=(-?\d+) rh=(\d+)", log)
    assert one and two, log[-3000:]
    assert (int(one.group(1)), abs(int(one.group(2)) - 8725) <= 3) == (-1250, True)
    assert (int(two.group(1)), abs(int(two.group(2)) - 5000) <= 3) == (2500, True)  # the defaults


def test_bad_sht11_value_is_a_clear_error(tmp_path, capsys):
    scenario = tmp_path / "bad.toml"
    scenario.write_text('duration_s = 1.0\n[[motes]]\napp = "beacon"\nsht11 = { humidity = 120 }\n')
    assert main(["sim", "run", str(scenario), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "bad.toml" in err and "humidity 120" in err and "0..100" in err
