"""Cooja .csc reading/writing: round trip, diagnostics with file:line."""

from pathlib import Path

import pytest

from harness.sim.csc import (
    POWER_TRACKER,
    SCRIPT_RUNNER,
    SERIAL_SOCKET_SERVER,
    CscError,
    parse_csc,
    read_csc,
    render_csc,
    write_csc,
)

SAMPLE = """<?xml version="1.0" encoding="UTF-8"?>
<simconf>
  <project EXPORT="discard">[APPS_DIR]/mspsim</project>
  <project EXPORT="discard">[APPS_DIR]/serial_socket</project>
  <project EXPORT="discard">[APPS_DIR]/powertracker</project>
  <simulation>
    <title>Sample &amp; test</title>
    <speedlimit>1.0</speedlimit>
    <randomseed>424242</randomseed>
    <motedelay_us>500000</motedelay_us>
    <radiomedium>
      org.contikios.cooja.radiomediums.UDGM
      <transmitting_range>40.0</transmitting_range>
      <interference_range>90.0</interference_range>
      <success_ratio_tx>0.95</success_ratio_tx>
      <success_ratio_rx>0.8</success_ratio_rx>
    </radiomedium>
    <events>
      <logoutput>40000</logoutput>
    </events>
    <motetype>
      org.contikios.cooja.mspmote.SkyMoteType
      <identifier>sky1</identifier>
      <description>Sender</description>
      <firmware EXPORT="copy">[CONFIG_DIR]/fw/sender.sky</firmware>
      <moteinterface>org.contikios.cooja.interfaces.Position</moteinterface>
      <moteinterface>org.contikios.cooja.mspmote.interfaces.MspMoteID</moteinterface>
    </motetype>
    <motetype>
      org.contikios.cooja.mspmote.SkyMoteType
      <identifier>sky2</identifier>
      <description>Receiver</description>
      <firmware EXPORT="copy">[CONFIG_DIR]/fw/receiver.sky</firmware>
      <moteinterface>org.contikios.cooja.interfaces.Position</moteinterface>
    </motetype>
    <mote>
      <breakpoints />
      <interface_config>
        org.contikios.cooja.interfaces.Position
        <x>1.5</x>
        <y>-2.25</y>
        <z>0.0</z>
      </interface_config>
      <interface_config>
        org.contikios.cooja.mspmote.interfaces.MspMoteID
        <id>7</id>
      </interface_config>
      <interface_config>
        org.contikios.cooja.mspmote.interfaces.MspSerial
        <history>help~;</history>
      </interface_config>
      <motetype_identifier>sky1</motetype_identifier>
    </mote>
    <mote>
      <interface_config>
        org.contikios.cooja.interfaces.Position
        <x>30.0</x>
        <y>4.0</y>
        <z>0.0</z>
      </interface_config>
      <interface_config>
        org.contikios.cooja.mspmote.interfaces.MspMoteID
        <id>9</id>
      </interface_config>
      <motetype_identifier>sky2</motetype_identifier>
    </mote>
  </simulation>
  <plugin>
    org.contikios.cooja.plugins.SimControl
    <width>280</width>
    <z>1</z>
    <height>160</height>
    <location_x>400</location_x>
    <location_y>0</location_y>
  </plugin>
  <plugin>
    org.contikios.cooja.plugins.ScriptRunner
    <plugin_config>
      <script>TIMEOUT(60000);
if (a &lt; b &amp;&amp; c &gt; d) log.testOK();</script>
      <active>true</active>
    </plugin_config>
    <width>600</width>
    <z>0</z>
    <height>700</height>
    <location_x>0</location_x>
    <location_y>0</location_y>
  </plugin>
  <plugin>
    org.contikios.cooja.serialsocket.SerialSocketServer
    <mote_arg>1</mote_arg>
    <plugin_config>
      <port>60009</port>
      <bound>true</bound>
    </plugin_config>
    <bounds x="28" y="423" height="116" width="362" />
  </plugin>
  <plugin>
    PowerTracker
    <width>400</width>
    <z>2</z>
    <height>400</height>
    <location_x>10</location_x>
    <location_y>10</location_y>
  </plugin>
</simconf>
"""


@pytest.fixture
def sample_dir(tmp_path) -> Path:
    (tmp_path / "fw").mkdir()
    (tmp_path / "fw" / "sender.sky").write_bytes(b"\x7fELF")
    (tmp_path / "fw" / "receiver.sky").write_bytes(b"\x7fELF")
    (tmp_path / "sample.csc").write_text(SAMPLE)
    return tmp_path


def test_read_sample(sample_dir):
    sim = read_csc(sample_dir / "sample.csc")
    assert sim.warnings == []
    assert sim.title == "Sample & test"
    assert sim.random_seed == 424242 and sim.motedelay_us == 500000 and sim.speedlimit == 1.0
    assert (sim.medium.transmitting_range, sim.medium.interference_range) == (40.0, 90.0)
    assert (sim.medium.success_ratio_tx, sim.medium.success_ratio_rx) == (0.95, 0.8)
    assert [t.identifier for t in sim.mote_types] == ["sky1", "sky2"]
    assert [(m.mote_id, m.type_identifier, m.position) for m in sim.motes] == [
        (7, "sky1", (1.5, -2.25, 0.0)),
        (9, "sky2", (30.0, 4.0, 0.0)),
    ]
    assert sim.serial_ports() == {9: 60009}
    assert sim.timeout_ms() == 60000
    assert "a < b && c > d" in sim.script()
    assert sim.has_power_tracker()
    assert sim.resolve_path(sim.mote_types[0].firmware) == sample_dir / "fw" / "sender.sky"


def test_round_trip_read_write_read(sample_dir, tmp_path):
    first = read_csc(sample_dir / "sample.csc")
    out = write_csc(first, sample_dir / "copy.csc")
    second = read_csc(out)
    assert second == first
    assert second.warnings == []
    assert render_csc(second) == out.read_text()  # writing is stable
    assert [p.class_name for p in second.plugins] == [
        "org.contikios.cooja.plugins.SimControl",
        SCRIPT_RUNNER,
        SERIAL_SOCKET_SERVER,
        POWER_TRACKER,
    ]


def test_generated_seed_round_trips():
    sim = parse_csc(SAMPLE.replace("<randomseed>424242</randomseed>", "<randomseed>generated</randomseed>"))
    assert sim.random_seed is None
    assert parse_csc(render_csc(sim)).random_seed is None
    assert "<randomseed>generated</randomseed>" in render_csc(sim)


def test_malformed_xml_names_file_and_line(tmp_path):
    bad = SAMPLE.replace("<title>Sample &amp; test</title>", "<title>Sample & test</title>")
    p = tmp_path / "bad.csc"
    p.write_text(bad)
    with pytest.raises(CscError, match=rf"^{p}:7:\d+: malformed XML: not well-formed"):
        read_csc(p)
    p.write_text(SAMPLE.replace("</motetype_identifier>\n    </mote>", "</motetype_identifier>\n", 1))
    with pytest.raises(CscError, match=r"malformed XML: mismatched tag"):
        read_csc(p)


def test_unknown_elements_warn_with_line(sample_dir):
    text = SAMPLE.replace(
        "<speedlimit>1.0</speedlimit>", "<speedlimit>1.0</speedlimit>\n    <frobnicate>1</frobnicate>"
    )
    text = text.replace(
        "<success_ratio_rx>0.8</success_ratio_rx>",
        "<success_ratio_rx>0.8</success_ratio_rx>\n      <fading>yes</fading>",
    )
    text = text.replace("    PowerTracker\n", "    com.example.FancyPlugin\n")
    p = sample_dir / "warn.csc"
    p.write_text(text)
    sim = read_csc(p)
    assert sim.warnings == [
        f"{p}:{line_of(text, '<frobnicate>')}: unknown element <frobnicate> in <simulation> ignored",
        f"{p}:{line_of(text, '<fading>')}: unknown element <fading> in <radiomedium> ignored",
        f"{p}:{line_of(text, 'FancyPlugin') - 1}: unknown plugin 'com.example.FancyPlugin' ignored",
    ]


def test_missing_firmware_is_a_clear_error(tmp_path):
    p = tmp_path / "sim.csc"
    p.write_text(SAMPLE)
    line = line_of(SAMPLE, "<motetype>")
    with pytest.raises(
        CscError,
        match=rf"{p}:{line}: firmware of mote type 'sky1' not found: .*fw/sender.sky"
        r" \(build it: esse build sender\)",
    ):
        read_csc(p)
    assert read_csc(p, check_firmware=False).title == "Sample & test"


def line_of(text: str, snippet: str, nth: int = 1) -> int:
    """1-based line number of the nth line containing `snippet`."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if snippet in line]
    return hits[nth - 1]


@pytest.mark.parametrize(
    "old,new,message",
    [
        ("<id>9</id>", "<id>7</id>", r":{<mote>#2}: duplicate mote id 7 \(first at line {<mote>#1}\)"),
        (
            "<motetype_identifier>sky2</motetype_identifier>",
            "<motetype_identifier>nope</motetype_identifier>",
            r":{<mote>#2}: mote 9 uses unknown mote type 'nope'",
        ),
        (
            "<mote_arg>1</mote_arg>",
            "<mote_arg>5</mote_arg>",
            r":{SerialSocketServer#1}: plugin .*SerialSocketServer refers to mote index 5 "
            r"but the simulation has 2 motes",
        ),
        (
            "<success_ratio_rx>0.8</success_ratio_rx>",
            "<success_ratio_rx>1.8</success_ratio_rx>",
            r":{<radiomedium>#1}: success_ratio_rx must be within \[0, 1\], got 1.8",
        ),
        ("<x>1.5</x>", "<x>left</x>", r":{<x>left#1}: <x> must be a float, got 'left'"),
        (
            '<firmware EXPORT="copy">[CONFIG_DIR]/fw/receiver.sky</firmware>',
            "",
            r":{<motetype>#2}: mote type 'sky2' has no <firmware>",
        ),
        (
            "<port>60009</port>",
            "<port>70000</port>",
            r":{<port>#1}: serial socket port 70000 outside 1..65535",
        ),
        ("<simulation>", "<simulatio>", r":{</simulation>#1}:\d+: malformed XML: mismatched tag"),
    ],
)
def test_bad_content_errors(tmp_path, old, new, message):
    import re

    p = tmp_path / "sim.csc"
    assert old in SAMPLE
    text = SAMPLE.replace(old, new, 1)
    p.write_text(text)

    # {snippet#n} -> line number of the nth line containing snippet (SerialSocketServer: its <plugin>)
    def sub(m):
        snippet, nth = m.group(1), int(m.group(2))
        n = line_of(text, snippet, nth)
        return str(n - 1 if snippet == "SerialSocketServer" else n)

    pattern = re.sub(r"\{([^#}]+)#(\d)\}", sub, message)
    with pytest.raises(CscError, match=re.escape(str(p)) + pattern):
        read_csc(p, check_firmware=False)
