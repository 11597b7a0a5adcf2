"""tests/flash uses the net tests' bridge helpers (e2e_helpers: prefix, free ports, prefix wait)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "net"))
