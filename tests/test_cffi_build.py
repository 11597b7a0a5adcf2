"""harness/cffi_build.py: build-if-stale and the not-built error, with a stand-in build script that
writes the module file the way a cffi build script does (in place, next to itself)."""

import importlib.machinery
import os
import time

import pytest

from harness.cffi_build import CffiExtension, ExtensionNotBuilt

SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]


def make(tmp_path):
    script = tmp_path / "_build_demo.py"
    script.write_text(
        "from pathlib import Path\n"
        f"here = Path(__file__).parent\n(here / '_demo{SUFFIX}').write_text('built')\n"
        "with (here / 'runs').open('a') as runs:\n    runs.write('x')\n"
    )
    source = tmp_path / "demo.c"
    source.write_text("int x;\n")
    return CffiExtension("harness_demo_pkg._demo", script, lambda: [source]), source


def test_builds_when_missing_then_only_when_older_than_an_input(tmp_path):
    ext, _ = make(tmp_path)
    assert ext.built() is None and ext.is_stale()
    path = ext.ensure_built()
    assert path == tmp_path / f"_demo{SUFFIX}" and not ext.is_stale()
    ext.ensure_built()
    assert (tmp_path / "runs").read_text() == "x"  # current: not built again
    now = time.time()
    os.utime(ext.build_script, (now - 200, now - 200))
    os.utime(path, (now - 100, now - 100))  # the module is newer than its build script...
    assert ext.is_stale()  # ...but older than demo.c
    ext.ensure_built()
    assert (tmp_path / "runs").read_text() == "xx" and not ext.is_stale()


def test_failed_build_shows_the_script_output(tmp_path):
    ext, _ = make(tmp_path)
    ext.build_script.write_text("raise SystemExit('compiler said no')\n")
    with pytest.raises(RuntimeError, match="compiler said no"):
        ext.ensure_built()


def test_not_built_says_how_to_build(tmp_path):
    ext, _ = make(tmp_path)
    hint = r"(?s)harness_demo_pkg\._demo.*run:\n    python .*_build_demo\.py"
    with pytest.raises(ExtensionNotBuilt, match=hint):
        ext.load()
