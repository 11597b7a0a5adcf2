"""ASan+UBSan host builds of the firmware C fuzz targets in tests/fuzz/c, and bounded runs of them."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from harness.paths import REPO_ROOT

FIRMWARE = REPO_ROOT / "firmware"
FUZZ_C = REPO_ROOT / "tests" / "fuzz" / "c"
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g", "-O1", "-Wall", "-Wextra"]
TARGETS: dict[str, list[Path]] = {
    "record": [
        FIRMWARE / "dtls_record" / name
        for name in (
            "esse_util.c", "aes128.c", "ccm.c", "dtls_record.c", "keystate.c", "replay.c", "record_aead.c"
        )
    ] + [FIRMWARE / "ssm_client" / "ssm_client.c", FUZZ_C / "fuzz_record.c"],
    # The net stack as tests/net/nethost.py builds it (host_glue.c is the platform and the MAC).
    "net": sorted(p for p in (FIRMWARE / "net").glob("*.c")
                  if p.name not in {"netplat_sky.c", "radio_cc2420.c", "mac802154.c"})
    + [FIRMWARE / "apps" / "ccs" / "ccs_app.c", FIRMWARE / "apps" / "ccs" / "ccs_temperature.c",
       REPO_ROOT / "tests" / "net" / "host" / "host_glue.c", FUZZ_C / "fuzz_net.c"],
}
INCLUDES = [FIRMWARE / "dtls_record", FIRMWARE / "ssm_client", FIRMWARE / "net", FIRMWARE / "apps" / "ccs"]


class FuzzBuildError(RuntimeError):
    """The sanitizer build of a fuzz target failed (compiler missing or errors)."""


@dataclass
class FuzzResult:
    """Outcome of one bounded run: executions, seconds, and the reproducer path if it crashed."""

    target: str
    runs: int
    seconds: float
    crashed: bool
    reproducer: Path | None
    log: str


def compiler() -> str:
    """A C compiler whose ASan+UBSan runtime links here (clang-16 needs libclang-rt-16-dev; else gcc)."""
    for name in ("clang-16", "clang", "gcc"):
        if not shutil.which(name):
            continue
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / "probe.c"
            src.write_text("int main(void) { return 0; }\n")
            probe = [name, *SANITIZE, "-o", str(Path(tmp) / "probe"), str(src)]
            if subprocess.run(probe, capture_output=True, check=False).returncode == 0:
                return name
    raise FuzzBuildError("no C compiler with an ASan/UBSan runtime: install gcc or libclang-rt-16-dev")


def build(target: str, out_dir: Path) -> Path:
    """Compile TARGET with the standalone mutation driver under ASan+UBSan into out_dir."""
    if target not in TARGETS:
        raise FuzzBuildError(f"unknown fuzz target {target!r}; known: {', '.join(TARGETS)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    exe = out_dir / f"fuzz_{target}"
    inputs = [*TARGETS[target], FUZZ_C / "driver.c", *(h for d in INCLUDES for h in d.glob("*.h"))]
    if exe.exists() and exe.stat().st_mtime >= max(p.stat().st_mtime for p in inputs):
        return exe  # up to date: long runs call this once a batch
    cmd = [compiler(), *SANITIZE, "-std=c99", *(f"-I{d}" for d in INCLUDES), "-o", str(exe),
           *map(str, TARGETS[target]), str(FUZZ_C / "driver.c")]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise FuzzBuildError(f"building fuzz target {target} failed:\n{proc.stderr}")
    return exe


def run(target: str, corpus: Path, out_dir: Path, runs: int, seed: int = 1) -> FuzzResult:
    """Build TARGET and run it on its corpus plus `runs` seeded mutations; keep a crash's reproducer."""
    exe = build(target, out_dir)
    crash = out_dir / f"crash-{target}-{seed}"
    files = sorted(str(p) for p in corpus.iterdir() if p.is_file())
    start = time.monotonic()
    proc = subprocess.run([str(exe), str(seed), str(runs), str(crash), *files],
                          capture_output=True, text=True, check=False)
    seconds = time.monotonic() - start
    crashed = proc.returncode != 0
    return FuzzResult(target, runs + len(files), seconds, crashed, crash if crashed else None,
                      proc.stdout + proc.stderr)


def fuzz_for(target: str, seconds: float, out_dir: Path, seed: int = 1, batch: int = 50_000) -> str:
    """Run TARGET in seeded batches for about `seconds`: a summary with exec/s, or the crash and its input."""
    corpus = REPO_ROOT / "tests" / "fuzz" / "corpus" / target
    total, spent, deadline = 0, 0.0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = run(target, corpus, out_dir, batch, seed)
        total += result.runs
        spent += result.seconds
        if result.crashed:
            return f"{target}: CRASH at seed {seed}, reproducer {result.reproducer}\n{result.log[-4000:]}"
        seed += 1
    return f"{target}: {total} executions in {spent:.1f} s ({total / max(spent, 1e-9):.0f} exec/s), no crash"

