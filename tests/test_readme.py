"""The README's two quick-start commands are the ones CI runs."""

import re

from harness.paths import REPO_ROOT


def quick_start_commands() -> list[str]:
    text = (REPO_ROOT / "README.md").read_text()
    block = re.search(r"## Quick start.*?```sh\n(.*?)```", text, re.S)
    assert block, "README has no quick-start code block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_exactly_two_commands():
    assert len(quick_start_commands()) == 2


def test_ci_runs_readme_test_command_verbatim():
    test_cmd = quick_start_commands()[1]
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    assert f"TEST_CMD='{test_cmd}'" in ci
    assert "./bootstrap.sh" in ci


def test_ci_is_strict_and_lints():
    """CI turns every skip into a failure and fails when `invoke lint` does, as the README says."""
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    readme = (REPO_ROOT / "README.md").read_text()
    assert "export ESSE_REQUIRE_ALL=1" in ci and "ESSE_REQUIRE_ALL=1" in readme
    assert "LINT_CMD='.venv/bin/invoke lint'" in ci and "`.venv/bin/invoke lint`" in readme
    assert ci.index("TEST_CMD=") < ci.index("LINT_CMD=")  # the tests first: a lint error hides no test result
