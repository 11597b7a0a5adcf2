"""`esse sim` / `esse cooja` commands and the scenario runner (scripted motes through the mote factory)."""

import json
import sys

import pytest

from harness.cli import main
from harness.paths import COOJA_CONFIGS_DIR
from harness.sim.csc import read_csc
from harness.sim.engine import STOP_GRACE_US
from harness.sim.motes import MoteBackendUnavailable, MoteRequest, create_mote
from harness.sim.output import summary_text
from harness.sim.runner import build_motes, run_scenario
from harness.sim.scenario import load_scenario, scenario_from_csc
from harness.sim.scripted import ScriptedMote

TWO = COOJA_CONFIGS_DIR / "scenarios" / "two_motes.toml"


@pytest.fixture
def build(tmp_path, monkeypatch):
    d = tmp_path / "build"
    monkeypatch.setenv("ESSE_BUILD_DIR", str(d))
    return d


def fake_firmware(build):
    (build / "radiotest").mkdir(parents=True, exist_ok=True)
    (build / "radiotest" / "radiotest.sky").write_bytes(b"\x7fELF")


def test_render_command(tmp_path, build, capsys):
    fake_firmware(build)
    out = tmp_path / "two.csc"
    assert main(["sim", "render", str(TWO), "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert [m.mote_id for m in read_csc(out, check_firmware=False).motes] == [1, 2]


def test_run_without_firmware_says_how_to_build_it(tmp_path, build, capsys):
    assert main(["sim", "run", str(TWO), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "firmware of mote type 'sky_radiotest' not found" in err and "esse build radiotest" in err


def test_run_without_mote_backend_fails_clearly(tmp_path, build, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "harness.emulator.simmote", None)  # import fails as if missing
    fake_firmware(build)
    assert main(["sim", "run", str(TWO), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "emulator-backed Sky mote is not available" in err and "esse cooja run" in err
    assert not (tmp_path / "o" / "COOJA.testlog").exists()  # no fake run


def test_unsupported_mote_type():
    with pytest.raises(MoteBackendUnavailable, match="not supported"):
        create_mote(MoteRequest(1, "org.contikios.cooja.motes.ImportAppMoteType", "x", TWO))


def scripted_factory(req: MoteRequest) -> ScriptedMote:
    """Stands in for the Sky mote: mote 1 sends three frames, mote 2 reports what it hears."""
    m = ScriptedMote(req.mote_id)
    m.say(1000, f"Starting {req.firmware.name}")
    if req.mote_id == 1:
        for i in range(3):
            m.send(10_000 + i * 5000, b"\x00frame%d" % i)
        m.say(40_000, "TX acked=1")
    else:
        m.every(30_000, 10_000, 1, lambda i: m.say(m.now_us(), "RX len=50 crc=1"))
    return m


def run_two(tmp_path, build, **kw):
    fake_firmware(build)
    sc = load_scenario(TWO, csc_path=tmp_path / "sim.csc")
    motes = build_motes(sc.sim, scripted_factory)
    return run_scenario(sc, motes, tmp_path / "out", serial=False, **kw)


def test_runner_end_to_end_with_scripted_motes(tmp_path, build):
    outcome = run_two(tmp_path, build)
    assert outcome.verdict is True and outcome.result.reason == "condition"
    # "TX acked=1\\n" at 87 µs a byte ends at 40 957 µs; the run ends the grace period after it
    assert outcome.result.end_us == 40_000 + 11 * 87 + STOP_GRACE_US
    testlog = outcome.files["testlog"].read_text().splitlines()
    assert testlog[0] == "Random seed: 123456" and testlog[-1] == "TEST OK"
    summary = json.loads(outcome.files["summary"].read_text())
    assert summary["frames"]["frames_sent"] == 3 and summary["frames"]["received"] == 3
    text = summary_text(outcome.files["summary"])
    assert "frames: sent 3, received 3, lost 0" in text and "mote 2:" in text
    power = json.loads(outcome.files["power_json"].read_text())
    assert set(power["motes"]["1"]["modes"]) == {"CPU", "LPM", "TX", "RX"}
    csv_lines = outcome.files["power_csv"].read_text().splitlines()
    assert csv_lines[0] == "mote,mode,time_us,current_mA,energy_mJ" and len(csv_lines) == 9


def test_port_base_moves_the_serial_sockets(tmp_path, build):
    """The file says 60100 + id; port_base 0 puts every serial socket on a port the OS picks."""
    fake_firmware(build)
    sc = load_scenario(TWO, csc_path=tmp_path / "sim.csc")
    assert sc.sim.serial_ports() == {1: 60101}
    announced: list[str] = []
    run_scenario(sc, build_motes(sc.sim, scripted_factory), tmp_path / "out", port_base=0,
                 duration_s=0.001, announce=announced.append)
    assert len(announced) == 1
    port = int(announced[0].removeprefix("SERIAL READY id=1 port="))
    assert 0 < port != 60101


def test_port_base_out_of_range_is_a_clear_error(tmp_path, build, capsys):
    fake_firmware(build)
    assert main(["sim", "run", str(TWO), "--out", str(tmp_path / "o"), "--port-base", "65535"]) == 2
    assert "port base 65535: serial port 65536 for mote 1 outside 1..65535" in capsys.readouterr().err


def test_runner_failure_verdict_and_seed_override(tmp_path, build):
    outcome = run_two(tmp_path, build, duration_s=0.02, seed=99)
    assert outcome.verdict is False and outcome.result.reason == "time" and outcome.result.end_us == 20_000
    testlog = outcome.files["testlog"].read_text().splitlines()
    assert testlog[0] == "Random seed: 99" and testlog[-1] == "TEST FAILED"


def test_runner_reads_the_condition_back_from_a_rendered_csc(tmp_path, build):
    fake_firmware(build)
    assert main(["sim", "render", str(TWO), "-o", str(tmp_path / "two.csc")]) == 0
    sc = scenario_from_csc(read_csc(tmp_path / "two.csc"))
    outcome = run_scenario(sc, build_motes(sc.sim, scripted_factory), tmp_path / "out", serial=False)
    assert outcome.verdict is True


def test_cooja_dry_run_prints_the_command(tmp_path, capsys):
    rc = main(
        [
            "cooja",
            "run",
            str(tmp_path / "s.csc"),
            "--cooja",
            "/opt/cooja.jar",
            "--contiki",
            "/opt/contiki",
            "--seed",
            "5",
            "--dry-run",
        ]
    )
    assert rc == 0
    assert capsys.readouterr().out.strip() == (
        f"java -jar /opt/cooja.jar -nogui={tmp_path}/s.csc -contiki=/opt/contiki -random-seed=5"
    )
