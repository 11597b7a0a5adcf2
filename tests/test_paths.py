"""Where the source tree is: next to the package, or ESSE_ROOT; without one, errors say so."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from harness import paths

PROBE = """
import sys
from harness import paths
from harness.build import BuildError
from harness.build.firmware import build_all
from harness.sim import templates
print(paths.REPO_ROOT)
if not paths.FIRMWARE_DIR.is_dir():  # with a tree this would build every app
    try:
        build_all()
    except BuildError as exc:
        print("build:", exc)
try:
    print("template:", templates.environment().get_template("sim.csc.j2").name)
except FileNotFoundError as exc:
    print("templates:", exc)
"""


def probe(root: Path) -> list[str]:
    env = {**os.environ, "ESSE_ROOT": str(root)}
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True,
                         cwd=root)
    return out.stdout.splitlines()


def test_without_a_source_tree_the_errors_say_what_is_missing_and_what_to_do(tmp_path):
    lines = probe(tmp_path)
    assert lines[0] == str(tmp_path.resolve())
    build = next(ln for ln in lines if ln.startswith("build:"))
    sim = next(ln for ln in lines if ln.startswith("templates:"))
    for line in (build, sim):
        assert f"no ESSE source tree at {tmp_path.resolve()}" in line
        assert "pip install -e ." in line and "ESSE_ROOT" in line


def test_esse_root_points_at_a_checkout(tmp_path):
    checkout = tmp_path / "checkout"
    checkout.symlink_to(paths.REPO_ROOT, target_is_directory=True)
    assert probe(checkout) == [str(paths.REPO_ROOT), "template: sim.csc.j2"]
    assert paths.checkout_hint() == ""
