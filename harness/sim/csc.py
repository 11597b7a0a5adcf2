"""Cooja simulation files (`.csc`): a dataclass model, a reader with line-numbered diagnostics,
and a writer (the jinja2 template `cooja_configs/templates/sim.csc.j2`).

Structure read and written (Cooja 3.x class names, also what Cooja 4.x loads):

    <simconf [version=...]>
      <simulation>
        <title/> <speedlimit/>? <randomseed/> (a number or "generated") <motedelay_us/>
        <radiomedium>org.contikios.cooja.radiomediums.UDGM
          <transmitting_range/> <interference_range/> <success_ratio_tx/> <success_ratio_rx/>
        </radiomedium>
        <events><logoutput/></events>
        <motetype>org.contikios.cooja.mspmote.SkyMoteType
          <identifier/> <description/> <source/>? <commands/>? <firmware/> <moteinterface/>*
        </motetype>
        <mote>
          <interface_config>org.contikios.cooja.interfaces.Position <x/><y/><z/></interface_config>
          <interface_config>org.contikios.cooja.mspmote.interfaces.MspMoteID <id/></interface_config>
          <motetype_identifier/>
        </mote>
      </simulation>
      <plugin>CLASS <mote_arg/>? <plugin_config>...</plugin_config> <width/>... or <bounds .../></plugin>
    </simconf>

Known plugins: ScriptRunner (`<script>`, `<active>`; the JavaScript is kept, not run: our engine takes
the success condition from the scenario), SerialSocketServer (`<mote_arg>` = index of the mote in
the mote list, `<plugin_config><port/><bound/></plugin_config>`), PowerTracker. GUI-only plugins are
accepted and kept. Anything else gives a warning naming the element and its line.

`[CONFIG_DIR]` in a path is the directory of the `.csc` file; `[CONTIKI_DIR]` / `[APPS_DIR]` need
a Contiki tree and are left as they are (such firmware can only be checked by Cooja itself).

Files saved by Cooja 4.x (Contiki-NG) read too: there a mote type has no <identifier> and holds its
motes (`<motetype>... <mote>...</mote></motetype>`), a position is `<pos x=".." y=".." z=".."/>`, and the
loader also accepts `elf` for `firmware`, `contikiapp` for `source`, `command` for `commands` and
`se.sics.` for `org.contikios.` in class names (Contiki-NG cooja b980125c: Simulation.java,
mote/BaseContikiMoteType.java, interfaces/Position.java). `generation` "4" renders the interface
list of 4.x's SkyMoteType (MspLED, no RimeAddress); the file otherwise stays in the flat layout
(`<mote>` after the types, `<motetype_identifier>`), which 4.x still loads, so the mote order
(and the serial plugins' `<mote_arg>` indexes) is the mote-id order in both generations.
"""

from __future__ import annotations

import re
import xml.parsers.expat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.sim.medium import UDGMParams

UDGM_CLASS = "org.contikios.cooja.radiomediums.UDGM"
SKY_MOTE_TYPE = "org.contikios.cooja.mspmote.SkyMoteType"
POSITION_IF = "org.contikios.cooja.interfaces.Position"
MSP_MOTE_ID_IF = "org.contikios.cooja.mspmote.interfaces.MspMoteID"
SCRIPT_RUNNER = "org.contikios.cooja.plugins.ScriptRunner"
SERIAL_SOCKET_SERVER = "org.contikios.cooja.serialsocket.SerialSocketServer"
POWER_TRACKER = "PowerTracker"
POWER_TRACKER_CLASSES = {"PowerTracker", "org.contikios.cooja.plugins.PowerTracker"}
GUI_PLUGINS = {
    "org.contikios.cooja.plugins.SimControl",
    "org.contikios.cooja.plugins.Visualizer",
    "org.contikios.cooja.plugins.LogListener",
    "org.contikios.cooja.plugins.TimeLine",
    "org.contikios.cooja.plugins.Notes",
    "org.contikios.cooja.plugins.RadioLogger",
    "org.contikios.cooja.plugins.MoteInterfaceViewer",
}
KNOWN_PLUGINS = GUI_PLUGINS | {SCRIPT_RUNNER, SERIAL_SOCKET_SERVER} | POWER_TRACKER_CLASSES
SKY_MOTE_INTERFACES = [
    "org.contikios.cooja.interfaces.Position",
    "org.contikios.cooja.interfaces.RimeAddress",
    "org.contikios.cooja.interfaces.IPAddress",
    "org.contikios.cooja.interfaces.Mote2MoteRelations",
    "org.contikios.cooja.interfaces.MoteAttributes",
    "org.contikios.cooja.mspmote.interfaces.MspClock",
    "org.contikios.cooja.mspmote.interfaces.MspMoteID",
    "org.contikios.cooja.mspmote.interfaces.SkyButton",
    "org.contikios.cooja.mspmote.interfaces.SkyFlash",
    "org.contikios.cooja.mspmote.interfaces.SkyCoffeeFilesystem",
    "org.contikios.cooja.mspmote.interfaces.Msp802154Radio",
    "org.contikios.cooja.mspmote.interfaces.MspSerial",
    "org.contikios.cooja.mspmote.interfaces.SkyLED",
    "org.contikios.cooja.mspmote.interfaces.MspDebugOutput",
    "org.contikios.cooja.mspmote.interfaces.SkyTemperature",
]

# Cooja 4.x's SkyMoteType.getDefaultMoteInterfaceClasses() (Contiki-NG cooja b980125c:
# java/org/contikios/cooja/mspmote/SkyMoteType.java): RimeAddress is gone (its loader skips it), the
# LEDs are MspLED (SkyLED is kept as an alias in mote/BaseContikiMoteType.java builtinInterfaces).
SKY_MOTE_INTERFACES_4 = [
    i.replace("interfaces.SkyLED", "interfaces.MspLED")
    for i in SKY_MOTE_INTERFACES
    if i != "org.contikios.cooja.interfaces.RimeAddress"
]
SKY_INTERFACES_BY_GENERATION = {"3": SKY_MOTE_INTERFACES, "4": SKY_MOTE_INTERFACES_4}
# element names Cooja 4.x's mote type loader takes for ours (BaseContikiMoteType.setBaseConfigXML)
_MOTETYPE_ALIASES = {"elf": "firmware", "contikiapp": "source", "command": "commands"}


def _class_name(text: str) -> str:
    """A class name as Cooja 4.x's loaders see it: the old `se.sics.` package prefix is `org.contikios.`."""
    return "org.contikios." + text.removeprefix("se.sics.") if text.startswith("se.sics.") else text


# Elements we read (or knowingly ignore) per parent; anything else is warned about.
_SIMULATION_CHILDREN = {
    "title",
    "speedlimit",
    "randomseed",
    "motedelay_us",
    "motedelay",
    "delaytime",
    "ticktime",
    "nrticklists",
    "radiomedium",
    "events",
    "motetype",
    "mote",
}
_MOTETYPE_CHILDREN = {
    "identifier",
    "description",
    "source",
    "commands",
    "firmware",
    "moteinterface",
    "symbols",
    "mote",  # Cooja 4.x: the type's motes inside it
    *_MOTETYPE_ALIASES,
}
_PLUGIN_LAYOUT = {"width", "height", "z", "location_x", "location_y", "minimized", "bounds"}


class CscError(ValueError):
    """A `.csc` file that cannot be used; the message names the file and line."""


@dataclass
class MoteTypeSpec:
    """A <motetype> of a .csc: identifier, firmware path and class."""
    identifier: str
    description: str
    firmware: str  # as written in the file, e.g. "[CONFIG_DIR]/hello.sky" or an absolute path
    class_name: str = SKY_MOTE_TYPE
    source: str | None = None
    commands: str | None = None
    interfaces: list[str] = field(default_factory=lambda: list(SKY_MOTE_INTERFACES))
    line: int = field(default=0, compare=False)


@dataclass
class MoteSpec:
    """A <mote> of a .csc: id, mote type and position."""
    mote_id: int
    type_identifier: str
    x: float = 0.0
    y: float = 0.0
    z: float = 0.0
    line: int = field(default=0, compare=False)

    @property
    def position(self) -> tuple[float, float, float]:
        """The mote's (x, y, z) in metres."""
        return (self.x, self.y, self.z)


@dataclass
class PluginSpec:
    """A plugin: its class, optional mote index (`mote_arg`) and `plugin_config` children as
    (tag, text) pairs in file order. ScriptRunner: script/active; SerialSocketServer: port/bound."""

    class_name: str
    mote_arg: int | None = None
    config: list[tuple[str, str]] = field(default_factory=list)
    line: int = field(default=0, compare=False)

    def get(self, tag: str) -> str | None:
        """The text of the first `plugin_config` child named `tag`, if any."""
        for k, v in self.config:
            if k == tag:
                return v
        return None


@dataclass
class CscSimulation:
    """A Cooja simulation file (.csc) as data: medium, mote types, motes and plugins."""
    title: str = "ESSE simulation"
    random_seed: int | None = 123456  # None = "generated" (Cooja picks one)
    motedelay_us: int = 1_000_000
    speedlimit: float | None = None
    medium: UDGMParams = field(default_factory=UDGMParams)
    medium_class: str = UDGM_CLASS
    logoutput: int = 40000
    mote_types: list[MoteTypeSpec] = field(default_factory=list)
    motes: list[MoteSpec] = field(default_factory=list)
    plugins: list[PluginSpec] = field(default_factory=list)
    version: str | None = None
    path: Path | None = field(default=None, compare=False)
    warnings: list[str] = field(default_factory=list, compare=False)

    # ---- convenience views ----
    def mote_type(self, identifier: str) -> MoteTypeSpec:
        """The mote type with this identifier; KeyError if there is none."""
        for t in self.mote_types:
            if t.identifier == identifier:
                return t
        raise KeyError(identifier)

    def plugins_of(self, class_names: set[str] | str) -> list[PluginSpec]:
        """The plugins of the given class name(s)."""
        names = {class_names} if isinstance(class_names, str) else class_names
        return [p for p in self.plugins if p.class_name in names]

    def serial_ports(self) -> dict[int, int]:
        """{mote id: TCP port} of the SerialSocketServer plugins (default port 60000 + id)."""
        out = {}
        for p in self.plugins_of(SERIAL_SOCKET_SERVER):
            if p.mote_arg is None or not 0 <= p.mote_arg < len(self.motes):
                continue
            mote = self.motes[p.mote_arg]
            port = p.get("port")
            out[mote.mote_id] = int(port) if port else 60000 + mote.mote_id
        return out

    def script(self) -> str | None:
        """The ScriptRunner's JavaScript, if the simulation has one."""
        runners = self.plugins_of(SCRIPT_RUNNER)
        return runners[0].get("script") if runners else None

    def timeout_ms(self) -> int | None:
        """The `TIMEOUT(ms)` of the ScriptRunner script, if any (the script itself is not run)."""
        s = self.script()
        m = re.search(r"TIMEOUT\(\s*(\d+)", s or "")
        return int(m.group(1)) if m else None

    def esse_success(self) -> tuple[str, str] | None:
        """The success condition our renderer embeds in the script as a comment:
        `// esse-success motes=<all|id,...> regex=<regex>` → (motes, regex)."""
        m = re.search(r"^// esse-success motes=(\S+) regex=(.*)$", self.script() or "", re.M)
        return (m.group(1), m.group(2)) if m else None

    def esse_fail(self) -> str | None:
        """The failure regex our renderer embeds in the script: `// esse-fail regex=<regex>`."""
        m = re.search(r"^// esse-fail regex=(.*)$", self.script() or "", re.M)
        return m.group(1) if m else None

    def esse_keep_running(self) -> bool:
        """Whether the script says our engine runs on after success (`// esse-keep-running`)."""
        return re.search(r"^// esse-keep-running\b", self.script() or "", re.M) is not None

    def esse_adc(self) -> dict[int, dict[int, int]]:
        """Per-mote ADC12 input values our renderer embeds in the script, one comment line each:
        `// esse-adc mote=<id> ch=<0..15> value=<0..4095>` → {mote id: {channel: value}}.
        (Cooja ignores the comments; its Sky motes have their own sensor models.)"""
        out: dict[int, dict[int, int]] = {}
        for m in re.finditer(r"^// esse-adc mote=(\d+) ch=(\d+) value=(\d+)\s*$", self.script() or "", re.M):
            mote, ch, value = (int(v) for v in m.groups())
            if not 0 <= ch <= 15 or not 0 <= value <= 4095:
                raise CscError(f"{self.path}: esse-adc line {m.group(0)!r}: channel 0..15, value 0..4095")
            out.setdefault(mote, {})[ch] = value
        return out

    def esse_sht11(self) -> dict[int, tuple[float, float]]:
        """Per-mote SHT11 environments our renderer embeds in the script:
        `// esse-sht11 mote=<id> temperature=<C> humidity=<%RH>` → {mote id: (temperature, humidity)}."""
        out: dict[int, tuple[float, float]] = {}
        num = r"(-?[0-9]+(?:\.[0-9]*)?(?:e-?[0-9]+)?)"
        line = rf"^// esse-sht11 mote=(\d+) temperature={num} humidity={num}\s*$"
        for m in re.finditer(line, self.script() or "", re.M):
            t, rh = float(m.group(2)), float(m.group(3))
            if not (-40.0 <= t <= 123.8 and 0.0 <= rh <= 100.0):
                raise CscError(
                    f"{self.path}: esse-sht11 line {m.group(0)!r}: temperature -40..123.8, humidity 0..100"
                )
            out[int(m.group(1))] = (t, rh)
        return out

    def esse_psk_dn(self) -> dict[int, bytes]:
        """Per-mote PSK_DN our renderer embeds in the script: `// esse-psk-dn mote=<id> key=<32 hex>`
        → {mote id: key}; the simulator writes each into that mote's information flash."""
        out: dict[int, bytes] = {}
        for m in re.finditer(
            r"^// esse-psk-dn mote=(\d+) key=([0-9a-fA-F]{32})\s*$", self.script() or "", re.M
        ):
            out[int(m.group(1))] = bytes.fromhex(m.group(2))
        return out

    def has_power_tracker(self) -> bool:
        """Whether the simulation has a PowerTracker plugin."""
        return bool(self.plugins_of(POWER_TRACKER_CLASSES))

    def resolve_path(self, raw: str) -> Path | None:
        """Firmware path as a local path; None when it needs a Contiki tree ([CONTIKI_DIR], ...)."""
        if "[CONFIG_DIR]" in raw:
            base = self.path.parent if self.path else Path.cwd()
            return Path(raw.replace("[CONFIG_DIR]", str(base)))
        if "[" in raw:
            return None
        p = Path(raw)
        if not p.is_absolute() and self.path is not None:
            p = self.path.parent / p
        return p


# ---------------------------------------------------------------- a tiny XML tree with line numbers
@dataclass
class _Node:
    tag: str
    attrs: dict[str, str]
    line: int
    text: str = ""
    children: list[_Node] = field(default_factory=list)

    def child(self, tag: str) -> _Node | None:
        for c in self.children:
            if c.tag == tag:
                return c
        return None


def _parse_xml(data: bytes, where: str) -> _Node:
    parser = xml.parsers.expat.ParserCreate()
    stack: list[_Node] = []
    root: list[_Node] = []
    texts: list[list[str]] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        node = _Node(tag, dict(attrs), parser.CurrentLineNumber)
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)
        texts.append([])

    def end(tag: str) -> None:
        node = stack.pop()
        node.text = "".join(texts.pop()).strip()

    def chars(data: str) -> None:
        if texts:
            texts[-1].append(data)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as exc:
        raise CscError(
            f"{where}:{exc.lineno}:{exc.offset + 1}: malformed XML: {xml.parsers.expat.ErrorString(exc.code)}"
        ) from None
    return root[0]


# ---------------------------------------------------------------- reading
class _Reader:
    def __init__(self, where: str) -> None:
        self.where = where
        self._warnings: list[tuple[int, str]] = []

    @property
    def warnings(self) -> list[str]:
        """In file order."""
        return [f"{self.where}:{line}: {what}" for line, what in sorted(self._warnings, key=lambda w: w[0])]

    def warn(self, node: _Node, what: str) -> None:
        self._warnings.append((node.line, what))

    def error(self, node: _Node | None, what: str) -> CscError:
        return CscError(f"{self.where}:{node.line if node else 1}: {what}")

    def unknown(self, node: _Node, parent: str) -> None:
        self.warn(node, f"unknown element <{node.tag}> in <{parent}> ignored")

    def number(self, node: _Node, kind: type = float) -> Any:
        try:
            return kind(node.text)
        except ValueError:
            raise self.error(node, f"<{node.tag}> must be a {kind.__name__}, got {node.text!r}") from None

    def read(self, root: _Node) -> CscSimulation:
        if root.tag != "simconf":
            raise self.error(root, f"root element is <{root.tag}>, expected <simconf>")
        sim = CscSimulation(version=root.attrs.get("version"))
        sim_node = None
        for c in root.children:
            if c.tag == "simulation":
                sim_node = c
            elif c.tag == "plugin":
                sim.plugins.append(self.plugin(c))
            elif c.tag == "project":
                pass  # Cooja 3.x extension directories; meaningless outside Cooja
            else:
                self.unknown(c, "simconf")
        if sim_node is None:
            raise self.error(root, "no <simulation> element")
        self.simulation(sim_node, sim)
        self.check(sim)
        return sim

    def simulation(self, node: _Node, sim: CscSimulation) -> None:
        seen_title = False
        for c in node.children:
            tag = c.tag
            if tag not in _SIMULATION_CHILDREN:
                self.unknown(c, "simulation")
            elif tag == "title":
                sim.title, seen_title = c.text, True
            elif tag == "speedlimit":
                sim.speedlimit = self.number(c)
            elif tag == "randomseed":
                sim.random_seed = None if c.text == "generated" else self.number(c, int)
            elif tag == "motedelay_us":
                sim.motedelay_us = self.number(c, int)
            elif tag == "motedelay":
                sim.motedelay_us = self.number(c, int) * 1000  # old Cooja: milliseconds
            elif tag == "radiomedium":
                self.radiomedium(c, sim)
            elif tag == "events":
                for e in c.children:
                    if e.tag == "logoutput":
                        sim.logoutput = self.number(e, int)
                    else:
                        self.unknown(e, "events")
            elif tag == "motetype":
                mote_type = self.motetype(c, len(sim.mote_types) + 1)
                sim.mote_types.append(mote_type)
                sim.motes += [self.mote(m, mote_type.identifier) for m in c.children if m.tag == "mote"]
            elif tag == "mote":
                sim.motes.append(self.mote(c))
            # delaytime, ticktime, nrticklists: GUI/old-engine settings without meaning here
        if not seen_title:
            self.warn(node, "no <title>; using the default")

    def radiomedium(self, node: _Node, sim: CscSimulation) -> None:
        sim.medium_class = node.text = _class_name(node.text)
        if node.text != UDGM_CLASS:
            self.warn(node, f"radio medium {node.text!r} is not UDGM; UDGM semantics will be used")
        values: dict[str, float] = {}
        for c in node.children:
            if c.tag in ("transmitting_range", "interference_range", "success_ratio_tx", "success_ratio_rx"):
                values[c.tag] = self.number(c)
            elif c.tag == "success_ratio":  # very old name of success_ratio_tx
                values["success_ratio_tx"] = self.number(c)
            else:
                self.unknown(c, "radiomedium")
        try:
            sim.medium = UDGMParams(**values)
        except ValueError as exc:  # UDGMParams checks the ranges and ratios
            raise self.error(node, str(exc)) from None

    def motetype(self, node: _Node, number: int) -> MoteTypeSpec:
        vals: dict[str, str] = {}
        interfaces: list[str] = []
        node.text = _class_name(node.text)
        for c in node.children:
            if c.tag not in _MOTETYPE_CHILDREN:
                self.unknown(c, "motetype")
            elif c.tag == "moteinterface":
                interfaces.append(_class_name(c.text))
            elif c.tag != "mote":  # nested motes: read by the caller
                vals[_MOTETYPE_ALIASES.get(c.tag, c.tag)] = c.text
        if "identifier" not in vals:
            if not any(c.tag == "mote" for c in node.children):
                raise self.error(node, "<motetype> without <identifier> (and no <mote> inside it)")
            vals["identifier"] = f"motetype{number}"  # Cooja 4.x writes none: its motes are inside
        if "firmware" not in vals:
            raise self.error(
                node,
                f"mote type {vals['identifier']!r} has no <firmware>: only prebuilt firmware is supported",
            )
        if node.text != SKY_MOTE_TYPE:
            self.warn(node, f"mote type class {node.text!r} is not {SKY_MOTE_TYPE}")
        return MoteTypeSpec(
            identifier=vals["identifier"],
            description=vals.get("description", vals["identifier"]),
            firmware=vals["firmware"],
            class_name=node.text,
            source=vals.get("source"),
            commands=vals.get("commands"),
            interfaces=interfaces,
            line=node.line,
        )

    def mote(self, node: _Node, type_id: str | None = None) -> MoteSpec:
        mote_id = None
        pos = (0.0, 0.0, 0.0)
        for c in node.children:
            if c.tag == "interface_config":
                c.text = _class_name(c.text)
                if c.text == POSITION_IF:
                    coords = {}
                    for p in c.children:
                        if p.tag in ("x", "y", "z"):
                            coords[p.tag] = self.number(p)
                        elif p.tag == "pos":  # Cooja 4.x: <pos x=".." y=".." z=".."/> (z left out when 0)
                            for axis in ("x", "y", "z"):
                                if axis in p.attrs:
                                    coords[axis] = self.number(_Node(axis, {}, p.line, p.attrs[axis]))
                        else:
                            self.unknown(p, "interface_config")
                    pos = (coords.get("x", 0.0), coords.get("y", 0.0), coords.get("z", 0.0))
                elif c.text.endswith("MoteID"):
                    idn = c.child("id")
                    if idn is None:
                        raise self.error(c, "mote id interface without <id>")
                    mote_id = self.number(idn, int)
                # other interface configs (serial history, ...) carry GUI state only
            elif c.tag == "motetype_identifier":
                if type_id is not None and c.text != type_id:
                    raise self.error(c, f"mote inside mote type {type_id!r} names type {c.text!r}")
                type_id = c.text
            elif c.tag == "breakpoints":
                pass
            else:
                self.unknown(c, "mote")
        if mote_id is None:
            raise self.error(node, f"<mote> without a {MSP_MOTE_ID_IF} <id>")
        if type_id is None:
            raise self.error(node, f"mote {mote_id} has no <motetype_identifier>")
        return MoteSpec(mote_id, type_id, *pos, line=node.line)

    def plugin(self, node: _Node) -> PluginSpec:
        spec = PluginSpec(_class_name(node.text), line=node.line)
        if spec.class_name not in KNOWN_PLUGINS:
            self.warn(node, f"unknown plugin {node.text!r} ignored")
        for c in node.children:
            if c.tag == "mote_arg":
                spec.mote_arg = self.number(c, int)
            elif c.tag == "plugin_config":
                spec.config = [(p.tag, p.text) for p in c.children]
                if node.text == SERIAL_SOCKET_SERVER:
                    for p in c.children:
                        if p.tag == "port":
                            port = self.number(p, int)
                            if not 1 <= port <= 65535:
                                raise self.error(p, f"serial socket port {port} outside 1..65535")
                        elif p.tag not in ("bound", "commands"):
                            self.unknown(p, "plugin_config")
                elif node.text == SCRIPT_RUNNER:
                    for p in c.children:
                        if p.tag not in ("script", "scriptfile", "active"):
                            self.unknown(p, "plugin_config")
            elif c.tag not in _PLUGIN_LAYOUT:
                self.unknown(c, "plugin")
        return spec

    def check(self, sim: CscSimulation) -> None:
        types = {}
        for t in sim.mote_types:
            if t.identifier in types:
                raise CscError(f"{self.where}:{t.line}: duplicate mote type identifier {t.identifier!r}")
            types[t.identifier] = t
        ids: dict[int, MoteSpec] = {}
        for m in sim.motes:
            if m.mote_id in ids:
                raise CscError(
                    f"{self.where}:{m.line}: duplicate mote id {m.mote_id} "
                    f"(first at line {ids[m.mote_id].line})"
                )
            if m.mote_id < 1 or m.mote_id > 0xFFFF:
                raise CscError(f"{self.where}:{m.line}: mote id {m.mote_id} outside 1..65535")
            if m.type_identifier not in types:
                raise CscError(
                    f"{self.where}:{m.line}: mote {m.mote_id} uses unknown mote type {m.type_identifier!r}"
                )
            ids[m.mote_id] = m
        for p in sim.plugins:
            if p.mote_arg is not None and not 0 <= p.mote_arg < len(sim.motes):
                raise CscError(
                    f"{self.where}:{p.line}: plugin {p.class_name} refers to mote index {p.mote_arg} "
                    f"but the simulation has {len(sim.motes)} motes"
                )


def parse_csc(text: str | bytes, where: str = "<string>") -> CscSimulation:
    """Parse .csc text; CscError with the line when it is not a simulation we can run."""
    data = text.encode() if isinstance(text, str) else text
    reader = _Reader(where)
    sim = reader.read(_parse_xml(data, where))
    sim.warnings = reader.warnings
    return sim


def read_csc(path: str | Path, *, check_firmware: bool = True) -> CscSimulation:
    """Read a `.csc`. Raises CscError (file:line) for malformed XML and unusable content; unknown
    elements are collected in `.warnings`. With `check_firmware`, every firmware file that can be
    resolved locally must exist."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CscError(f"{path}: cannot read: {exc.strerror}") from None
    sim = parse_csc(data, str(path))
    sim.path = path.resolve()
    if check_firmware:
        check_firmware_files(sim)
    return sim


def check_firmware_files(sim: CscSimulation) -> None:
    """Check every firmware file the simulation names exists; CscError saying how to build a missing one."""
    where = str(sim.path) if sim.path else "<string>"
    for t in sim.mote_types:
        p = sim.resolve_path(t.firmware)
        if p is not None and not p.is_file():
            hint = ""
            if p.suffix == ".sky":
                hint = f" (build it: esse build {p.stem})"
            loc = f"{where}:{t.line}" if t.line else where
            raise CscError(f"{loc}: firmware of mote type {t.identifier!r} not found: {p}{hint}")


# ---------------------------------------------------------------- writing
def _fmt_float(v: float) -> str:
    return repr(float(v))  # Java's Double.toString style for the values we use ("50.0", "0.85")


def render_csc(sim: CscSimulation) -> str:
    """The simulation as .csc text (our Cooja-compatible template)."""
    from harness.sim.templates import environment

    return environment().get_template("sim.csc.j2").render(sim=sim, fmt=_fmt_float)


def write_csc(sim: CscSimulation, path: str | Path) -> Path:
    """Write the simulation as a .csc file; its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_csc(sim))
    return path
