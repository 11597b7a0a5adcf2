"""TOML scenarios: a small description of a simulation that renders to a Cooja `.csc`.

    title = "Two motes"
    seed = 123456
    duration_s = 30.0
    motedelay_us = 1000000        # motes power on at seeded offsets in [0, this) (Cooja's default)
    translate = false             # our engine only: emulated motes run their flash code as compiled
                                  # host C (same results, faster; `esse sim run --translate`)

    [medium]                      # UDGM; every key optional
    transmitting_range = 50.0
    interference_range = 100.0
    success_ratio_tx = 1.0
    success_ratio_rx = 1.0

    [topology]                    # kind: manual | line | grid | random
    kind = "line"
    spacing = 20.0                # line, grid
    columns = 3                   # grid
    width = 100.0                 # random (height too); positions drawn from `seed`
    seed = 7                      # random; defaults to the simulation seed

    [[motes]]                     # ids are given 1, 2, ... in order
    app = "radiotest"             # firmware: <build dir>/radiotest/radiotest.sky
    count = 2                     # several motes of this app (not with `position`)
    adc = { temperature = 2400, light = 300 }  # ADC12 input values (0..4095) of these motes, by
                                  # channel number ("0".."15") or name (temperature = 10, light = 4)
    sht11 = { temperature = -5.0, humidity = 80.0 }  # the SHT11's environment (C, %RH; default 25, 50)
    # position = [0.0, 0.0, 0.0]  # manual topology only

    [success]                     # optional: regex on mote output
    regex = "acked=1|RX len=50 crc=1"
    motes = "all"                 # "all", "any", a mote id or a list of ids
    fail_regex = "init failed"    # optional: any mote printing a match fails the run at once
    stop = true                   # false: our engine runs on to duration_s after success (demos
                                  # with a bridge); Cooja's script still ends its test there

    [serial]                      # optional: SerialSocketServer per mote
    motes = [1]                   # or "all"
    base_port = 60000             # port = base_port + mote id

    [power]
    tracker = true                # adds Cooja's PowerTracker plugin

The success condition is written into the `.csc` as a ScriptRunner script (Cooja runs it) that
carries `// esse-success ...` (and `// esse-fail regex=...`, `// esse-keep-running`) comments, so our
engine can read the same condition back. ADC values
travel the same way: one `// esse-adc mote=<id> ch=<channel> value=<0..4095>` comment per value, and
SHT11 environments as `// esse-sht11 mote=<id> temperature=<C> humidity=<%RH>`.
"""

from __future__ import annotations

import json
import os
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from harness.configfile import describe_errors, read_toml
from harness.paths import build_dir
from harness.sim.csc import (
    POWER_TRACKER,
    SCRIPT_RUNNER,
    SERIAL_SOCKET_SERVER,
    SKY_INTERFACES_BY_GENERATION,
    CscError,
    CscSimulation,
    MoteSpec,
    MoteTypeSpec,
    PluginSpec,
)
from harness.sim.medium import UDGMParams
from harness.wire.infomem import Identity

TOPOLOGIES = ("manual", "line", "grid", "random")
# Cooja 3.x loads PowerTracker from its powertracker app (bare class name); 4.x has it built in.
POWER_TRACKER_BY_GENERATION = {"3": POWER_TRACKER, "4": "org.contikios.cooja.plugins.PowerTracker"}


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names the file and the key."""


@dataclass
class Success:
    """The success condition of a scenario: a regex on one or all of some motes' output."""
    regex: str
    motes: list[int] | None  # None: any mote
    require_all: bool
    fail_regex: str | None = None  # a line of any mote matching it fails the run at once
    stop: bool = True  # False: our engine runs to the duration after success (Cooja's test ends)


@dataclass
class Scenario:
    """A runnable scenario: the simulation, its duration and success condition."""
    sim: CscSimulation
    duration_s: float | None
    success: Success | None
    source: Path | None = None
    translate: bool = False  # run the emulated motes translated (not in the .csc: a run option)


# ---- the schema of a TOML scenario (types and ranges; cross checks such as mote ids follow below) ----

_STRICT = ConfigDict(extra="forbid", strict=True)
_Num = Annotated[float, Field(strict=False, allow_inf_nan=False)]


def _mote_ids(value: Any) -> Any:
    ok = value in ("all", "any") or (
        isinstance(value, list | int)
        and not isinstance(value, bool)
        and all(isinstance(v, int) and not isinstance(v, bool) and v >= 1
                for v in (value if isinstance(value, list) else [value]))
    )
    if not ok:
        raise ValueError('must be "all", "any", a mote id (>= 1) or a list of ids')
    return value


_MoteIds = Annotated[Any, AfterValidator(_mote_ids)]


class _Medium(BaseModel):
    model_config = _STRICT
    transmitting_range: Annotated[_Num, Field(ge=0)] = 50.0
    interference_range: Annotated[_Num, Field(ge=0)] = 100.0
    success_ratio_tx: Annotated[_Num, Field(ge=0, le=1)] = 1.0
    success_ratio_rx: Annotated[_Num, Field(ge=0, le=1)] = 1.0


class _Topology(BaseModel):
    model_config = _STRICT
    kind: Literal["manual", "line", "grid", "random"] = "line"
    spacing: Annotated[_Num, Field(ge=0)] = 20.0
    columns: int = Field(default=1, ge=1, le=10_000)
    width: Annotated[_Num, Field(ge=0)] = 100.0
    height: Annotated[_Num, Field(ge=0)] = 100.0
    seed: int = 0


class _Motes(BaseModel):
    model_config = _STRICT
    app: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    count: int = Field(default=1, ge=1, le=10_000)
    adc: dict[str, int] | None = None
    sht11: dict[str, float] | None = None
    position: list[_Num] | None = Field(default=None, min_length=2, max_length=3)
    psk_dn: str | None = None  # one CCS mote's key for its information flash (checked by _psk_dn)


class _Success(BaseModel):
    model_config = _STRICT
    regex: str = Field(min_length=1)
    motes: _MoteIds = "any"
    fail_regex: str | None = Field(default=None, min_length=1)
    stop: bool = True

    @field_validator("regex", "fail_regex")
    @classmethod
    def _compiles(cls, v: str | None) -> str | None:
        try:
            re.compile(v or "")
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        if v is not None and "\n" in v:
            raise ValueError("must be one line")
        return v


class _Serial(BaseModel):
    model_config = _STRICT
    motes: _MoteIds = "all"
    base_port: int = Field(default=60000, ge=0, le=65534)


class _Power(BaseModel):
    model_config = _STRICT
    tracker: bool = False


class ScenarioFile(BaseModel):
    """The schema of a TOML scenario file (every table and key `load_scenario` reads)."""

    model_config = _STRICT
    title: str = "ESSE simulation"
    seed: int = Field(default=123456, ge=0, le=2**63 - 1)
    duration_s: Annotated[_Num, Field(gt=0)] | None = None
    motedelay_us: int = Field(default=1_000_000, ge=0)
    translate: bool = False
    medium: _Medium = _Medium()
    topology: _Topology = _Topology()
    motes: list[_Motes] = Field(min_length=1)
    success: _Success | None = None
    serial: _Serial | None = None
    power: _Power = _Power()
    # read and checked by `esse up` (harness/up.py); the simulation itself ignores them
    clients: dict[str, dict[str, Any]] = {}
    ssm: dict[str, Any] = {}
    ecdsa: dict[str, Any] = {}
    outbound: dict[str, Any] = {}


def _validate_schema(data: dict, where: str) -> None:
    """ScenarioError naming every bad key path with the allowed values."""
    try:
        ScenarioFile.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(f"{where}: {describe_errors(exc)}") from None


def firmware_for_app(app: str) -> Path:
    """The built firmware of an app (build/<app>/<app>.sky)."""
    return build_dir() / app / f"{app}.sky"


def _positions(topo: dict, n: int, sim_seed: int, where: str) -> list[tuple[float, float, float]]:
    kind = topo.get("kind", "line")
    if kind not in TOPOLOGIES:
        raise ScenarioError(f"{where}: [topology] kind {kind!r} is not one of {', '.join(TOPOLOGIES)}")
    spacing = float(topo.get("spacing", 20.0))
    if kind == "line":
        return [(i * spacing, 0.0, 0.0) for i in range(n)]
    if kind == "grid":
        cols = int(topo.get("columns", max(1, round(n**0.5))))
        if cols < 1:
            raise ScenarioError(f"{where}: [topology] columns must be at least 1")
        return [((i % cols) * spacing, (i // cols) * spacing, 0.0) for i in range(n)]
    if kind == "random":
        rng = random.Random(int(topo.get("seed", sim_seed)))
        w = float(topo.get("width", 100.0))
        h = float(topo.get("height", w))
        return [(round(rng.uniform(0, w), 3), round(rng.uniform(0, h), 3), 0.0) for _ in range(n)]
    return []  # manual: positions come from the motes


def _mote_ids_arg(value: object, ids: list[int], key: str, where: str) -> list[int] | None:
    if value in ("all", "any"):
        return list(ids) if value == "all" else None
    vals = [value] if isinstance(value, int) else value
    if not isinstance(vals, list) or not all(isinstance(v, int) for v in vals):
        raise ScenarioError(f'{where}: {key} must be "all", "any", a mote id or a list of ids')
    for v in vals:
        if v not in ids:
            raise ScenarioError(f"{where}: {key} names mote {v}, but the motes are {ids}")
    return list(vals)


ADC_NAMES = {"light": 4, "temperature": 10}  # Sky: light sensor on A4, internal temperature diode INCH 10


def _adc_values(raw: object, where: str) -> dict[int, int]:
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where}: adc must be a table like {{ temperature = 2400, light = 300 }}")
    out = {}
    for key, value in raw.items():
        ch = ADC_NAMES.get(key, int(key) if str(key).isdigit() else -1)
        if not 0 <= ch <= 15:
            raise ScenarioError(f"{where}: adc channel {key!r} is not 0..15 or one of {', '.join(ADC_NAMES)}")
        if not isinstance(value, int) or not 0 <= value <= 4095:
            raise ScenarioError(f"{where}: adc value {value!r} for {key!r} must be an integer 0..4095")
        out[ch] = value
    return out


SHT11_RANGES = {"temperature": (-40.0, 123.8), "humidity": (0.0, 100.0)}  # datasheet operating range


def _sht11_env(raw: object, where: str) -> tuple[float, float]:
    """A mote's SHT11 environment (temperature C, humidity %RH), defaults 25 C and 50 %RH."""
    if not isinstance(raw, dict) or set(raw) - set(SHT11_RANGES):
        raise ScenarioError(f"{where}: sht11 must be a table like {{ temperature = 21.5, humidity = 40.0 }}")
    out = []
    for key, default in (("temperature", 25.0), ("humidity", 50.0)):
        value = raw.get(key, default)
        lo, hi = SHT11_RANGES[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
            raise ScenarioError(f"{where}: sht11 {key} {value!r} must be a number {lo:g}..{hi:g}")
        out.append(float(value))
    return out[0], out[1]


def _psk_dn(m: dict, where: str) -> bytes:
    """A mote's PSK_DN (32 hex digits); every mote has its own, so not with count > 1."""
    if int(m.get("count", 1)) != 1:
        raise ScenarioError(f"{where}: psk_dn is one mote's key; give each mote its own entry (no count)")
    try:
        key = bytes.fromhex(str(m["psk_dn"]))
    except ValueError:
        key = b""
    if len(key) != 16 or key == b"\xff" * 16:
        raise ScenarioError(
            f"{where}: psk_dn must be 16 bytes as 32 hex digits (not all ff), got {m['psk_dn']!r}"
        )
    return key


def _js_string(text: str) -> str:
    """A JavaScript string literal of `text` that survives Cooja's script preprocessing, which deletes
    `//` to the end of the line and `/* ... */` even inside strings (Contiki-NG cooja b980125c:
    java/org/contikios/cooja/script/ScriptParser.java): every `/` is written `\\/` (the same string)."""
    return json.dumps(text).replace("/", "\\/")


def success_script(
    success: Success | None,
    duration_s: float | None,
    adc: dict[int, dict[int, int]] | None = None,
    psk_dn: dict[int, bytes] | None = None,
    sht11: dict[int, tuple[float, float]] | None = None,
) -> str:
    """The Cooja ScriptRunner JavaScript for a success condition (run by real Cooja only)."""
    ms = int(round((duration_s or 3600.0) * 1000))
    lines = [
        f"// esse-adc mote={mote} ch={ch} value={value}"
        for mote, chans in sorted((adc or {}).items())
        for ch, value in sorted(chans.items())
    ]
    lines += [f"// esse-psk-dn mote={mote} key={key.hex()}" for mote, key in sorted((psk_dn or {}).items())]
    lines += [
        f"// esse-sht11 mote={mote} temperature={t!r} humidity={rh!r}"
        for mote, (t, rh) in sorted((sht11 or {}).items())
    ]
    if success is None:
        lines += ["// esse-success none", f"TIMEOUT({ms}, log.testOK());"]
        lines += [
            "while (true) {",
            '  if (msg) log.log(time + " " + id + " " + msg + "\\n");',
            "  YIELD();",
            "}",
        ]
        return "\n".join(lines)
    who = "any" if success.motes is None else ",".join(map(str, success.motes))
    lines.append(f"// esse-success motes={who} regex={success.regex}")
    if success.fail_regex is not None:
        lines.append(f"// esse-fail regex={success.fail_regex}")
    if not success.stop:
        lines.append("// esse-keep-running (our engine runs on after success; this test ends there)")
    lines.append(f"TIMEOUT({ms}, log.testFailed());")
    lines.append(f"var pattern = new RegExp({_js_string(success.regex)});")
    fail = "null" if success.fail_regex is None else f"new RegExp({_js_string(success.fail_regex)})"
    lines.append(f"var failure = {fail};")
    if success.motes is None:
        lines.append("var waiting = null;")
    else:
        lines.append("var waiting = {" + ", ".join(f"{i}: true" for i in success.motes) + "};")
    lines += [
        "while (true) {",
        "  if (msg) {",
        '    log.log(time + " " + id + " " + msg + "\\n");',
        "    if (failure != null && failure.test(msg)) {",
        "      log.testFailed();",
        "    } else if (pattern.test(msg)) {",
        "      if (waiting == null) {",
        "        log.testOK();",
        "      } else {",
        "        delete waiting[id];",
        "        if (Object.keys(waiting).length == 0) log.testOK();",
        "      }",
        "    }",
        "  }",
        "  YIELD();",
        "}",
    ]
    return "\n".join(lines)


def load_scenario(path: str | Path, csc_path: str | Path | None = None, generation: str = "3") -> Scenario:
    """Read a TOML scenario. `csc_path` (where the `.csc` will be written) makes firmware paths
    relative to it (`[CONFIG_DIR]/...`); otherwise they are absolute. `generation` ("3" or "4")
    picks the Cooja plugin class names that differ (PowerTracker)."""
    path = Path(path)
    where = str(path)
    try:
        data = read_toml(path, "scenario file")
    except ValueError as exc:
        raise ScenarioError(str(exc)) from None
    sc = scenario_from_dict(data, where, csc_path, generation)
    sc.source = path
    if csc_path is not None:
        sc.sim.path = Path(csc_path).resolve()
    return sc


def scenario_from_dict(
    data: dict, where: str = "<scenario>", csc_path: str | Path | None = None, generation: str = "3"
) -> Scenario:
    """A scenario from parsed TOML; ScenarioError naming the bad key or value."""
    _validate_schema(data, where)
    seed = data.get("seed", 123456)
    if not isinstance(seed, int):
        raise ScenarioError(f"{where}: seed must be an integer")
    sim = CscSimulation(title=str(data.get("title", "ESSE simulation")), random_seed=seed)
    if "motedelay_us" in data:
        delay = data["motedelay_us"]
        if not isinstance(delay, int) or isinstance(delay, bool) or delay < 0:
            raise ScenarioError(f"{where}: motedelay_us must be an integer >= 0 (µs), not {delay!r}")
        sim.motedelay_us = delay

    medium = data.get("medium", {})
    try:
        sim.medium = UDGMParams(**{k: float(v) for k, v in medium.items()})
    except (TypeError, ValueError) as exc:
        raise ScenarioError(f"{where}: [medium]: {exc}") from None

    motes_in = data.get("motes")
    if not motes_in:
        raise ScenarioError(f"{where}: no [[motes]]")
    topo = data.get("topology", {})
    kind = topo.get("kind", "line")
    entries: list[tuple[str, tuple[float, float, float] | None]] = []
    adc: dict[int, dict[int, int]] = {}
    psk_dn: dict[int, bytes] = {}
    sht11: dict[int, tuple[float, float]] = {}
    for i, m in enumerate(motes_in):
        if "sht11" in m:
            env = _sht11_env(m["sht11"], f"{where}: [[motes]] entry {i + 1}")
            for k in range(int(m.get("count", 1))):
                sht11[len(entries) + k + 1] = env
        if "psk_dn" in m:
            psk_dn[len(entries) + 1] = _psk_dn(m, f"{where}: [[motes]] entry {i + 1}")
        if "adc" in m:
            values = _adc_values(m["adc"], f"{where}: [[motes]] entry {i + 1}")
            for k in range(int(m.get("count", 1))):
                adc[len(entries) + k + 1] = dict(values)
        if "app" not in m:
            raise ScenarioError(f"{where}: [[motes]] entry {i + 1} has no app")
        count = int(m.get("count", 1))
        pos = m.get("position")
        if pos is not None:
            if kind != "manual":
                raise ScenarioError(
                    f'{where}: [[motes]] entry {i + 1}: position needs [topology] kind = "manual"'
                )
            if count != 1 or len(pos) not in (2, 3):
                raise ScenarioError(f"{where}: [[motes]] entry {i + 1}: position [x, y(, z)] is for one mote")
            pos = tuple(float(v) for v in pos) + ((0.0,) if len(pos) == 2 else ())
        elif kind == "manual":
            raise ScenarioError(f"{where}: [[motes]] entry {i + 1} needs a position (manual topology)")
        entries += [(m["app"], pos)] * count
    generated = _positions(topo, len(entries), seed, where)

    if generation not in POWER_TRACKER_BY_GENERATION:
        raise ScenarioError(f"{where}: unknown Cooja generation {generation!r} (3 or 4)")
    out_dir = Path(csc_path).resolve().parent if csc_path else None
    types: dict[str, MoteTypeSpec] = {}
    for n, (app, pos) in enumerate(entries, start=1):
        if app not in types:
            fw = firmware_for_app(app).resolve()
            fw_text = f"[CONFIG_DIR]/{os.path.relpath(fw, out_dir)}" if out_dir else str(fw)
            types[app] = MoteTypeSpec(
                identifier=f"sky_{app}",
                description=f"Sky mote: {app}",
                firmware=fw_text,
                interfaces=list(SKY_INTERFACES_BY_GENERATION[generation]),
            )
        x, y, z = pos if pos is not None else generated[n - 1]
        sim.motes.append(MoteSpec(n, types[app].identifier, x, y, z))
    sim.mote_types = list(types.values())
    ids = [m.mote_id for m in sim.motes]

    duration = data.get("duration_s")
    if duration is not None and (not isinstance(duration, int | float) or duration <= 0):
        raise ScenarioError(f"{where}: duration_s must be a positive number")

    success = None
    if "success" in data:
        s = data["success"]
        if "regex" not in s:
            raise ScenarioError(f"{where}: [success] needs regex")
        motes = _mote_ids_arg(s.get("motes", "any"), ids, "[success] motes", where)
        success = Success(
            str(s["regex"]),
            motes,
            require_all=motes is not None,
            fail_regex=s.get("fail_regex"),
            stop=bool(s.get("stop", True)),
        )
    sim.plugins.append(
        PluginSpec(
            SCRIPT_RUNNER,
            config=[("script", success_script(success, duration, adc, psk_dn, sht11)), ("active", "true")],
        )
    )

    serial = data.get("serial")
    if serial:
        base = int(serial.get("base_port", 60000))
        for mid in _mote_ids_arg(serial.get("motes", "all"), ids, "[serial] motes", where) or ids:
            port = base + mid
            if not 1 <= port <= 65535:
                raise ScenarioError(f"{where}: serial port {port} for mote {mid} outside 1..65535")
            sim.plugins.append(
                PluginSpec(
                    SERIAL_SOCKET_SERVER,
                    mote_arg=ids.index(mid),
                    config=[("port", str(port)), ("bound", "true")],
                )
            )
    if data.get("power", {}).get("tracker", False):
        sim.plugins.append(PluginSpec(POWER_TRACKER_BY_GENERATION[generation]))
    duration_s = float(duration) if duration is not None else None
    return Scenario(sim, duration_s, success, translate=bool(data.get("translate", False)))


def scenario_from_csc(sim: CscSimulation) -> Scenario:
    """Run settings of a `.csc`: duration from the script's TIMEOUT, success from our comment."""
    timeout = sim.timeout_ms()
    success = None
    cond = sim.esse_success()
    if cond is not None:
        who, regex = cond
        ids = [m.mote_id for m in sim.motes]
        fail, stop = sim.esse_fail(), not sim.esse_keep_running()
        if who == "all":  # hand-written files may say "all"
            success = Success(regex, ids, True, fail, stop)
        elif who == "any":
            success = Success(regex, None, False, fail, stop)
        else:
            try:
                success = Success(regex, [int(v) for v in who.split(",")], True, fail, stop)
            except ValueError:
                raise CscError(f"{sim.path}: bad esse-success motes={who!r}") from None
    elif sim.script() and "esse-success none" not in (sim.script() or ""):
        sim.warnings.append(
            f"{sim.path}: the ScriptRunner JavaScript is not run by our engine; "
            "give the success condition in a TOML scenario"
        )
    return Scenario(sim, timeout / 1000 if timeout is not None else None, success, sim.path)


FIRMWARE_MODES = ("copy", "point")


def bundle_firmware(sim: CscSimulation, out_dir: Path) -> None:
    """Copy every mote type's ELF into `out_dir` and refer to it as `[CONFIG_DIR]/<name>.sky`, so the
    `.csc` and its firmware move together; a mote with a psk_dn gets its own mote type whose ELF
    carries its identity in `.infomem` (Cooja loads that segment; it cannot run our esse-psk-dn
    comments). Our engine still writes the same identity from the comments: the result is equal."""
    import shutil

    from harness.build.provision import ProvisionError, provision_elf

    out_dir.mkdir(parents=True, exist_ok=True)
    psk_dn = sim.esse_psk_dn()
    types = {t.identifier: t for t in sim.mote_types}
    used: list[MoteTypeSpec] = []
    for t in sim.mote_types:
        src = sim.resolve_path(t.firmware)
        if src is None or not src.is_file():
            raise ScenarioError(f"firmware of mote type {t.identifier!r} not found: {src} "
                                f"(build it: esse build {Path(t.firmware).stem})")
        if src.resolve() != (out_dir / src.name).resolve():
            shutil.copyfile(src, out_dir / src.name)
        t.firmware = f"[CONFIG_DIR]/{src.name}"
    for m in sim.motes:
        t = types[m.type_identifier]
        if m.mote_id not in psk_dn:
            if t not in used:
                used.append(t)
            continue
        base = out_dir / Path(t.firmware).name
        own = out_dir / f"{base.stem}-node{m.mote_id}{base.suffix}"
        try:
            provision_elf(base, Identity(node_id=m.mote_id, psk_dn=psk_dn[m.mote_id]), own)
        except ProvisionError as exc:
            raise ScenarioError(f"mote {m.mote_id}: psk_dn: {exc}") from None
        mine = MoteTypeSpec(
            identifier=f"{t.identifier}_node{m.mote_id}",
            description=f"{t.description} (node {m.mote_id}, provisioned)",
            firmware=f"[CONFIG_DIR]/{own.name}",
            interfaces=list(t.interfaces),
        )
        used.append(mine)
        m.type_identifier = mine.identifier
    sim.mote_types = used


def render_scenario(
    path: str | Path, out: str | Path, generation: str = "3", firmware: str = "copy"
) -> Path:
    """Render a TOML scenario as a .csc at `out`; its path. `firmware`: "copy" puts the ELFs (and a
    provisioned ELF per psk_dn mote) beside the .csc; "point" refers to the build directory,
    relative to the .csc ([CONFIG_DIR]/../build/...)."""
    from harness.sim.csc import write_csc

    if firmware not in FIRMWARE_MODES:
        raise ScenarioError(f"firmware mode {firmware!r} is not one of {', '.join(FIRMWARE_MODES)}")
    sc = load_scenario(path, csc_path=out, generation=generation)
    if firmware == "copy":
        bundle_firmware(sc.sim, Path(out).resolve().parent)
    return write_csc(sc.sim, out)
