"""Every shipped scenario, rendered by `esse sim render`, passes in a real headless Cooja 3.x (its
ScriptRunner test says TEST OK). Runs when ESSE_COOJA names a cooja.jar (tools/cooja/dist/cooja.jar of
a Contiki tree; ESSE_CONTIKI overrides the tree, default the jar's ../../..): see docs/cooja.md.
Marked `cooja`: the one skip the strict CI switch allows."""

import os
from pathlib import Path

import pytest

from harness.build import build_app
from harness.paths import COOJA_CONFIGS_DIR
from harness.sim.cooja_backend import parse_testlog, run_cooja
from harness.sim.csc import read_csc
from harness.sim.scenario import load_scenario, render_scenario
from harness.up import build_scenario_app

pytestmark = pytest.mark.cooja
SCENARIOS = sorted((COOJA_CONFIGS_DIR / "scenarios").glob("*.toml"))


@pytest.fixture(scope="module")
def cooja() -> tuple[Path, Path]:
    jar = os.environ.get("ESSE_COOJA")
    if not jar:
        pytest.skip("no real Cooja: set ESSE_COOJA=/path/to/contiki/tools/cooja/dist/cooja.jar")
    contiki = Path(os.environ.get("ESSE_CONTIKI") or Path(jar).resolve().parents[3])
    return Path(jar), contiki


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_passes_in_real_cooja(path, cooja, tmp_path):
    jar, contiki = cooja
    csc = tmp_path / "sim" / f"{path.stem}.csc"
    for t in load_scenario(path).sim.mote_types:
        build_scenario_app(t.identifier.removeprefix("sky_"))  # app folders and full-handshake CCS images
    render_scenario(path, csc)
    result, files = run_cooja(csc, jar, contiki, tmp_path / "out", seed=1, timeout=1800)
    log = parse_testlog((tmp_path / "out" / "COOJA.testlog").read_text())
    text = "\n".join(f"{ln.mote_id} {ln.text}" for ln in log.lines)
    assert log.verdict is True and result.returncode == 0, f"Cooja said:\n{text}"
    sim = read_csc(csc)
    assert {ln.mote_id for ln in log.lines} == {m.mote_id for m in sim.motes}  # every mote spoke



def test_a_failure_line_fails_the_cooja_test_at_once(cooja, tmp_path):
    """Stands in for `radio init failed`: fail_regex matching a line the CCS does print."""
    from harness.configfile import read_toml
    from harness.sim.csc import write_csc
    from harness.sim.scenario import bundle_firmware, scenario_from_dict

    jar, contiki = cooja
    data = read_toml(COOJA_CONFIGS_DIR / "scenarios" / "ccs_demo.toml", "scenario")
    data["success"]["fail_regex"] = "ccs 3 up"
    csc = tmp_path / "sim" / "fail.csc"
    sc = scenario_from_dict(data, "fail", csc_path=csc)
    sc.sim.path = csc.resolve()
    for t in sc.sim.mote_types:
        build_app(t.identifier.removeprefix("sky_"))
    bundle_firmware(sc.sim, csc.parent)
    write_csc(sc.sim, csc)
    result, _ = run_cooja(csc, jar, contiki, tmp_path / "out", seed=1, timeout=600)
    log = parse_testlog((tmp_path / "out" / "COOJA.testlog").read_text())
    assert log.verdict is False and result.returncode != 0
    assert log.lines[-1].text == "ccs 3 up" and log.lines[-1].time_us < 5_000_000  # not at the timeout
