"""A text progress bar for long energy runs (reports, baselines, sweeps): one line on stderr, redrawn."""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 30


class ProgressBar:
    """`bar(done, total)` redraws `label [#####.....] done/total elapsed`; on a terminal in place, else
    one line per tenth of the way (logs stay short). Call `close()` to end the line."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.start = time.monotonic()
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_tenth = -1
        self._open = False

    def __call__(self, done: int, total: int) -> None:
        """Show that `done` of `total` steps are finished."""
        total = max(total, 1)
        done = min(max(done, 0), total)
        tenth = done * 10 // total
        if not self._tty and tenth == self._last_tenth:
            return
        self._last_tenth = tenth
        filled = done * WIDTH // total
        text = (f"{self.label} [{'#' * filled}{'.' * (WIDTH - filled)}] {done}/{total} "
                f"{time.monotonic() - self.start:.0f} s")
        if self._tty:
            self.stream.write("\r" + text)
            self._open = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End the bar's line (on a terminal)."""
        if self._open:
            self.stream.write("\n")
            self.stream.flush()
            self._open = False
