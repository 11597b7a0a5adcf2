"""The SSM's anti-replay counters per CCS, shared by every delegator process of one relay table: a small
fixed-layout file (`<db>.counters`) mapped into each process and changed under one `flock`.

Why a file of its own (issue 16 item 1): the relay rows live in one SQLite file per process (each its own
WAL, committed in parallel); only the counters must be one sequence per CCS for all processes. What is
serial between the processes is then a few loads and stores in a shared page and the KEY_MATERIAL's
`sendto`, not an SQLite commit.

Layout (native byte order and alignment: a machine-local file): a 64-byte header (magic, version, slot
count, flags), then SLOTS slots of 64 bytes found by open addressing on the first 16 bytes of
SHA-256(CCS name) (all zero: free; a slot once taken is never freed, so its offset can be cached):

    key[16] | tx_next u64 | sent_max u64 | rx_last u64 | rx_mask u64 | epoch u64 | spare[8]

  * tx_next: the next SSM->CCS counter nobody has reserved. A process reserves a block of counters ahead
    (`reserve`): the counters of one block leave in increasing order, but the blocks of two processes
    interleave, so a counter can leave after a higher one. The CCS accepts a counter once while it is
    less than ESSE_RX_WINDOW (32) below the highest it accepted; `sent_max` (the highest counter any
    process has sent) is checked under the lock right before each `sendto` (`may_send`), and a message
    that fell SEND_SLACK or more behind is not sent but sealed again with a fresh counter. A block whose
    first unused counter fell STALE_TAKE behind tx_next, or whose CCS's counters were reset since
    (epoch), is dropped: its counters are never used.
  * rx_last / rx_mask: the highest CCS counter accepted and the window below it (bit i: rx_last - 1 - i).
  * epoch: bumped when a CCS's counters start afresh (a new PSK_DN): blocks of an older epoch are dropped.

Durability: every change is a store into a MAP_SHARED page, so it is in the kernel's page cache once the
store is done; it survives the crash (kill -9) of any process, which is what write-ahead needs (a counter
is stored before the message that uses it is sealed, an accepted CCS counter before its message is acted
on). A power cut or kernel crash may lose the last stores (as SQLite's WAL at synchronous=NORMAL may lose
the last commits): no fsync is made.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import mmap
import os
import struct
import time
from collections.abc import Iterator
from pathlib import Path

from harness.wire.ssm import ProtocolError

MAGIC = b"ESSECTR1"
HEADER = struct.Struct("@8sIIQ")  # magic, version, slots, flags
HEADER_SIZE = 64
SLOT_SIZE = 64
SLOTS = 16384  # CCSs per table (1 MiB, sparse on disk)
KEY = slice(0, 16)
TX_NEXT, SENT_MAX, RX_LAST, RX_MASK, EPOCH = 16, 24, 32, 40, 48
FLAG_IMPORTED = 1  # the counters of an older relay table (SQLite ccs_counters) were taken over
CCS_WINDOW = 32  # the CCS's window for SSM counters (ESSE_RX_WINDOW, firmware/ssm_client/ssm_client.h)
SEND_SLACK = 24  # a message this far or more below the highest sent is sealed again (8 left for reordering)
STALE_TAKE = 16  # a reserved block whose next counter is this far below tx_next is dropped
_Q = struct.Struct("@Q")


class CounterFile:
    """The shared counter file of a relay table; `block` counters are reserved at a time (1: every counter
    in order under the lock, as one process needs)."""

    def __init__(self, path: Path, *, block: int = 1) -> None:
        self.path = Path(path)
        self.block = max(1, block)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        self._depth = 0
        self.lock_ns = 0  # wall time spent holding the lock (bench-ssm: the serial part)
        size = HEADER_SIZE + SLOTS * SLOT_SIZE
        ok = False
        with self.locked():
            head = os.pread(self.fd, HEADER.size, 0)
            if not any(head[:8]):  # new (empty or zeros): ours to lay out
                os.ftruncate(self.fd, size)
                head = HEADER.pack(MAGIC, 1, SLOTS, 0)
                os.pwrite(self.fd, head, 0)
            # magic, version and slot count as ours (the flags may differ)
            ok = head[:16] == HEADER.pack(MAGIC, 1, SLOTS, 0)[:16] and os.fstat(self.fd).st_size >= size
        if not ok:
            os.close(self.fd)
            raise ValueError(f"{self.path}: not an ESSE counter file of this version")
        self.map = mmap.mmap(self.fd, size)
        self._slots: dict[str, int] = {}
        # name -> [next counter, last counter of the block, epoch]: the block this process holds
        self._blocks: dict[str, list[int]] = {}

    # -- the lock

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """The counter lock of every process on this file, held for the block (re-entrant). A message
        whose counter is checked with `may_send` in the block and sent before it ends leaves in order."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        t0 = time.perf_counter_ns()
        self._depth = 1
        try:
            yield
        finally:
            self._depth = 0
            self.lock_ns += time.perf_counter_ns() - t0
            fcntl.flock(self.fd, fcntl.LOCK_UN)

    # -- slots

    def _get(self, off: int) -> int:
        return int(_Q.unpack_from(self.map, off)[0])

    def _put(self, off: int, value: int) -> None:
        _Q.pack_into(self.map, off, value)

    def _slot(self, ccs: str) -> int:
        """The offset of a CCS's slot, taken (under the lock) if it has none yet."""
        off = self._slots.get(ccs)
        if off is not None:
            return off
        key = hashlib.sha256(ccs.encode()).digest()[:16]
        with self.locked():
            first = int.from_bytes(key[:4], "little") % SLOTS
            for i in range(SLOTS):
                off = HEADER_SIZE + ((first + i) % SLOTS) * SLOT_SIZE
                have = self.map[off : off + 16]
                if have == key:
                    break
                if have == bytes(16):
                    self.map[off : off + 16] = key
                    self._put(off + TX_NEXT, 1)
                    break
            else:
                raise RuntimeError(f"{self.path}: no free slot for CCS {ccs!r} ({SLOTS} CCSs)")
        self._slots[ccs] = off
        return off

    # -- SSM -> CCS

    def take(self, ccs: str) -> int:
        """The next SSM->CCS counter for a hand-off, from this process's block (a new block when it is
        used up, stale or of an older epoch). Stored before it returns: never handed out again."""
        off = self._slot(ccs)
        b = self._blocks.get(ccs)
        if (b is None or b[0] > b[1] or b[2] != self._get(off + EPOCH)
                or self._get(off + TX_NEXT) - b[0] >= STALE_TAKE):
            with self.locked():
                first = max(1, self._get(off + TX_NEXT))
                self._put(off + TX_NEXT, first + self.block)
                b = self._blocks[ccs] = [first, first + self.block - 1, self._get(off + EPOCH)]
        c = b[0]
        b[0] += 1
        return c

    def fresh(self, ccs: str) -> int:
        """Under the lock: a counter above every one handed out, to send before the lock is released
        (ERROR messages; key material sealed again)."""
        assert self._depth, "fresh() is for a message sent under the lock"
        off = self._slot(ccs)
        c = max(1, self._get(off + TX_NEXT))
        self._put(off + TX_NEXT, c + 1)
        self.sent(ccs, c)
        return c

    def may_send(self, ccs: str, counter: int) -> bool:
        """Under the lock: whether a message with this counter still falls well inside the CCS's window
        (less than SEND_SLACK below the highest counter sent)."""
        assert self._depth, "may_send() holds only under the lock"
        return self._get(self._slot(ccs) + SENT_MAX) - counter < SEND_SLACK

    def send_counter(self, ccs: str, counter: int) -> int:
        """Under the lock, right before a message sealed under `counter` is sent: the counter it must
        leave with, marked sent. Its own while `may_send`; else a fresh one, under which the caller seals
        the message again (and stores it before sending: write-ahead); the old one is never used."""
        if self.may_send(ccs, counter):
            self.sent(ccs, counter)
            return counter
        return self.fresh(ccs)

    def sent(self, ccs: str, counter: int) -> None:
        """Under the lock: a message with this counter is being sent."""
        off = self._slot(ccs)
        if counter > self._get(off + SENT_MAX):
            self._put(off + SENT_MAX, counter)

    def tx_next(self, ccs: str) -> int:
        """The next counter nobody has reserved."""
        return max(1, self._get(self._slot(ccs) + TX_NEXT))

    # -- CCS -> SSM

    def rx_last(self, ccs: str) -> int:
        """The highest CCS counter accepted so far (read without the lock: a hint)."""
        return self._get(self._slot(ccs) + RX_LAST)

    def accept_rx(self, ccs: str, counter: int, window: int) -> None:
        """Take an authenticated CCS counter, stored before the caller acts on its message: accepted once,
        above the highest so far or (window > 0) not yet seen within `window` below it;
        ProtocolError("replay") otherwise."""
        off = self._slot(ccs)
        full = (1 << window) - 1
        with self.locked():
            last, mask = self._get(off + RX_LAST), self._get(off + RX_MASK)
            if counter > last:  # bit i of the mask: counter last - 1 - i was accepted
                shift = counter - last
                mask = ((mask << shift) | (1 << (shift - 1))) & full if shift <= window else 0
                last = counter
            else:
                bit = last - counter - 1
                if bit < 0 or bit >= window or mask >> bit & 1:
                    raise ProtocolError("replay", f"CCS counter {counter} already used (highest {last})")
                mask |= 1 << bit
            self._put(off + RX_MASK, mask)
            self._put(off + RX_LAST, last)

    # -- both

    def reset(self, ccs: str) -> None:
        """Start a CCS's counters afresh both ways (a new PSK_DN); blocks reserved before are dropped."""
        off = self._slot(ccs)
        with self.locked():
            for field in (TX_NEXT, SENT_MAX, RX_LAST, RX_MASK):
                self._put(off + field, 0)
            self._put(off + TX_NEXT, 1)
            self._put(off + EPOCH, self._get(off + EPOCH) + 1)
        self._blocks.pop(ccs, None)

    def import_once(self, rows: list[tuple[str, int, int, int]]) -> None:
        """Take over (ccs, next tx counter, rx_last, rx_mask) of an older relay table, once per file."""
        with self.locked():
            magic, version, slots, flags = HEADER.unpack_from(self.map, 0)
            if flags & FLAG_IMPORTED:
                return
            for ccs, tx_next, rx_last, rx_mask in rows:
                off = self._slot(ccs)
                self._put(off + TX_NEXT, max(self._get(off + TX_NEXT), tx_next, 1))
                self._put(off + SENT_MAX, max(self._get(off + SENT_MAX), tx_next - 1))
                if rx_last > self._get(off + RX_LAST):
                    self._put(off + RX_LAST, rx_last)
                    self._put(off + RX_MASK, rx_mask)
            HEADER.pack_into(self.map, 0, magic, version, slots, flags | FLAG_IMPORTED)

    def close(self) -> None:
        """Unmap and close the file (the lock, if held, goes with it)."""
        self.map.close()
        os.close(self.fd)
