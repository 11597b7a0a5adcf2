"""harness/cffi_build.py: build-if-stale and the not-built error, with a stand-in build script that
writes the module file the way a cffi build script does (in place, next to itself)."""

import importlib.machinery
import os
import time

import pytest
from cffi import FFI

from harness.cffi_build import CffiExtension, ExtensionNotBuilt, header_cdef

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


def test_header_cdef_keeps_declarations_and_turns_value_defines_into_constants(tmp_path):
    header = tmp_path / "dev.h"
    header.write_text(
        "#ifndef DEV_H\n#define DEV_H\n#include <stdint.h>\n"
        "#define DEV_BYTE_NS 32000u /* 250 kb/s */\n#define DEV_OFFSET (-45)\n"
        "#define DEV_MAX(a, b) ((a) > (b) ? (a) : (b))\n"
        "enum { DEV_OFF, DEV_ON };\nint dev_state(const void *d);\n#endif\n"
    )
    assert header_cdef(header).splitlines() == [
        "#define DEV_BYTE_NS ...",
        "#define DEV_OFFSET ...",
        "enum { DEV_OFF, DEV_ON };",
        "int dev_state(const void *d);",
    ]
    FFI().cdef(header_cdef(header))  # cffi takes it as it is
