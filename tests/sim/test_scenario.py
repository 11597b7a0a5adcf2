"""TOML scenarios rendered to .csc through the jinja2 template."""

import json

import pytest

from harness.paths import COOJA_CONFIGS_DIR
from harness.sim.csc import (
    POWER_TRACKER,
    SCRIPT_RUNNER,
    SERIAL_SOCKET_SERVER,
    parse_csc,
    read_csc,
    render_csc,
)
from harness.sim.scenario import (
    ScenarioError,
    load_scenario,
    render_scenario,
    scenario_from_csc,
    scenario_from_dict,
)

BASE = {"seed": 5, "duration_s": 2.0, "motes": [{"app": "hello", "count": 5}]}


def positions(data):
    return [m.position for m in scenario_from_dict(data).sim.motes]


def test_line_topology():
    assert positions({**BASE, "topology": {"kind": "line", "spacing": 15.0}}) == [
        (0.0, 0.0, 0.0),
        (15.0, 0.0, 0.0),
        (30.0, 0.0, 0.0),
        (45.0, 0.0, 0.0),
        (60.0, 0.0, 0.0),
    ]


def test_grid_topology():
    assert positions({**BASE, "topology": {"kind": "grid", "spacing": 10.0, "columns": 2}}) == [
        (0.0, 0.0, 0.0),
        (10.0, 0.0, 0.0),
        (0.0, 10.0, 0.0),
        (10.0, 10.0, 0.0),
        (0.0, 20.0, 0.0),
    ]


def test_random_topology_is_seeded():
    topo = {"kind": "random", "width": 100.0, "height": 50.0}
    a = positions({**BASE, "topology": {**topo, "seed": 3}})
    assert a == positions({**BASE, "topology": {**topo, "seed": 3}})
    assert a != positions({**BASE, "topology": {**topo, "seed": 4}})
    assert all(0 <= x <= 100 and 0 <= y <= 50 and z == 0 for x, y, z in a)
    # without its own seed the topology follows the simulation seed
    assert positions({**BASE, "topology": topo}) == positions({**BASE, "topology": {**topo, "seed": 5}})


def test_manual_topology_and_mixed_apps():
    data = {
        "seed": 1,
        "topology": {"kind": "manual"},
        "motes": [{"app": "ssm", "position": [0, 0]}, {"app": "ccs", "position": [3, 4, 5]}],
    }
    sc = scenario_from_dict(data)
    assert [(m.mote_id, m.type_identifier, m.position) for m in sc.sim.motes] == [
        (1, "sky_ssm", (0.0, 0.0, 0.0)),
        (2, "sky_ccs", (3.0, 4.0, 5.0)),
    ]
    assert [t.identifier for t in sc.sim.mote_types] == ["sky_ssm", "sky_ccs"]


@pytest.mark.parametrize(
    "data,message",
    [
        ({**BASE, "colour": "red"}, "colour: unknown key"),
        ({**BASE, "topology": {"kind": "ring"}}, "topology.kind: Input should be 'manual'"),
        ({**BASE, "topology": {"kind": "manual"}}, "needs a position"),
        ({**BASE, "motes": [{"app": "a", "position": [1, 2]}]}, "position needs \\[topology\\] kind"),
        ({**BASE, "motes": []}, "motes: List should have at least 1 item"),
        ({**BASE, "motes": [{"count": 2}]}, "motes\\[0\\].app: Field required"),
        ({**BASE, "success": {"regex": "x", "motes": [9]}}, "names mote 9"),
        ({**BASE, "serial": {"motes": "all", "base_port": 65533}}, "serial port 65536 for mote 3"),
        ({**BASE, "duration_s": -1}, "duration_s: Input should be greater than 0"),
        ({**BASE, "medium": {"range": 3}}, "medium.range: unknown key"),
    ],
)
def test_bad_scenarios(data, message):
    with pytest.raises(ScenarioError, match=message):
        scenario_from_dict(data, "bad.toml")


def test_two_motes_example_renders_and_reads_back(tmp_path, monkeypatch):
    monkeypatch.setenv("ESSE_BUILD_DIR", str(tmp_path / "build"))
    out = render_scenario(
        COOJA_CONFIGS_DIR / "scenarios" / "two_motes.toml", tmp_path / "sims" / "two.csc", firmware="point"
    )
    sim = read_csc(out, check_firmware=False)
    assert sim.warnings == []
    assert sim.title == "Two motes: radio test" and sim.random_seed == 123456
    assert [m.mote_id for m in sim.motes] == [1, 2]
    assert sim.motes[1].position == (20.0, 0.0, 0.0)
    fw = sim.mote_types[0].firmware
    assert fw == "[CONFIG_DIR]/../build/radiotest/radiotest.sky"
    assert sim.resolve_path(fw).resolve() == (tmp_path / "build" / "radiotest" / "radiotest.sky").resolve()
    assert [p.class_name for p in sim.plugins] == [SCRIPT_RUNNER, SERIAL_SOCKET_SERVER, POWER_TRACKER]
    assert sim.serial_ports() == {1: 60101}
    assert sim.timeout_ms() == 30000
    # the success condition travels inside the .csc
    sc = scenario_from_csc(sim)
    want = ("acked=1|RX len=50 crc=1", [1, 2], True)
    assert (sc.success.regex, sc.success.motes, sc.success.require_all) == want
    assert sc.duration_s == 30.0
    # and what the template writes reads back into the same model
    assert parse_csc(render_csc(sim)) == sim


def test_script_is_escaped_and_survives(tmp_path, monkeypatch):
    monkeypatch.setenv("ESSE_BUILD_DIR", str(tmp_path))
    sc = scenario_from_dict({**BASE, "success": {"regex": r"a<b & \"c\" \d+", "motes": "any"}})
    text = render_csc(sc.sim)
    assert "a&lt;b &amp;" in text
    back = scenario_from_csc(parse_csc(text))
    assert back.success.regex == r"a<b & \"c\" \d+" and back.success.motes is None
    assert f"new RegExp({json.dumps(back.success.regex)});" in back.sim.script()


def test_generation_4_uses_the_builtin_power_tracker_class(tmp_path, monkeypatch):
    monkeypatch.setenv("ESSE_BUILD_DIR", str(tmp_path))
    out = render_scenario(
        COOJA_CONFIGS_DIR / "scenarios" / "two_motes.toml", tmp_path / "t.csc", generation="4",
        firmware="point",
    )
    sim = read_csc(out, check_firmware=False)
    assert sim.plugins[-1].class_name == "org.contikios.cooja.plugins.PowerTracker"
    assert sim.has_power_tracker() and sim.warnings == []
    with pytest.raises(ScenarioError, match="unknown Cooja generation"):
        scenario_from_dict(BASE, generation="2")


def test_load_scenario_reports_bad_toml(tmp_path):
    p = tmp_path / "x.toml"
    p.write_text("seed = [\n")
    with pytest.raises(ScenarioError, match=f"{p}: not valid TOML"):
        load_scenario(p)


def test_render_copy_needs_the_firmware_and_says_how_to_build_it(tmp_path, monkeypatch):
    monkeypatch.setenv("ESSE_BUILD_DIR", str(tmp_path / "build"))
    with pytest.raises(ScenarioError, match="esse build radiotest"):
        render_scenario(COOJA_CONFIGS_DIR / "scenarios" / "two_motes.toml", tmp_path / "two.csc")
    (tmp_path / "build" / "radiotest").mkdir(parents=True)
    (tmp_path / "build" / "radiotest" / "radiotest.sky").write_bytes(b"\x7fELF")
    out = render_scenario(COOJA_CONFIGS_DIR / "scenarios" / "two_motes.toml", tmp_path / "sims" / "two.csc")
    assert read_csc(out).mote_types[0].firmware == "[CONFIG_DIR]/radiotest.sky"
    assert (tmp_path / "sims" / "radiotest.sky").read_bytes() == b"\x7fELF"
    with pytest.raises(ScenarioError, match="firmware mode 'x'"):
        render_scenario(COOJA_CONFIGS_DIR / "scenarios" / "two_motes.toml", tmp_path / "t.csc", firmware="x")
