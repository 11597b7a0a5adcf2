"""Every shipped scenario (cooja_configs/scenarios) as a Cooja user gets it from `esse sim render`:
firmware beside the .csc ([CONFIG_DIR]-relative, a provisioned ELF per psk_dn mote), its own serial
ports, and a script that says what success and failure are. The real-Cooja runs: test_real_cooja.py."""

import re
import shutil

import pytest

from harness.build.provision import read_identity
from harness.paths import COOJA_CONFIGS_DIR
from harness.sim.csc import read_csc
from harness.sim.scenario import load_scenario, render_scenario, scenario_from_csc
from harness.up import build_scenario_app

SCENARIOS = sorted((COOJA_CONFIGS_DIR / "scenarios").glob("*.toml"))


def apps_of(path):
    return {t.identifier.removeprefix("sky_") for t in load_scenario(path).sim.mote_types}


@pytest.fixture(scope="module")
def built():
    for app in set().union(*(apps_of(p) for p in SCENARIOS)):
        build_scenario_app(app)  # app folders and the full-handshake CCS images alike


def test_there_are_scenarios():
    assert {p.stem for p in SCENARIOS} >= {"two_motes", "ccs_demo", "ccs_lpl_demo", "esse_demo"}


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_rendered_csc_carries_its_firmware_and_moves(path, built, tmp_path):
    csc = render_scenario(path, tmp_path / "a" / f"{path.stem}.csc")
    shutil.move(tmp_path / "a", tmp_path / "moved")  # the folder is the whole simulation
    sim = read_csc(tmp_path / "moved" / csc.name)  # checks every firmware file exists
    for t in sim.mote_types:
        assert t.firmware.startswith("[CONFIG_DIR]/") and "/" not in t.firmware.removeprefix("[CONFIG_DIR]/")
    used = {m.type_identifier for m in sim.motes}
    assert used == {t.identifier for t in sim.mote_types}
    # a psk_dn mote runs its own ELF carrying its identity (what Cooja loads into information flash)
    for mote_id, key in sim.esse_psk_dn().items():
        mote = next(m for m in sim.motes if m.mote_id == mote_id)
        ident = read_identity(sim.resolve_path(sim.mote_type(mote.type_identifier).firmware))
        assert (ident.node_id, ident.psk_dn) == (mote_id, key)


def test_every_scenario_has_its_own_serial_ports(tmp_path):
    seen: dict[int, str] = {}
    for path in SCENARIOS:
        sim = load_scenario(path, csc_path=tmp_path / "x.csc").sim
        for port in sim.serial_ports().values():
            assert port not in seen, f"{path.stem} and {seen.get(port)} both use port {port}"
            seen[port] = path.stem
    assert seen


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_script_states_success_and_failure(path, tmp_path):
    sc = load_scenario(path, csc_path=tmp_path / "x.csc")
    back = scenario_from_csc(read_csc_text(sc.sim, tmp_path))
    assert back.success is not None and back.success.require_all  # every mote must show it is up
    assert back.success.motes == [m.mote_id for m in sc.sim.motes]
    assert back.success.fail_regex is not None
    assert re.search(back.success.fail_regex, "ccs 2: radio init failed (-4)")
    assert re.search(back.success.fail_regex, "radiotest node=1 cc2420_init failed rc=-4")
    script = back.sim.script() or ""
    assert "log.testFailed()" in script.split("var failure", 1)[1]  # a failure line ends the test


def read_csc_text(sim, tmp_path):
    from harness.sim.csc import parse_csc, render_csc

    return parse_csc(render_csc(sim), str(tmp_path / "x.csc"))
