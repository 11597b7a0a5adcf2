"""The text progress bar of long energy runs (harness.energy.progress)."""

from __future__ import annotations

import io

from harness.energy.progress import ProgressBar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_log_gets_one_line_per_tenth() -> None:
    out = io.StringIO()
    bar = ProgressBar("sweep", out)
    for done in range(101):
        bar(done, 100)
    bar.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == 11
    assert lines[0].startswith("sweep [" + "." * 30 + "] 0/100")
    assert lines[-1].startswith("sweep [" + "#" * 30 + "] 100/100")


def test_terminal_redraws_in_place_and_ends_the_line() -> None:
    out = Terminal()
    bar = ProgressBar("report", out)
    bar(1, 4)
    bar(2, 4)
    bar.close()
    text = out.getvalue()
    assert text.count("\r") == 2 and text.endswith("\n")
    assert "report [" + "#" * 15 + "." * 15 + "] 2/4" in text


def test_out_of_range_values_are_clamped() -> None:
    out = io.StringIO()
    bar = ProgressBar("x", out)
    bar(7, 0)  # a total of 0 counts as 1; done beyond total is the end
    assert "] 1/1" in out.getvalue()
