"""`esse up SCENARIO`: one command brings up simulation, bridge and SSM, prints the coaps:// commands,
and stops cleanly on Ctrl-C (SIGINT), writing the simulation outputs."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time

import pytest

from tests.esse.esse_fixtures import SCENARIO, scenario_adc, temperature_text
from tests.ssm.harness_fixtures import need


def esse(*args: str) -> list[str]:
    return [sys.executable, "-m", "harness.cli", *args]


def test_up_with_a_missing_scenario_says_so(tmp_path):
    res = subprocess.run(esse("up", str(tmp_path / "nope.toml")), capture_output=True, text=True, timeout=60)
    assert res.returncode == 1 and "no such scenario file" in res.stderr and "Traceback" not in res.stderr


def test_up_rejects_a_scenario_without_ccs_identity(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(SCENARIO.read_text().replace("psk_dn", "# psk_dn"))
    res = subprocess.run(esse("up", str(bad)), capture_output=True, text=True, timeout=60)
    assert res.returncode == 1 and "psk_dn" in res.stderr and "Traceback" not in res.stderr


@pytest.mark.slow
def test_up_serves_coaps_and_stops_on_ctrl_c(tmp_path):
    tool = need("coap-client-openssl", "libcoap3-bin")
    proc = subprocess.Popen(
        esse("up", str(SCENARIO), "--out", str(tmp_path / "up")),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 120
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line, f"esse up ended early: {''.join(lines)} {proc.stderr.read() if proc.stderr else ''}"
            lines.append(line)
            if line.startswith("Ctrl-C"):
                break
        text = "".join(lines)
        assert "esse up: ready" in text
        cmd = re.search(r"mote 2: (coap-client-openssl .*)$", text, re.M)
        assert cmd, text
        argv = cmd.group(1).split()
        res = subprocess.run([tool, "-B", "20", *argv[1:]], capture_output=True, text=True, timeout=60)
        assert res.stdout.strip() == temperature_text(scenario_adc(2)), res.stderr
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert "stopped" in out and (tmp_path / "up" / "radio.pcap").stat().st_size > 24
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.slow
def test_demo_dtls_part_answers_through_the_ssm(tmp_path, capsys, caplog):
    import asyncio

    from harness.up import demo_dtls

    need("coap-client-openssl", "libcoap3-bin")
    for _ in range(2):  # again in the same folder, as `esse demo` run twice: the motes start afresh,
        # and so must the SSM's relay table and counters (its counter file once outlived the table: the
        # motes' first messages were replays to it, and a second `esse demo` failed when they ran out)
        caplog.clear()
        answers = asyncio.run(demo_dtls(tmp_path, SCENARIO))
        assert not [r.message for r in caplog.records if "replay" in r.message]
        out = capsys.readouterr().out
        assert f"-> mote 2: '{temperature_text(scenario_adc(2))}'" in out
        assert f"-> mote 3: '{temperature_text(scenario_adc(3))}'" in out
        assert "echoed 'hello mote' from mote 2" in out and "3 hand-offs, 3 acked" in answers[-1]
