"""Rate-limited accounting of dropped datagrams and noisy log lines: counts now, one summary line
per interval, so a flood of garbage cannot grow the log without bound."""

from __future__ import annotations

import collections
import logging

from harness.wire.dtls import RECORD_HEADER, RecordHeader, split_records

DTLS_VERSIONS = {0xFEFD, 0xFEFF}  # DTLS 1.2, 1.0
CONTENT_TYPES = {20, 21, 22, 23}  # change_cipher_spec, alert, handshake, application_data


def malformed_reason(datagram: bytes, records: list[RecordHeader] | None = None) -> str | None:
    """Why a datagram from a client cannot be DTLS ("short", "framing", "version", "type"), or None;
    `records`: its split_records(), when the caller has them already."""
    if len(datagram) < RECORD_HEADER:
        return "short"
    if records is None:
        records = split_records(datagram)
    if not records or records[-1].end != len(datagram):
        return "framing"
    for r in records:
        if r.version not in DTLS_VERSIONS:
            return "version"
        if r.content_type not in CONTENT_TYPES:
            return "type"
    return None


class DropCounter:
    """Counts dropped datagrams by reason and source; `summary()` returns one line and starts over."""

    def __init__(self) -> None:
        self.reasons: collections.Counter[str] = collections.Counter()
        self.sources: set[object] = set()

    def note(self, source: object, reason: str) -> None:
        """Count one dropped datagram."""
        self.reasons[reason] += 1
        if len(self.sources) < 100_000:  # bounded memory under a spoofed-source flood
            self.sources.add(source)

    def summary(self) -> str | None:
        """'dropped N malformed datagrams from M sources (reason: n, ...)' since the last call, or None."""
        total = sum(self.reasons.values())
        if not total:
            return None
        why = ", ".join(f"{k}: {v}" for k, v in sorted(self.reasons.items()))
        line = f"dropped {total} malformed datagrams from {len(self.sources)} sources ({why})"
        self.reasons.clear()
        self.sources.clear()
        return line


class BurstFilter(logging.Filter):
    """Lets at most `burst` records through per interval; counts the rest for a summary line."""

    def __init__(self, burst: int = 20) -> None:
        super().__init__()
        self.burst = burst
        self.passed = 0
        self.suppressed = 0

    def filter(self, record: logging.LogRecord) -> bool:
        """Pass the record while the burst allows, else count it."""
        if self.passed < self.burst:
            self.passed += 1
            return True
        self.suppressed += 1
        return False

    def new_interval(self) -> int:
        """Start the next interval; how many records were suppressed in the last one."""
        n, self.suppressed, self.passed = self.suppressed, 0, 0
        return n
