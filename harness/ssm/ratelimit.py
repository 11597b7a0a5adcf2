"""Per-source rate limits on the handshakes that cost the delegator work (issue 16 item 1).

A ClientHello without a cookie only earns a HelloVerifyRequest (an HMAC, no state): it is not limited.
A ClientHello *with* a cookie makes TinyDTLS create state and, for ECDHE, sign a key share (the costly
part): those are limited per source (harness/ssm/halfopen.source_of) by a token bucket of `rate` per
second and `burst` deep, on the delegator's clock. A source whose bucket has filled up again is forgotten
(a forgotten source starts with a full bucket, so nothing changes), which keeps memory to the sources
active in the last burst/rate seconds; beyond `max_sources` the least recently seen go first.
"""

from __future__ import annotations

import collections

from harness.ssm.halfopen import source_of
from harness.wire.dtls import HANDSHAKE_HEADER, RECORD_HEADER, is_client_hello

_HELLO_FIXED = 2 + 32  # client_version, random


def hello_cookie_length(data: bytes) -> int | None:
    """Length of the cookie of the ClientHello a datagram starts with (None: not a readable one)."""
    if not is_client_hello(data):
        return None
    pos = RECORD_HEADER + HANDSHAKE_HEADER + _HELLO_FIXED
    if pos >= len(data):
        return None
    pos += 1 + data[pos]  # session id
    return data[pos] if pos < len(data) else None


class SourceRateLimit:
    """Token buckets per source for cookie-carrying ClientHellos."""

    def __init__(
        self, rate: float, burst: float, prefix_v4: int = 32, prefix_v6: int = 64, max_sources: int = 65536
    ) -> None:
        self.rate, self.burst = rate, burst
        self.prefix_v4, self.prefix_v6 = prefix_v4, prefix_v6
        self.max_sources = max_sources
        self._buckets: collections.OrderedDict[str, list[float]] = collections.OrderedDict()

    def allow(self, host: str, data: bytes, now: float) -> bool:
        """False when `data` is a cookie-carrying ClientHello over its source's rate."""
        cookie = hello_cookie_length(data)
        if not cookie:
            return True
        src = source_of(host, self.prefix_v4, self.prefix_v6)
        bucket = self._buckets.pop(src, None)
        if bucket is None:
            bucket = [self.burst, now]
        tokens = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
        ok = tokens >= 1.0
        bucket[0], bucket[1] = (tokens - 1.0 if ok else tokens), now
        self._buckets[src] = bucket  # most recently seen last
        buckets = self._buckets
        while len(buckets) > self.max_sources:
            buckets.popitem(last=False)
        while True:  # amortised O(1): stops at the first bucket still below full
            oldest = next(iter(buckets.values()))
            if oldest is bucket or oldest[0] + (now - oldest[1]) * self.rate < self.burst:
                break
            buckets.popitem(last=False)
        return ok

    def __len__(self) -> int:
        return len(self._buckets)
