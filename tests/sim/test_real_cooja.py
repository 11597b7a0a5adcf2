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
        build_app(t.identifier.removeprefix("sky_"))
    render_scenario(path, csc)
    result, files = run_cooja(csc, jar, contiki, tmp_path / "out", seed=1, timeout=1800)
    log = parse_testlog((tmp_path / "out" / "COOJA.testlog").read_text())
    text = "\n".join(f"{ln.mote_id} {ln.text}" for ln in log.lines)
    assert log.verdict is True and result.returncode == 0, f"Cooja said:\n{text}"
    sim = read_csc(csc)
    assert {ln.mote_id for ln in log.lines} == {m.mote_id for m in sim.motes}  # every mote spoke

