"""invoke tasks: thin wrappers over the same functions the `esse` CLI calls."""

from __future__ import annotations

import sys

from invoke import task


@task
def demo(c):
    """Build every firmware app and run the demo."""
    from harness.demo import demo as run_demo

    sys.exit(run_demo())


@task
def test(c, k="", x=False):
    """Run the whole test suite."""
    args = [sys.executable, "-m", "pytest", "-q"]
    if k:
        args += ["-k", k]
    if x:
        args.append("-x")
    c.run(" ".join(args), pty=False)


@task
def lint(c):
    """ruff over the Python code."""
    c.run(f"{sys.executable} -m ruff check harness tests tasks.py setup.py")
