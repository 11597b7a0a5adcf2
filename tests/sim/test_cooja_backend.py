"""Real-Cooja backend: exact command lines, missing tools, parsing of Cooja's log formats."""

import json
import sys

import pytest

from harness import proc
from harness.sim.cooja_backend import (
    CoojaUnavailable,
    check_requirements,
    cooja_argv,
    gather_outputs,
    parse_mote_log,
    parse_testlog,
    run_cooja,
)
from harness.sim.engine import MoteLine


def test_argv_cooja3(tmp_path):
    res, files = run_cooja(
        tmp_path / "sim.csc",
        tmp_path / "cooja.jar",
        tmp_path / "contiki",
        tmp_path / "out",
        seed=17,
        generation="3",
        dry_run=True,
    )
    assert res.dry_run and files == {}
    assert res.argv == [
        "java",
        "-jar",
        f"{tmp_path}/cooja.jar",
        f"-nogui={tmp_path}/sim.csc",
        f"-contiki={tmp_path}/contiki",
        "-random-seed=17",
    ]


def test_argv_cooja4(tmp_path):
    res, _ = run_cooja(
        tmp_path / "sim.csc",
        tmp_path / "cooja.jar",
        tmp_path / "contiki",
        tmp_path / "out",
        seed=17,
        generation="4",
        dry_run=True,
    )
    assert res.argv == [
        "java",
        "-jar",
        f"{tmp_path}/cooja.jar",
        "--no-gui",
        f"--contiki={tmp_path}/contiki",
        "--random-seed=17",
        f"--logdir={tmp_path}/out",
        f"{tmp_path}/sim.csc",
    ]


def test_argv_without_seed_and_bad_generation(tmp_path):
    assert "-random-seed" not in " ".join(cooja_argv(tmp_path / "s.csc", tmp_path / "c.jar", tmp_path))
    with pytest.raises(ValueError, match="unknown Cooja generation '5'"):
        cooja_argv(tmp_path / "s.csc", tmp_path / "c.jar", tmp_path, generation="5")


def test_missing_java_names_the_apt_line(tmp_path):
    with pytest.raises(proc.ToolMissing, match="apt-get install default-jre-headless"):
        check_requirements(tmp_path / "cooja.jar", tmp_path, java="no-such-java-binary")


def test_missing_jar_says_where_to_get_it(tmp_path):
    with pytest.raises(
        CoojaUnavailable, match=r"(?s)Cooja jar not found: .*cooja.jar.*contiki-ng/tools/cooja"
    ):
        # any installed program stands in for "java" (sys.executable: a fresh Debian has no `python`)
        check_requirements(tmp_path / "cooja.jar", tmp_path, java=sys.executable)
    (tmp_path / "cooja.jar").write_bytes(b"PK")
    with pytest.raises(CoojaUnavailable, match="Contiki directory not found"):
        check_requirements(tmp_path / "cooja.jar", tmp_path / "contiki", java=sys.executable)


# A test log as Cooja's ScriptRunner writes it in headless mode: the seed line, whatever the script
# logs (our generated script logs "<time µs> <id> <text>"; PowerTracker statistics when asked),
# then the verdict.
TESTLOG = """Random seed: 123456
1522 1 Starting radio test
1600 2 Starting radio test
Mote count 2
Sky_1 MONITORED 30000000 us
Sky_1 ON 1500000 us 5.00 %
Sky_1 TX 12345 us 0.04 %
Sky_1 RX 1487655 us 4.96 %
Sky_1 INT 0 us 0.00 %
Sky 2 MONITORED 30000000 us
Sky 2 ON 30000000 us 100.00 %
Sky 2 TX 0 us 0.00 %
Sky 2 RX 30000000 us 100.00 %
2893000 2 RADIOTEST OK
TEST OK
"""


def test_parse_testlog():
    log = parse_testlog(TESTLOG)
    assert log.seed == 123456 and log.verdict is True
    assert log.lines == [
        MoteLine(1522, 1, "Starting radio test"),
        MoteLine(1600, 2, "Starting radio test"),
        MoteLine(2893000, 2, "RADIOTEST OK"),
    ]
    assert log.other == ["Mote count 2"]
    assert log.radio_us[1] == {"MONITORED": 30000000, "ON": 1500000, "TX": 12345, "RX": 1487655, "INT": 0}
    assert log.radio_us[2]["RX"] == 30000000
    assert parse_testlog("Random seed: 1\nTEST FAILED\n").verdict is False
    assert parse_testlog("Random seed: 1\n").verdict is None


def test_parse_mote_log():
    assert parse_mote_log("10\tID:1\thello\n2000\tID:12\tx\ty\n") == [
        MoteLine(10, 1, "hello"),
        MoteLine(2000, 12, "x\ty"),
    ]
    with pytest.raises(ValueError, match="line 2: not a"):
        parse_mote_log("10\tID:1\thello\n00:01.234 ID:1 hello\n")


def test_gather_outputs(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "two.testlog").write_text(TESTLOG)  # Cooja 4.x names the log after the simulation
    (run / "radiolog-1700000000.pcap").write_bytes(b"\xd4\xc3\xb2\xa1pcap")
    files = gather_outputs(run, tmp_path / "out", seed=None)
    out = tmp_path / "out"
    assert (out / "COOJA.testlog").read_text().splitlines() == [
        "Random seed: 123456",
        "1522 1 Starting radio test",
        "1600 2 Starting radio test",
        "2893000 2 RADIOTEST OK",
        "TEST OK",
    ]
    assert (out / "mote-output.log").read_text() == (
        "1522\tID:1\tStarting radio test\n1600\tID:2\tStarting radio test\n2893000\tID:2\tRADIOTEST OK\n"
    )
    assert json.loads(files["power_radio"].read_text())["1"]["TX"] == 12345
    assert (out / "radio.pcap").read_bytes() == b"\xd4\xc3\xb2\xa1pcap"


def test_gather_without_testlog_is_an_error(tmp_path):
    with pytest.raises(CoojaUnavailable, match="no \\*.testlog"):
        gather_outputs(tmp_path, tmp_path / "out", seed=1)
