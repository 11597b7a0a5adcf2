"""Our `.csc` files against what Cooja 4.x (Contiki-NG) loads, element by element, and files saved by it
read by us. The facts below were taken from its source (no code copied):

Contiki-NG cooja b980125cdb99911777e811b7cc79a43a7df515e1, files under java/org/contikios/cooja/:
  Cooja.java (readSimulationConfig, createSimulation, startPlugin, restorePortablePath), Simulation.java
  (setConfigXML), ExtensionManager.java, mote/BaseContikiMoteType.java (setBaseConfigXML,
  builtinInterfaces), mspmote/MspMoteType.java, mspmote/SkyMoteType.java, MoteInterfaceHandler.java,
  motes/AbstractWakeupMote.java, interfaces/Position.java, interfaces/MoteID.java,
  radiomediums/UDGM.java, SimEventCentral.java, plugins/ScriptRunner.java, plugins/PowerTracker.java,
  serialsocket/SerialSocketServer.java, script/ScriptParser.java, Main.java.

Building that Cooja here is not possible offline (gradle fetches its plugins and dependencies).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.paths import COOJA_CONFIGS_DIR
from harness.sim.cooja_backend import cooja_argv
from harness.sim.csc import parse_csc, read_csc
from harness.sim.scenario import render_scenario, scenario_from_csc

SCENARIOS = sorted((COOJA_CONFIGS_DIR / "scenarios").glob("*.toml"))

# Cooja.java readSimulationConfig: the root element
ROOT = "simconf"
# Cooja.java createSimulation: read with getChild(..).getText() without a null check: required
REQUIRED_SIMULATION = ("title", "randomseed", "radiomedium", "motedelay_us")
# Simulation.java setConfigXML: the <simulation> children it acts on (the rest are read above or ignored)
SIMULATION_CHILDREN = {"title", "randomseed", "motedelay_us", "motedelay", "radiomedium", "speedlimit",
                       "events", "motetype", "mote"}
# ExtensionManager.createRadioMedium / createMoteType: built-in class names
UDGM = "org.contikios.cooja.radiomediums.UDGM"
SKY_MOTE_TYPE = "org.contikios.cooja.mspmote.SkyMoteType"
# radiomediums/UDGM.java setConfigXML
UDGM_CHILDREN = {"transmitting_range", "interference_range", "success_ratio_tx", "success_ratio_rx"}
# SimEventCentral.java setConfigXML
EVENTS_CHILDREN = {"logoutput"}
# mote/BaseContikiMoteType.java setBaseConfigXML (+ Simulation.java reads <identifier>, <mote>)
MOTETYPE_CHILDREN = {"identifier", "description", "source", "contikiapp", "firmware", "elf", "commands",
                     "command", "moteinterface", "mote"}
MOTETYPE_ABORTS = {"contikibasedir", "contikicoredir", "projectdir", "compilefile", "process", "sensor",
                   "coreinterface"}  # "Old Cooja mote type detected, aborting"
# mote/BaseContikiMoteType.java builtinInterfaces (the Sky's) and mspmote/SkyMoteType.java
# getDefaultMoteInterfaceClasses; RimeAddress is skipped with a `continue`
SKY_INTERFACES_4 = [
    "org.contikios.cooja.interfaces.Position", "org.contikios.cooja.interfaces.IPAddress",
    "org.contikios.cooja.interfaces.Mote2MoteRelations", "org.contikios.cooja.interfaces.MoteAttributes",
    "org.contikios.cooja.mspmote.interfaces.MspClock", "org.contikios.cooja.mspmote.interfaces.MspMoteID",
    "org.contikios.cooja.mspmote.interfaces.SkyButton", "org.contikios.cooja.mspmote.interfaces.SkyFlash",
    "org.contikios.cooja.mspmote.interfaces.SkyCoffeeFilesystem",
    "org.contikios.cooja.mspmote.interfaces.Msp802154Radio",
    "org.contikios.cooja.mspmote.interfaces.MspSerial",
    "org.contikios.cooja.mspmote.interfaces.MspLED", "org.contikios.cooja.mspmote.interfaces.MspDebugOutput",
    "org.contikios.cooja.mspmote.interfaces.SkyTemperature",
]
# motes/AbstractWakeupMote.java setConfigXML (+ Simulation.java: motetype_identifier for a flat <mote>)
MOTE_CHILDREN = {"breakpoints", "interface_config", "motetype_identifier"}
POSITION = "org.contikios.cooja.interfaces.Position"  # interfaces/Position.java: x, y, z or <pos x y z>
# ExtensionManager.java registerBuiltinPlugin; PluginType annotations of each class
SCRIPT_RUNNER = "org.contikios.cooja.plugins.ScriptRunner"  # SIM_CONTROL_PLUGIN
POWER_TRACKER = "org.contikios.cooja.plugins.PowerTracker"  # SIM_PLUGIN, setConfigXML accepts anything
SERIAL_SOCKET_SERVER = "org.contikios.cooja.serialsocket.SerialSocketServer"  # MOTE_PLUGIN: needs mote_arg
PLUGIN_CONFIG = {  # each plugin's setConfigXML
    SCRIPT_RUNNER: {"script", "scriptfile", "active"},
    POWER_TRACKER: set(),
    SERIAL_SOCKET_SERVER: {"port", "bound", "commands"},  # headless: no port -> "Server not started"
}
PLUGIN_CHILDREN = {"mote_arg", "plugin_config", "width", "height", "z", "location_x", "location_y",
                   "minimized", "bounds"}  # Simulation.java + Cooja.java (layout, GUI only)
# Main.java: picocli options (--gui is negatable: --no-gui), the .csc as a positional parameter
LAUNCHER_OPTIONS = {"--no-gui", "--contiki", "--random-seed", "--logdir"}


def strip_script_comments(code: str) -> str:
    """What script/ScriptParser.java does first: block comments, then `//` to the end of the line."""
    code = "\n" + code + "\n"
    code = re.sub(r"/\*([^*]|\n|(\*+([^*/]|\n)))*\*+/", lambda m: "\n" * len(m.group().split("\n")), code)
    return re.sub(r"//.*\n", "\n", code)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_generation_4_render_holds_to_the_loader(path: Path, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ESSE_BUILD_DIR", str(tmp_path / "build"))
    csc = render_scenario(path, tmp_path / "sims" / f"{path.stem}.csc", generation="4", firmware="point")
    root = ET.parse(csc).getroot()
    assert root.tag == ROOT
    sim = root.find("simulation")
    assert sim is not None
    for tag in REQUIRED_SIMULATION:
        assert sim.find(tag) is not None and (sim.findtext(tag) or "").strip(), tag
    assert {c.tag for c in sim} <= SIMULATION_CHILDREN
    seed = sim.findtext("randomseed").strip()
    assert seed == "generated" or re.fullmatch(r"-?\d+", seed)
    int(sim.findtext("motedelay_us"))
    medium = sim.find("radiomedium")
    assert (medium.text or "").strip() == UDGM and {c.tag for c in medium} <= UDGM_CHILDREN
    for c in medium:
        float(c.text)
    assert {c.tag for c in sim.find("events")} <= EVENTS_CHILDREN

    identifiers = []
    for t in sim.findall("motetype"):
        assert (t.text or "").strip() == SKY_MOTE_TYPE
        tags = {c.tag for c in t}
        assert tags <= MOTETYPE_CHILDREN and not tags & MOTETYPE_ABORTS
        assert t.find("firmware") is not None and t.find("source") is None  # source: Cooja compiles
        assert t.findtext("firmware").startswith("[CONFIG_DIR]/")  # restorePortablePath: the .csc's folder
        assert [i.text for i in t.findall("moteinterface")] == SKY_INTERFACES_4
        identifiers.append(t.findtext("identifier"))
    motes = sim.findall("mote")
    assert motes
    for m in motes:
        assert {c.tag for c in m} <= MOTE_CHILDREN
        assert m.findtext("motetype_identifier") in identifiers
        configs = [(c.text or "").strip() for c in m.findall("interface_config")]
        assert POSITION in configs and any(name.endswith("MoteID") for name in configs)

    plugins = root.findall("plugin")
    classes = [(p.text or "").strip() for p in plugins]
    assert SCRIPT_RUNNER in classes  # headless Cooja needs a SIM_CONTROL_PLUGIN
    for p, cls in zip(plugins, classes, strict=True):
        assert cls in PLUGIN_CONFIG, cls
        assert {c.tag for c in p} <= PLUGIN_CHILDREN
        assert {c.tag for c in p.find("plugin_config")} <= PLUGIN_CONFIG[cls]
        if cls == SERIAL_SOCKET_SERVER:
            assert 0 <= int(p.findtext("mote_arg")) < len(motes)
            assert 1 <= int(p.find("plugin_config").findtext("port")) <= 65535
    script = next(p for p, c in zip(plugins, classes, strict=True) if c == SCRIPT_RUNNER)
    code = script.find("plugin_config").findtext("script")
    assert len(re.findall(r"TIMEOUT\(\d+\s*,", code)) == 1  # "Only one timeout handler allowed"
    # the success regexes survive the comment stripping as the same JavaScript strings
    stripped = strip_script_comments(code)
    back = scenario_from_csc(read_csc(csc, check_firmware=False))
    for regex in (back.success.regex, back.success.fail_regex):
        if regex is not None:
            assert f"new RegExp({_js(regex)})" in stripped


def _js(text: str) -> str:
    import json

    return json.dumps(text).replace("/", "\\/")


def test_a_regex_with_slashes_survives_the_comment_stripping(tmp_path, monkeypatch) -> None:
    from harness.sim.scenario import Success, success_script

    code = success_script(Success("coap://[fd00::1]/s /* x */", None, False, "a//b"), 10.0)
    stripped = strip_script_comments(code)
    assert 'new RegExp("coap:\\/\\/[fd00::1]\\/s \\/* x *\\/")' in stripped
    assert 'new RegExp("a\\/\\/b")' in stripped


def test_generation_4_launcher_options(tmp_path) -> None:
    argv = cooja_argv(tmp_path / "s.csc", tmp_path / "cooja.jar", tmp_path, seed=5, generation="4",
                      logdir=tmp_path / "logs")
    options = {a.split("=", 1)[0] for a in argv if a.startswith("--")}
    assert options == LAUNCHER_OPTIONS
    assert argv[-1].endswith(".csc")


# A simulation as Cooja 4.x saves it (Simulation.getConfigXML, BaseContikiMoteType.getBaseConfigXML,
# Position.getConfigXML, Cooja.java plugin <bounds>): no <identifier>, motes inside their type,
# <pos> attributes (z left out when 0), a version attribute and layout as attributes.
SAVED_BY_COOJA_4 = """<?xml version="1.0" encoding="UTF-8"?>
<simconf version="2023090101">
  <simulation>
    <title>saved</title>
    <randomseed>7</randomseed>
    <motedelay_us>0</motedelay_us>
    <radiomedium>
      se.sics.cooja.radiomediums.UDGM
      <transmitting_range>50.0</transmitting_range>
      <interference_range>100.0</interference_range>
      <success_ratio_tx>1.0</success_ratio_tx>
      <success_ratio_rx>1.0</success_ratio_rx>
    </radiomedium>
    <events>
      <logoutput>40000</logoutput>
    </events>
    <motetype>
      org.contikios.cooja.mspmote.SkyMoteType
      <description>Sky Mote Type #1</description>
      <elf>[CONFIG_DIR]/a.sky</elf>
      <moteinterface>org.contikios.cooja.interfaces.Position</moteinterface>
      <moteinterface>org.contikios.cooja.mspmote.interfaces.MspMoteID</moteinterface>
      <moteinterface>org.contikios.cooja.mspmote.interfaces.MspLED</moteinterface>
      <mote>
        <interface_config>
          org.contikios.cooja.interfaces.Position
          <pos x="1.5" y="-2.0" />
        </interface_config>
        <interface_config>
          org.contikios.cooja.mspmote.interfaces.MspMoteID
          <id>3</id>
        </interface_config>
      </mote>
    </motetype>
    <motetype>
      org.contikios.cooja.mspmote.SkyMoteType
      <description>Sky Mote Type #2</description>
      <firmware>[CONFIG_DIR]/b.sky</firmware>
      <mote>
        <interface_config>
          org.contikios.cooja.interfaces.Position
          <pos x="10.0" y="0.0" z="4.0" />
        </interface_config>
        <interface_config>
          org.contikios.cooja.mspmote.interfaces.MspMoteID
          <id>1</id>
        </interface_config>
      </mote>
    </motetype>
  </simulation>
  <plugin>
    org.contikios.cooja.serialsocket.SerialSocketServer
    <mote_arg>1</mote_arg>
    <plugin_config>
      <port>60001</port>
      <bound>true</bound>
    </plugin_config>
    <bounds x="0" y="0" height="116" width="362" z="1" />
  </plugin>
  <plugin>
    org.contikios.cooja.plugins.ScriptRunner
    <plugin_config>
      <script>TIMEOUT(1000, log.testOK());</script>
      <active>true</active>
    </plugin_config>
    <bounds x="0" y="0" height="700" width="600" />
  </plugin>
</simconf>
"""


def test_a_simulation_saved_by_cooja_4_reads_as_it_loads_there() -> None:
    sim = parse_csc(SAVED_BY_COOJA_4, "saved.csc")
    assert sim.warnings == []
    assert sim.medium_class == UDGM  # se.sics -> org.contikios, as its loaders rename
    assert [t.firmware for t in sim.mote_types] == ["[CONFIG_DIR]/a.sky", "[CONFIG_DIR]/b.sky"]
    # motes in file order (the mote list <mote_arg> indexes), each of the type that holds it
    assert [(m.mote_id, m.position) for m in sim.motes] == [(3, (1.5, -2.0, 0.0)), (1, (10.0, 0.0, 4.0))]
    types = {t.identifier: t.firmware for t in sim.mote_types}
    assert [types[m.type_identifier] for m in sim.motes] == ["[CONFIG_DIR]/a.sky", "[CONFIG_DIR]/b.sky"]
    assert sim.serial_ports() == {1: 60001}
    assert sim.timeout_ms() == 1000


def test_a_type_without_identifier_or_motes_is_refused() -> None:
    text = SAVED_BY_COOJA_4.replace(
        "<mote>", "<!--", 1).replace("</mote>", "-->", 1).replace("<mote_arg>1</mote_arg>", "")
    with pytest.raises(ValueError, match="without <identifier>"):
        parse_csc(text, "bad.csc")
