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
