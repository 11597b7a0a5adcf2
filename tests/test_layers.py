"""Layering of harness/ (harness/layers.py): no import from a higher floor or a same-floor peer, no
import of `tests` from harness/ or tasks.py, no import cycle, every package placed on a floor.

The checker reads the source with `ast` (imports inside functions count: they are dependencies too)
and is itself tested on small made-up modules, so a rule that stopped firing would be noticed."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.layers import FLOORS, floor_of, unit_of

ROOT = Path(__file__).resolve().parent.parent
TESTS_PATH = re.compile(r"(^|[\s/\"'])tests(/|$)")  # "tests", "tests/x.py", "run tests/net/..."
# a module named in a string ("harness.tinydtls.profiles:build_profiles" for importlib): an import too
MODULE_STRING = re.compile(r"harness(\.\w+)+(:\w+)?")


@dataclass(frozen=True)
class Import:
    """One import statement's target as seen in one file."""

    path: str  # file, relative to the checkout
    line: int
    source: str  # importing module (dotted)
    target: str  # imported module (dotted), best guess for `from pkg import name`
    top_level: bool  # executed at import time (not inside a function)
    by_name: bool = False  # a module named in a string (importlib): only the upward rule applies


def module_name(rel: str) -> str:
    """Dotted module name of a file relative to the checkout (harness/ssm/__init__.py -> harness.ssm)."""
    parts = list(Path(rel).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(rel: str, text: str) -> tuple[list[Import], list[tuple[int, str]]]:
    """The imports of one file, and (line, text) of string constants (not docstrings) naming tests/."""
    tree = ast.parse(text, filename=rel)
    mod = module_name(rel)
    package = mod if rel.endswith("__init__.py") else mod.rpartition(".")[0]
    found: list[Import] = []
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    test_paths: list[tuple[int, str]] = []

    def visit(node: ast.AST, top: bool) -> None:
        if isinstance(node, ast.Import):
            found.extend(Import(rel, node.lineno, mod, a.name, top) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.extend(Import(rel, node.lineno, mod, f"{base}.{a.name}", top) for a in node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            if TESTS_PATH.search(node.value):
                test_paths.append((node.lineno, node.value))
            elif MODULE_STRING.fullmatch(node.value):  # loaded by name later: never at import time
                found.append(Import(rel, node.lineno, mod, node.value.partition(":")[0], False, by_name=True))
        inner = top and not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(tree, True)
    return found, test_paths


def violations(files: dict[str, str]) -> list[str]:
    """Every broken rule in these files ({path relative to the checkout: source}), one line each."""
    out: list[str] = []
    unit_edges: dict[str, set[str]] = {}
    module_edges: dict[str, set[str]] = {}
    modules = {module_name(rel) for rel in files}
    for rel, text in sorted(files.items()):
        found, test_paths = imports_of(rel, text)
        for line, value in test_paths:
            out.append(f"{rel}:{line}: names the tests/ tree {value!r}: product code runs no tests/ code")
        for imp in found:
            where = f"{imp.path}:{imp.line}: import {imp.target}"
            if imp.target == "tests" or imp.target.startswith("tests."):
                out.append(f"{where}: nothing under harness/ or tasks.py imports from tests/")
                continue
            if imp.source == "tasks":
                continue  # tasks.py is the top: it may call any harness code
            src, dst = unit_of(imp.source), unit_of(imp.target)
            if src is None or dst is None or src == dst:
                if dst is not None:
                    target_mod = imp.target if imp.target in modules else imp.target.rpartition(".")[0]
                    if imp.top_level and target_mod in modules and target_mod != imp.source:
                        module_edges.setdefault(imp.source, set()).add(target_mod)
                continue
            try:
                fs, fd = floor_of(src), floor_of(dst)
            except KeyError as exc:
                unit = exc.args[0]
                out.append(f"{where}: unit {unit!r} is on no floor: place it in harness/layers.py FLOORS")
                continue
            if imp.by_name and fd <= fs:
                continue  # the CLI naming its sub-command modules: a registry of the top floor
            unit_edges.setdefault(src, set()).add(dst)
            if fd > fs:
                out.append(
                    f"{where}: upward import, {src} (floor {FLOORS[fs][0]}) may not import "
                    f"{dst} (floor {FLOORS[fd][0]})"
                )
            elif fd == fs:
                peers = f"{src} and {dst} are peers on floor {FLOORS[fs][0]}"
                out.append(f"{where}: {peers} and stay independent")
    for kind, edges in (("package", unit_edges), ("module", module_edges)):
        for cycle in _cycles(edges):
            out.append(f"{kind} import cycle: {' -> '.join([*cycle, cycle[0]])}")
    return out


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan), each in a stable order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            strong(v)
    return found


def tree_files() -> dict[str, str]:
    """harness/**/*.py and tasks.py of this checkout."""
    files = {str(p.relative_to(ROOT)): p.read_text() for p in (ROOT / "harness").rglob("*.py")}
    files["tasks.py"] = (ROOT / "tasks.py").read_text()
    return files


def test_harness_layering() -> None:
    assert violations(tree_files()) == []


def test_every_package_is_placed() -> None:
    placed = {u for _, units in FLOORS for u in units}
    names = {p.parent.name for p in (ROOT / "harness").glob("*/__init__.py")}
    names |= {p.stem for p in (ROOT / "harness").glob("*.py")}
    missing = sorted(n for n in names if n not in placed)
    assert not missing, f"place these in harness/layers.py FLOORS: {missing}"


def test_packages_other_rooms_create_are_placed() -> None:
    for unit in ("target", "flash", "standin", "bench", "clock", "hostfw"):
        floor_of(unit)


@pytest.mark.parametrize(
    "files, expected",
    [
        ({"harness/wire/x.py": "from harness.ssm import protocol\n"},
         "harness/wire/x.py:1: import harness.ssm.protocol: upward import, wire (floor ground) may not "
         "import ssm (floor services)"),
        ({"harness/energy/model.py": "def f():\n    import harness.sim.engine\n"},
         "upward import, energy.model (floor energy.model) may not import sim"),
        ({"harness/ssm/a.py": "from harness.bridge.slip import x\n"},
         "ssm and bridge are peers on floor services"),
        ({"harness/build/a.py": 'EXTRA = ["harness.tinydtls.profiles:build_profiles"]\n'},
         "harness/build/a.py:1: import harness.tinydtls.profiles: upward import, build (floor build) may not "
         "import tinydtls (floor tinydtls)"),
        ({"harness/sim/a.py": "from tests.net import wpan\n"},
         "harness/sim/a.py:1: import tests.net.wpan: nothing under harness/ or tasks.py imports from tests/"),
        ({"tasks.py": "def t(c):\n    c.run('python tests/emulator/driver.py')\n"},
         "tasks.py:2: names the tests/ tree"),
        ({"harness/sim/a.py": 'import sys\nsys.path.insert(0, str(ROOT / "tests" / "net"))\n'},
         "harness/sim/a.py:2: names the tests/ tree 'tests'"),
        ({"harness/newpkg/a.py": "from harness.wire import dtls\n"},
         "unit 'newpkg' is on no floor"),
        ({"harness/ssm/a.py": "from harness.ssm import b\n", "harness/ssm/b.py": "from . import a\n"},
         "module import cycle: harness.ssm.a -> harness.ssm.b -> harness.ssm.a"),
    ],
)
def test_checker_catches(files: dict[str, str], expected: str) -> None:
    found = violations(files)
    assert any(expected in v for v in found), found


def test_checker_allows() -> None:
    files = {
        "harness/ssm/a.py": '"""see tests/ssm/test_x.py"""\nfrom harness.wire.ssm import MSG_RELAY\n'
                            "from harness.tinydtls import binding\nfrom . import b\n",
        "harness/ssm/b.py": "def f():\n    from harness.ssm import a\n",  # lazy: no import-time cycle
        "harness/energy/flights.py": "from harness.energy.model import energy_mj\n",
        "tasks.py": "def t(c):\n    from harness.bench.sim import main\n",
    }
    assert violations(files) == []


def test_unit_of() -> None:
    assert unit_of("harness.energy.model") == "energy.model"
    assert unit_of("harness.energy.report") == "energy"
    assert unit_of("harness") == "__init__"
    assert unit_of("cryptography.hazmat") is None
