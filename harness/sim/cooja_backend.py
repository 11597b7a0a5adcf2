"""Run a `.csc` in the real Cooja (headless) and gather its outputs into our output layout.

Command lines:
* Cooja 3.x (Contiki 3.x, `ant jar` → tools/cooja/dist/cooja.jar), run in the output directory
  (it writes COOJA.testlog to its working directory):
      java -jar cooja.jar -nogui=SIM.csc -contiki=DIR [-random-seed=N]
* Cooja 4.x (Contiki-NG's tools/cooja):
      java -jar cooja.jar --no-gui --contiki=DIR [--random-seed=N] --logdir=OUT SIM.csc

Outputs gathered from the run directory: the test log (`COOJA.testlog` or `<name>.testlog`), parsed
into our `COOJA.testlog`, `mote-output.log` and, when the script logged PowerTracker statistics,
`power-radio.json`; any radio log `*.pcap` is copied to `radio.pcap`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from harness import proc
from harness.sim.engine import MoteLine
from harness.sim.output import mote_log_text, testlog_text

JAVA_INSTALL = "apt-get install default-jre-headless"
COOJA_JAR_HINT = (
    "Cooja is not packaged for Debian; build its jar from the Contiki sources:\n"
    "    Cooja 3.x: git clone --recursive https://github.com/contiki-os/contiki && "
    "cd contiki/tools/cooja && ant jar   (gives dist/cooja.jar; needs: apt-get install ant)\n"
    "    Cooja 4.x: git clone --recursive https://github.com/contiki-ng/contiki-ng && "
    "cd contiki-ng/tools/cooja && ./gradlew jar   (the jar lands under build/libs/)"
)
GENERATIONS = ("3", "4")


class CoojaUnavailable(RuntimeError):
    """Something the real Cooja needs is missing; the message says what and how to get it."""


def cooja_from_env() -> tuple[Path, Path] | None:
    """(cooja.jar, Contiki tree) named by ESSE_COOJA (ESSE_CONTIKI overrides the tree, default the jar's
    ../../..), or None when no Cooja is named."""
    jar = os.environ.get("ESSE_COOJA")
    if not jar:
        return None
    return Path(jar), Path(os.environ.get("ESSE_CONTIKI") or Path(jar).resolve().parents[3])


def cooja_argv(
    csc: Path,
    jar: Path,
    contiki: Path,
    *,
    seed: int | None = None,
    generation: str = "3",
    logdir: Path | None = None,
    java: str = "java",
) -> list[str]:
    """The command line that runs a .csc headless in Cooja (generation 3 or 4 of its launcher)."""
    if generation == "3":
        argv = [java, "-jar", str(jar), f"-nogui={csc}", f"-contiki={contiki}"]
        if seed is not None:
            argv.append(f"-random-seed={seed}")
        return argv
    if generation == "4":
        argv = [java, "-jar", str(jar), "--no-gui", f"--contiki={contiki}"]
        if seed is not None:
            argv.append(f"--random-seed={seed}")
        if logdir is not None:
            argv.append(f"--logdir={logdir}")
        argv.append(str(csc))
        return argv
    raise ValueError(f"unknown Cooja generation {generation!r} (known: {', '.join(GENERATIONS)})")


def check_requirements(jar: Path, contiki: Path, java: str = "java") -> str:
    """Path of java; raises CoojaUnavailable/ToolMissing naming what is missing."""
    java_path = proc.require(java, JAVA_INSTALL)
    if not jar.is_file():
        raise CoojaUnavailable(f"Cooja jar not found: {jar}\n{COOJA_JAR_HINT}")
    if not contiki.is_dir():
        raise CoojaUnavailable(
            f"Contiki directory not found: {contiki} (give --contiki DIR, the Contiki source tree)"
        )
    return java_path


# ---------------------------------------------------------------- log parsing
_SCRIPT_LINE = re.compile(r"^(\d+) (\d+) (.*)$")
_MOTE_LOG_LINE = re.compile(r"^(\d+)\tID:(\d+)\t(.*)$")
_POWER_LINE = re.compile(r"^(?P<name>.*?)[ _]?(?P<id>\d+) (?P<state>MONITORED|ON|TX|RX|INT) (?P<us>\d+) us")


@dataclass
class CoojaTestlog:
    """What a Cooja run's COOJA.testlog says: seed, verdict, logged mote output, radio statistics."""
    seed: int | None = None
    verdict: bool | None = None
    lines: list[MoteLine] = field(default_factory=list)  # mote output the script logged
    other: list[str] = field(default_factory=list)  # any other script log line
    radio_us: dict[int, dict[str, int]] = field(default_factory=dict)  # PowerTracker statistics


def parse_testlog(text: str) -> CoojaTestlog:
    """Parse a Cooja test log: `Random seed: N`, script log lines, `TEST OK` / `TEST FAILED`.
    Lines `<time µs> <id> <text>` (what our generated script logs) become mote output lines;
    PowerTracker `radioStatistics()` lines (`<mote> <STATE> <µs> us [<pct> %]`) become radio times."""
    log = CoojaTestlog()
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        if line.startswith("Random seed: "):
            log.seed = int(line.split(":", 1)[1])
        elif line == "TEST OK":
            log.verdict = True
        elif line == "TEST FAILED":
            log.verdict = False
        elif m := _POWER_LINE.match(line):
            log.radio_us.setdefault(int(m["id"]), {})[m["state"]] = int(m["us"])
        elif m := _SCRIPT_LINE.match(line):
            log.lines.append(MoteLine(int(m[1]), int(m[2]), m[3]))
        elif line:
            log.other.append(line)
    return log


def parse_mote_log(text: str) -> list[MoteLine]:
    """Parse `<time µs>\\tID:<n>\\t<text>` lines (Cooja's mote output format)."""
    out = []
    for n, raw in enumerate(text.splitlines(), start=1):
        if not raw:
            continue
        m = _MOTE_LOG_LINE.match(raw)
        if m is None:
            raise ValueError(f"line {n}: not a '<time>\\tID:<n>\\t<text>' mote output line: {raw!r}")
        out.append(MoteLine(int(m[1]), int(m[2]), m[3]))
    return out


def gather_outputs(run_dir: Path, out_dir: Path, seed: int | None) -> dict[str, Path]:
    """Turn what Cooja left in `run_dir` into our layout in `out_dir`."""
    logs = sorted(run_dir.glob("*.testlog"))
    if not logs:
        raise CoojaUnavailable(
            f"Cooja left no *.testlog in {run_dir} (did the simulation start? see cooja.out)"
        )
    log = parse_testlog(logs[0].read_text(errors="replace"))
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {}
    eff_seed = log.seed if log.seed is not None else (seed or 0)
    target = out_dir / "COOJA.testlog"
    if logs[0].resolve() != target.resolve():
        target.write_text(testlog_text(eff_seed, log.lines, log.verdict))
    files["testlog"] = target
    files["mote_log"] = out_dir / "mote-output.log"
    files["mote_log"].write_text(mote_log_text(log.lines))
    if log.radio_us:
        files["power_radio"] = out_dir / "power-radio.json"
        files["power_radio"].write_text(
            json.dumps({str(k): v for k, v in sorted(log.radio_us.items())}, indent=2) + "\n"
        )
    pcaps = sorted(p for p in run_dir.glob("*.pcap") if p.name != "radio.pcap" or run_dir != out_dir)
    if pcaps:
        files["pcap"] = out_dir / "radio.pcap"
        if pcaps[0].resolve() != files["pcap"].resolve():
            shutil.copyfile(pcaps[0], files["pcap"])
    return files


def run_cooja(
    csc: Path,
    jar: Path,
    contiki: Path,
    out_dir: Path,
    *,
    seed: int | None = None,
    generation: str = "3",
    dry_run: bool = False,
    timeout: float | None = None,
) -> tuple[proc.Result, dict[str, Path]]:
    """Run a .csc in the real Cooja; the result and the output files it wrote."""
    csc, jar, contiki, out_dir = (p.resolve() for p in (csc, jar, contiki, out_dir))
    argv = cooja_argv(
        csc, jar, contiki, seed=seed, generation=generation, logdir=out_dir if generation == "4" else None
    )
    if dry_run:
        return proc.run(argv, dry_run=True), {}
    if not csc.is_file():
        raise CoojaUnavailable(f"simulation file not found: {csc}")
    check_requirements(jar, contiki, argv[0])
    out_dir.mkdir(parents=True, exist_ok=True)
    result = proc.run(argv, cwd=out_dir, check=False, timeout=timeout)
    (out_dir / "cooja.out").write_text(result.stdout + result.stderr)
    if result.returncode != 0 and not list(out_dir.glob("*.testlog")):
        raise proc.CommandFailed(result.argv, result.returncode, result.stdout + result.stderr)
    return result, gather_outputs(out_dir, out_dir, seed)
