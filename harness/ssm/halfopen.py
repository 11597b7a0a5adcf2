"""Half-open handshakes shared fairly among sources (issue 16 item 2).

A *source* is a client's IPv4 address (or its /prefix_v4) or its IPv6 /prefix_v6 (default /64: one host
usually owns a whole /64). When the table is full, the handshake evicted is the oldest one of the source
holding the most half-open handshakes, so a flood from one source only ever evicts its own handshakes as
long as it holds more than anybody else: a legitimate client with one handshake keeps its slot.

    table = FairHalfOpen(prefix_v4=32, prefix_v6=64)
    table[("192.0.2.7", 4433)] = hs
    key, hs = table.evict_heaviest()
"""

from __future__ import annotations

import collections
import functools
import ipaddress
from collections.abc import Iterator
from typing import Generic, TypeVar

V = TypeVar("V")
Key = tuple[str, int]


@functools.lru_cache(maxsize=4096)
def source_of(host: str, prefix_v4: int = 32, prefix_v6: int = 64) -> str:
    """The source a host address belongs to: its network of the configured prefix length, as text.
    Cached: every handshake datagram asks it 2-3 times, and parsing costs more than the rest of the
    delegator's per-datagram routing."""
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host  # not an IP literal (never from a socket): its own source
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = prefix_v4 if ip.version == 4 else prefix_v6
    return str(ipaddress.ip_network((ip, prefix), strict=False))


class FairHalfOpen(Generic[V]):
    """Half-open handshakes by peer address, counted per source; eviction takes the heaviest source's
    oldest. Every operation is O(1)."""

    def __init__(self, prefix_v4: int = 32, prefix_v6: int = 64) -> None:
        self.prefix_v4, self.prefix_v6 = prefix_v4, prefix_v6
        self._items: dict[Key, V] = {}
        self._source: dict[Key, str] = {}
        self._by_source: dict[str, collections.OrderedDict[Key, None]] = {}
        # sources grouped by how many half-open handshakes they hold; the heaviest group is evicted from
        self._buckets: dict[int, collections.OrderedDict[str, None]] = {}
        self._max = 0

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[Key]:
        return iter(list(self._items))

    def items(self) -> list[tuple[Key, V]]:
        """A copy of (key, value) pairs, oldest first."""
        return list(self._items.items())

    def get(self, key: Key) -> V | None:
        """The handshake of a peer address, or None."""
        return self._items.get(key)

    def sources(self) -> dict[str, int]:
        """Half-open handshakes per source."""
        return {s: len(keys) for s, keys in self._by_source.items()}

    def _move(self, src: str, old: int, new: int) -> None:
        if old:
            bucket = self._buckets[old]
            del bucket[src]
            if not bucket:
                del self._buckets[old]
        if new:
            self._buckets.setdefault(new, collections.OrderedDict())[src] = None
        if new > self._max:
            self._max = new
        while self._max and self._max not in self._buckets:
            self._max -= 1

    def __setitem__(self, key: Key, value: V) -> None:
        if key in self._items:
            self._items[key] = value
            return
        src = source_of(key[0], self.prefix_v4, self.prefix_v6)
        self._items[key] = value
        self._source[key] = src
        keys = self._by_source.setdefault(src, collections.OrderedDict())
        keys[key] = None
        self._move(src, len(keys) - 1, len(keys))

    def pop(self, key: Key, default: V | None = None) -> V | None:
        """Remove a peer's handshake; it, or `default` if there was none."""
        if key not in self._items:
            return default
        value = self._items.pop(key)
        src = self._source.pop(key)
        keys = self._by_source[src]
        del keys[key]
        self._move(src, len(keys) + 1, len(keys))
        if not keys:
            del self._by_source[src]
        return value

    def __delitem__(self, key: Key) -> None:
        if key not in self._items:
            raise KeyError(key)
        self.pop(key)

    def heaviest_source(self) -> str | None:
        """The source holding the most half-open handshakes (the one that got there first on a tie)."""
        bucket = self._buckets.get(self._max)
        return next(iter(bucket)) if bucket else None

    def evict_heaviest(self) -> tuple[Key, V]:
        """Remove and return the oldest handshake of the heaviest source."""
        src = self.heaviest_source()
        if src is None:
            raise KeyError("no half-open handshakes")
        key = next(iter(self._by_source[src]))
        value = self.pop(key)
        assert value is not None
        return key, value
