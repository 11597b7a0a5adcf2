"""Coverage-guided fuzzing of the firmware C: libFuzzer builds (clang-16, ASan+UBSan), runs, replays.

Each target in tests/fuzz/c links the firmware sources it exercises with libFuzzer's runtime
(libclang-rt-16-dev). A run mutates a scratch copy of the committed seed corpus (tests/fuzz/corpus/<target>)
guided by edge coverage; a crash leaves its input in tests/fuzz/crashes/<target>/, which
test_fuzz_regressions.py replays on every test run.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from harness.paths import REPO_ROOT, build_dir

FIRMWARE = REPO_ROOT / "firmware"
FUZZ_DIR = REPO_ROOT / "tests" / "fuzz"
FUZZ_C = FUZZ_DIR / "c"
CORPUS = FUZZ_DIR / "corpus"
CRASHES = FUZZ_DIR / "crashes"
DICTS = FUZZ_DIR / "dict"
HOST_NET = REPO_ROOT / "tests" / "net" / "host"
CLANG = "clang-16"
FLAGS = ["-fsanitize=fuzzer,address,undefined", "-fno-sanitize-recover=all", "-g", "-O1", "-std=c99",
         "-Wall", "-Wextra"]

RECORD = [FIRMWARE / "dtls_record" / name for name in
          ("esse_util.c", "aes128.c", "ccm.c", "dtls_record.c", "keystate.c", "replay.c", "record_aead.c")]
# The net stack as tests/net/nethost.py builds it: host_glue.c is the platform and the MAC.
NET = sorted(p for p in (FIRMWARE / "net").glob("*.c")
             if p.name not in {"netplat_sky.c", "radio_cc2420.c", "mac802154.c"})
CCS = FIRMWARE / "apps" / "ccs"
TARGETS: dict[str, list[Path]] = {
    "record": [*RECORD, FUZZ_C / "fuzz_record.c"],
    "ssm": [*RECORD, FIRMWARE / "ssm_client" / "ssm_client.c", *NET, HOST_NET / "host_glue.c",
            *(CCS / f"ccs_{name}.c" for name in ("app", "temperature", "secure", "coaps")),
            FUZZ_C / "infomem_ram.c", FUZZ_C / "fuzz_ssm.c"],
    "net": [*NET, CCS / "ccs_app.c", CCS / "ccs_temperature.c", HOST_NET / "host_glue.c",
            FUZZ_C / "fuzz_net.c"],
}
INCLUDES = [FIRMWARE / "dtls_record", FIRMWARE / "ssm_client", FIRMWARE / "net", FIRMWARE / "infomem", CCS,
            FUZZ_C]
# atheris targets (Python, coverage-guided through libFuzzer too): name -> module run with -m
PY_TARGETS = {"delegator": "tests.fuzz.atheris_delegator"}
ALL_TARGETS = [*TARGETS, *PY_TARGETS]
RUNTIME_HINT = "clang-16's libFuzzer runtime is missing: apt-get install clang-16 libclang-rt-16-dev"


class FuzzBuildError(RuntimeError):
    """A fuzz target could not be built (no libFuzzer runtime, or compile errors)."""


@dataclass
class FuzzStats:
    """One libFuzzer run: executions, exec/s, edge coverage and features, and crash inputs if any."""

    target: str
    seconds: float
    runs: int
    exec_per_s: int
    edges: int
    features: int
    corpus: int
    crashes: list[Path]
    log: str

    def summary(self) -> str:
        """One line for humans: the figures, or the crash inputs."""
        head = (f"{self.target}: {self.runs} runs in {self.seconds:.0f} s ({self.exec_per_s} exec/s), "
                f"cov {self.edges} edges, ft {self.features} features, corpus {self.corpus}")
        if self.crashes:
            return head + ", CRASH: " + " ".join(str(p) for p in self.crashes)
        return head + ", no crash"


def libfuzzer_missing(clang: str = CLANG) -> str | None:
    """Why `clang` cannot link a libFuzzer+ASan+UBSan binary here, or None when it can."""
    if shutil.which(clang) is None:
        return f"{clang} not installed: {RUNTIME_HINT}"
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "probe.c"
        src.write_text("#include <stddef.h>\n#include <stdint.h>\n"
                       "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {\n"
                       "  (void)d; (void)n; return 0;\n}\n")
        proc = subprocess.run([clang, *FLAGS, "-o", str(Path(tmp) / "probe"), str(src)],
                              capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        last = proc.stderr.strip().splitlines()[-1:] or ["link failed"]
        return f"{RUNTIME_HINT} ({last[0]})"
    return None


def missing(target: str) -> str | None:
    """Why TARGET cannot run on this machine (no libFuzzer runtime, no atheris), or None."""
    if target in PY_TARGETS:
        if importlib.util.find_spec("atheris") is None:
            return "atheris not installed: pip install atheris (pyproject.toml dev extra)"
        return None
    return libfuzzer_missing()


def command(target: str) -> list[str]:
    """The fuzzer executable of TARGET and its first arguments (a C target is built first)."""
    if target in PY_TARGETS:
        return [sys.executable, "-m", PY_TARGETS[target]]
    return [str(build(target))]


def _env() -> dict[str, str]:
    """The environment of a fuzzer process: the checkout importable (atheris), UBSan reports with stacks."""
    path = os.environ.get("PYTHONPATH", "")
    return {**os.environ, "PYTHONPATH": f"{REPO_ROOT}{os.pathsep}{path}" if path else str(REPO_ROOT),
            "UBSAN_OPTIONS": "print_stacktrace=1"}


def build(target: str) -> Path:
    """The libFuzzer binary of TARGET under build/fuzz, compiled when a source or header is newer."""
    if target not in TARGETS:
        raise FuzzBuildError(f"unknown fuzz target {target!r}; known: {', '.join(TARGETS)}")
    out_dir = build_dir() / "fuzz"
    out_dir.mkdir(parents=True, exist_ok=True)
    exe = out_dir / f"fuzz_{target}"
    inputs = [*TARGETS[target], *(h for d in [*INCLUDES, HOST_NET] for h in d.glob("*.h")), Path(__file__)]
    if exe.exists() and exe.stat().st_mtime >= max(p.stat().st_mtime for p in inputs):
        return exe
    why = libfuzzer_missing()
    if why:
        raise FuzzBuildError(why)
    tmp = exe.with_suffix(".tmp")
    cmd = [CLANG, *FLAGS, *(f"-I{d}" for d in INCLUDES), "-o", str(tmp), *map(str, TARGETS[target])]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise FuzzBuildError(f"building fuzz target {target} failed:\n{proc.stderr}")
    tmp.replace(exe)
    return exe


# Dictionaries (tests/fuzz/dict/*.dict) each target's runs take; libFuzzer reads one file, so they are joined.
DICT_PARTS = {"record": ["record"], "ssm": ["record", "coap"], "net": ["coap"], "delegator": ["record"]}


def options(target: str) -> list[str]:
    """libFuzzer flags every run of TARGET takes: its dictionary, quiet stdout, inputs up to 1 KiB."""
    joined = build_dir() / "fuzz" / f"{target}.dict"
    joined.parent.mkdir(parents=True, exist_ok=True)
    joined.write_text("".join((DICTS / f"{part}.dict").read_text() for part in DICT_PARTS[target]))
    return ["-close_fd_mask=1", "-max_len=1024", "-print_final_stats=1", f"-dict={joined}"]


_STAT = re.compile(r"^stat::(\w+):\s+(\d+)", re.M)
_COV = re.compile(r"cov: (\d+) ft: (\d+) corp: (\d+)")


def fuzz(target: str, seconds: float, work: Path, seed: int = 1, keep_crashes: bool = True) -> FuzzStats:
    """Fuzz TARGET for `seconds` from its committed seeds (scratch corpus in work); crashes go to CRASHES."""
    cmd = command(target)
    corpus = work / "corpus"
    artifacts = work / "artifacts"
    corpus.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    cmd += [*options(target), f"-max_total_time={max(1, round(seconds))}", f"-seed={seed}",
            f"-artifact_prefix={artifacts}/", str(corpus), str(CORPUS / target)]
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=REPO_ROOT, env=_env())
    spent = time.monotonic() - start
    log = proc.stderr
    stats = {k: int(v) for k, v in _STAT.findall(log)}
    cov = _COV.findall(log)
    edges, features, size = map(int, cov[-1]) if cov else (0, 0, 0)
    found = sorted(artifacts.iterdir())
    if found and keep_crashes:
        kept_dir = CRASHES / target
        kept_dir.mkdir(parents=True, exist_ok=True)
        found = [Path(shutil.copy(p, kept_dir / p.name)) for p in found]
    runs = stats.get("number_of_executed_units", 0)
    return FuzzStats(target, spent, runs, stats.get("average_exec_per_sec", 0), edges, features, size,
                     found, log)


def replay(target: str, inputs: list[Path]) -> subprocess.CompletedProcess[str]:
    """Run TARGET once on each input file (no mutation): the exit status says whether any crashed."""
    return subprocess.run([*command(target), *options(target), "-runs=1", *map(str, inputs)],
                          capture_output=True, text=True, check=False, cwd=REPO_ROOT, env=_env())
