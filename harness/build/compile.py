"""Incremental compilation: one object per source, rebuilt only when needed.

An object is up to date when it exists, its command line (stored next to it as `.cmd`) is
unchanged, and neither the source nor any header listed in its clang depfile (`-MMD`, `.d`) is
newer than the object. A changed header therefore rebuilds exactly the objects that include it.
Files whose mtime moved *backwards* (copied with rsync -a, tar, cp -p) are caught too: each
object keeps the mtime and SHA-1 of every input it was built from (`.sig`), and an input whose
mtime differs from the recorded one is compared by content.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from harness import paths
from harness.build.toolchain import ASM_FLAGS, C_FLAGS, COMMON_FLAGS, Toolchain
from harness.proc import CommandFailed, run

COMPILE_TIMEOUT_S = 300


class BuildError(RuntimeError):
    """A firmware build step failed; the message names the file and the tool output."""


@dataclass
class CompileUnit:
    source: Path
    include_dirs: Sequence[Path] = ()
    defines: Sequence[str] = ()
    cflags: Sequence[str] = ()


@dataclass
class CompileOutcome:
    objects: list[Path] = field(default_factory=list)
    compiled: list[Path] = field(default_factory=list)  # sources compiled in this run


def object_path(source: Path, obj_dir: Path) -> Path:
    """Where a source's object goes: mirrors its path below the repository or the build dir."""
    source = source.resolve()
    for prefix, root in (("", paths.REPO_ROOT), ("_build", paths.build_dir().resolve())):
        try:
            rel = source.relative_to(root)
        except ValueError:
            continue
        return obj_dir / prefix / rel.with_name(rel.name + ".o")
    digest = hashlib.sha1(str(source.parent).encode()).hexdigest()[:10]
    return obj_dir / "_abs" / digest / (source.name + ".o")


def compile_argv(tc: Toolchain, unit: CompileUnit, obj: Path) -> list[str]:
    lang = ASM_FLAGS if unit.source.suffix == ".S" else C_FLAGS
    argv = [tc.clang, *COMMON_FLAGS, *lang]
    argv += [f"-D{d}" for d in unit.defines]
    argv += [f"-I{d}" for d in unit.include_dirs]
    argv += ["-isystem", str(tc.mcu_include), *unit.cflags]
    argv += ["-MMD", "-MF", str(obj.with_suffix(".d")), "-c", str(unit.source), "-o", str(obj)]
    return argv


def parse_depfile(text: str) -> list[Path]:
    """The prerequisites of a make-style depfile written by clang -MMD."""
    text = text.replace("\\\n", " ")
    _, _, deps = text.partition(": ")
    out: list[Path] = []
    token = ""
    i = 0
    while i < len(deps):
        ch = deps[i]
        if ch == "\\" and i + 1 < len(deps) and deps[i + 1] == " ":
            token += " "
            i += 2
            continue
        if ch.isspace():
            if token:
                out.append(Path(token))
            token = ""
        else:
            token += ch
        i += 1
    if token:
        out.append(Path(token))
    return out


def _sha1(path: Path) -> str:
    return hashlib.sha1(path.read_bytes()).hexdigest()


def input_signature(dep_file: Path) -> dict[str, list]:
    """mtime and content hash of every input named in a depfile."""
    return {str(dep): [dep.stat().st_mtime_ns, _sha1(dep)] for dep in parse_depfile(dep_file.read_text())}


def is_up_to_date(obj: Path, argv: list[str]) -> bool:
    cmd_file, dep_file, sig_file = obj.with_suffix(".cmd"), obj.with_suffix(".d"), obj.with_suffix(".sig")
    if not (obj.is_file() and cmd_file.is_file() and dep_file.is_file() and sig_file.is_file()):
        return False
    if cmd_file.read_text() != json.dumps(argv):
        return False
    built = obj.stat().st_mtime_ns
    recorded = json.loads(sig_file.read_text())
    for dep in parse_depfile(dep_file.read_text()):
        try:
            mtime = dep.stat().st_mtime_ns
            if mtime > built:
                return False
            seen = recorded.get(str(dep))
            if seen is None or (mtime != seen[0] and _sha1(dep) != seen[1]):
                return False
        except FileNotFoundError:
            return False
    return True


def _compile_one(argv: list[str], obj: Path, source: Path) -> None:
    obj.parent.mkdir(parents=True, exist_ok=True)
    obj.with_suffix(".cmd").unlink(missing_ok=True)
    obj.with_suffix(".sig").unlink(missing_ok=True)
    try:
        result = run(argv, timeout=COMPILE_TIMEOUT_S)
    except CommandFailed as exc:
        raise BuildError(f"compiling {source} failed:\n{exc.output.strip()}") from exc
    except subprocess.TimeoutExpired as exc:
        raise BuildError(
            f"compiling {source} did not finish within {COMPILE_TIMEOUT_S} s (clang-16 can loop on"
            " some large functions at -Os; split the function or lower its optimisation)"
        ) from exc
    if result.stderr.strip():  # warnings: shown once, when the file is compiled
        print(result.stderr.rstrip(), file=sys.stderr)
    obj.with_suffix(".sig").write_text(json.dumps(input_signature(obj.with_suffix(".d"))))
    obj.with_suffix(".cmd").write_text(json.dumps(argv))


def compile_units(
    tc: Toolchain,
    units: Sequence[CompileUnit],
    obj_dir: Path,
    *,
    jobs: int | None = None,
    log: Callable[[str], None] | None = None,
) -> CompileOutcome:
    """Compile what is out of date (in parallel), return every object and what was compiled."""
    outcome = CompileOutcome()
    todo: list[tuple[list[str], Path, Path]] = []
    for unit in units:
        obj = object_path(unit.source, obj_dir)
        if obj in outcome.objects:
            raise BuildError(f"source listed twice: {unit.source}")
        argv = compile_argv(tc, unit, obj)
        outcome.objects.append(obj)
        if not is_up_to_date(obj, argv):
            todo.append((argv, obj, unit.source))
    for _, _, source in todo:
        if log:
            log(f"  CC  {_short(source)}")
    workers = max(1, min(jobs or os.cpu_count() or 1, len(todo) or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(_compile_one, *item) for item in todo]:
            future.result()
    outcome.compiled = [source for _, _, source in todo]
    return outcome


def _short(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(paths.REPO_ROOT))
    except ValueError:
        return str(p)
