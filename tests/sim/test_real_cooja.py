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


def test_p256_on_mspsim_matches_cryptography_and_our_cycle_count(cooja, tmp_path):
    """TinyDTLS's P-256 d·G (crypto_kat 'G', ~0.59 G cycles) in a real Cooja: MSPSim's result is the
    public key `cryptography` computes, and the Timer_B span the mote measures equals ours to the cycle."""
    import random
    import shutil

    from cryptography.hazmat.primitives.asymmetric import ec

    from harness.bench.crypto_kat import REPLY, KatMote, build_kat
    from harness.sim.csc import SCRIPT_RUNNER, CscSimulation, MoteSpec, MoteTypeSpec, PluginSpec, write_csc

    jar, contiki = cooja
    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551  # P-256 group order
    d = random.Random(15).randrange(1, n)
    pub = ec.derive_private_key(d, ec.SECP256R1()).public_key().public_numbers()
    expected = pub.x.to_bytes(32, "big") + pub.y.to_bytes(32, "big")
    built = build_kat("tinydtls", ecc=True, build_root=tmp_path / "build")
    csc = tmp_path / "sim" / "p256.csc"
    csc.parent.mkdir()
    shutil.copyfile(built.elf, csc.parent / "kat.sky")
    frame = b"G" + (32).to_bytes(2, "big") + d.to_bytes(32, "big")  # kat.h request framing
    script = "\n".join([
        "TIMEOUT(1200000, log.testFailed());",  # simulated ms; d·G takes ~150 s
        'WAIT_UNTIL(msg.indexOf("KAT ready") == 0);',
        'write(mote, "' + "".join(f"\\u{b:04x}" for b in frame) + '");',  # MspSerial: one byte per char
        'WAIT_UNTIL(msg.indexOf("R G ") == 0);',
        'log.log(time + " " + id + " " + msg + "\\n");',
        "log.testOK();",
    ])
    sim = CscSimulation(
        title="P-256 d*G on one Sky", random_seed=1, motedelay_us=0,
        mote_types=[MoteTypeSpec("sky_kat", "crypto_kat (TinyDTLS, ECC)", "[CONFIG_DIR]/kat.sky")],
        motes=[MoteSpec(1, "sky_kat")],
        plugins=[PluginSpec(SCRIPT_RUNNER, config=[("script", script), ("active", "true")])],
    )
    write_csc(sim, csc)
    result, _ = run_cooja(csc, jar, contiki, tmp_path / "out", seed=1, timeout=1800)
    log = parse_testlog((tmp_path / "out" / "COOJA.testlog").read_text())
    assert log.verdict is True and result.returncode == 0, log.other
    reply = REPLY.fullmatch(log.lines[-1].text.encode() + b"\n")
    assert reply is not None and reply[2] == b"ok", log.lines[-1].text
    assert bytes.fromhex(reply[3].decode()) == expected
    ours = KatMote(built).request("G", d.to_bytes(32, "big"), max_cycles=3_000_000_000)
    assert ours.data == expected
    assert [int(x) for x in reply[4].split()] == ours.spans  # MSPSim's cycles == ours
