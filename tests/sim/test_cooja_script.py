"""The ScriptRunner JavaScript we generate for the real Cooja, executed under node with a small
stand-in for Cooja's script API (YIELD loads the next mote output line into msg/id/time)."""

import json
import re
import subprocess

from requirements import require_tool

from harness.sim.scenario import Success, success_script

NODE = require_tool("node", "nodejs")

PRELUDE = """
var lines = %s, next = 0, logged = [], timeout = null;
var msg = null, id = null, time = null;
function TIMEOUT(ms, action) { timeout = ms; }
function YIELD() {
  if (next >= lines.length) throw "END";
  time = lines[next][0]; id = lines[next][1]; msg = lines[next][2]; next++;
}
var log = {
  log: function (s) { logged.push(s); },
  testOK: function () { throw "OK"; },
  testFailed: function () { throw "FAILED"; },
};
var verdict = "END";
try {
%s
} catch (e) { verdict = String(e); }
console.log(JSON.stringify({verdict: verdict, logged: logged, timeout: timeout, consumed: next}));
"""


def run_script(script: str, lines: list[tuple[int, int, str]]) -> dict:
    # Cooja treats TIMEOUT(ms, action) as a macro: the action runs only when the timeout fires.
    script = re.sub(r"TIMEOUT\((\d+), (.*)\);", r"TIMEOUT(\1, function () { \2; });", script)
    js = PRELUDE % (json.dumps(lines), script)
    out = subprocess.run([NODE, "-e", js], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


LINES = [
    (100, 1, "boot"),
    (200, 2, "boot"),
    (300, 2, "RADIOTEST OK"),
    (400, 1, "noise"),
    (500, 1, "RADIOTEST OK"),
]


def test_all_listed_motes_must_match():
    r = run_script(success_script(Success("RADIOTEST OK", [1, 2], True), 30.0), LINES)
    assert r["verdict"] == "OK" and r["consumed"] == 5 and r["timeout"] == 30000
    assert r["logged"] == [f"{t} {i} {m}\n" for t, i, m in LINES]


def test_all_listed_motes_unmet_runs_to_the_end():
    r = run_script(success_script(Success("RADIOTEST OK", [1, 2, 3], True), 5.0), LINES)
    assert r["verdict"] == "END" and r["timeout"] == 5000


def test_any_mote():
    r = run_script(success_script(Success("OK$", None, False), 1.0), LINES)
    assert r["verdict"] == "OK" and r["consumed"] == 3


def test_regex_with_quotes_and_escapes():
    lines = [(1, 1, 'value "7" < 9')]
    r = run_script(success_script(Success(r"\"\d\" < 9$", None, False), 1.0), lines)
    assert r["verdict"] == "OK"


def test_no_condition_logs_everything():
    r = run_script(success_script(None, 2.0), LINES)
    assert r["verdict"] == "END" and len(r["logged"]) == 5 and r["timeout"] == 2000


def test_a_failure_line_fails_at_once():
    lines = [(100, 2, "ccs 2: radio init failed (-4)"), (200, 1, "RADIOTEST OK"), (300, 2, "RADIOTEST OK")]
    failing = Success("RADIOTEST OK", [1, 2], True, fail_regex="init failed")
    r = run_script(success_script(failing, 9.0), lines)
    assert r["verdict"] == "FAILED" and r["consumed"] == 1


def test_failure_regex_does_not_hide_success():
    failing = Success("RADIOTEST OK", [1, 2], True, fail_regex="init failed")
    r = run_script(success_script(failing, 9.0), LINES)
    assert r["verdict"] == "OK" and r["consumed"] == 5
