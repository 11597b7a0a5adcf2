"""The strict switch: what skips locally fails under ESSE_REQUIRE_ALL=1, except tests marked `cooja`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent

SAMPLE = '''
import pytest
from requirements import require_module, require_tool

def test_tool():
    require_tool("no-such-tool-esse", "no-such-package")

def test_module():
    require_module("harness.no_such_extension", "python setup.py build_ext --inplace")

def test_plain_skip():
    pytest.skip("some other reason")

@pytest.mark.cooja
def test_real_cooja():
    pytest.skip("no Cooja jar")

def test_runs():
    assert require_tool("sh")
'''

MODULE_SKIP = '''
from requirements import require_module
require_module("harness.no_such_extension")

def test_never_collected():
    pass
'''


def run_sample(tmp_path: Path, strict: bool, source: str = SAMPLE) -> subprocess.CompletedProcess[str]:
    for name in ("conftest.py", "requirements.py"):
        shutil.copy(HERE / name, tmp_path / name)
    (tmp_path / "test_sample.py").write_text(source)
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    cooja: real Cooja\n")
    env = {k: v for k, v in os.environ.items() if k != "ESSE_REQUIRE_ALL"}
    if strict:
        env["ESSE_REQUIRE_ALL"] = "1"
    argv = [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", str(tmp_path)]
    return subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_missing_requirements_skip_with_how_to_install(tmp_path):
    res = run_sample(tmp_path, strict=False)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "1 passed, 4 skipped" in res.stdout
    assert "no-such-tool-esse not installed: apt-get install no-such-package" in res.stdout
    assert "python setup.py build_ext --inplace" in res.stdout


def test_strict_switch_fails_every_skip_but_cooja(tmp_path):
    res = run_sample(tmp_path, strict=True)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "3 failed, 1 passed, 1 skipped" in res.stdout
    for name in ("test_tool", "test_module", "test_plain_skip"):
        assert f"FAILED test_sample.py::{name}" in res.stdout
    assert "SKIPPED [1] test_sample.py" in res.stdout and "no Cooja jar" in res.stdout
    assert "no-such-tool-esse not installed" in res.stdout and "ESSE_REQUIRE_ALL=1" in res.stdout


MODULE_PLAIN_SKIP = '''
import pytest
pytest.skip("not on this machine", allow_module_level=True)

def test_never_collected():
    pass
'''


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize(("source", "reason"), [(MODULE_SKIP, "harness.no_such_extension not importable"),
                                               (MODULE_PLAIN_SKIP, "not on this machine")])
def test_a_module_level_skip(tmp_path, strict, source, reason):
    res = run_sample(tmp_path, strict=strict, source=source)
    assert reason in res.stdout, res.stdout
    if strict:
        assert res.returncode == 2 and res.stdout.splitlines()[-1].startswith("1 error")
    else:
        assert res.returncode == 5 and "1 skipped" in res.stdout  # 5: nothing ran, nothing failed
