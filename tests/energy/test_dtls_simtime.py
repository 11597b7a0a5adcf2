"""Host TinyDTLS on an injected clock (tinydtls_patches/0020): on a SimClock a lost flight is sent
again exactly when TinyDTLS's timer says in simulated time, whatever the wall clock does; with a
WallClock (or none) it keeps the system clock; a seed makes its random bytes reproducible."""

from __future__ import annotations

import time
from types import ModuleType

import pytest

from harness.clock import SimClock, WallClock
from harness.wire.dtls import split_handshake, split_records

KEY = bytes.fromhex("00112233445566778899aabbccddeeff")
IDENTITY = b"client-1"
CLIENT = ("2001:db8::1", 40000)
SERVER = ("2001:db8::2", 5684)
LINK_DELAY = 0.010  # one-way delay of the simulated wire (s)


@pytest.fixture(scope="module")
def td() -> ModuleType:
    """harness.tinydtls.binding, built first if missing or stale."""
    from harness.tinydtls.extension import ensure_built

    ensure_built()
    from harness.tinydtls import binding

    return binding


def first_message(datagram: bytes) -> int:
    """The handshake type of a datagram's first plaintext handshake message (-1 for other records)."""
    r = split_records(datagram)[0]
    if r.content_type != 22 or r.epoch != 0:
        return -1
    return split_handshake(datagram[r.offset + 13 : r.end])[0].msg_type


class SimWire:
    """Two contexts joined by a wire on a SimClock: each datagram arrives LINK_DELAY later, unless
    `lose(direction, datagram)` says it is lost; every send is logged with its simulated time."""

    def __init__(self, td: ModuleType, clock: SimClock, lose=lambda d, dg: False, seed: int | None = 1,
                 wall_delay: float = 0.0) -> None:
        self.clock = clock
        self.lose = lose
        self.wall_delay = wall_delay
        self.sent: list[tuple[float, str, bytes]] = []
        self.timers: dict[str, object] = {}
        psk_c = td.PskStore({IDENTITY: KEY}, identity=IDENTITY)
        psk_s = td.PskStore({IDENTITY: KEY})
        self.client = td.DtlsContext(lambda a, d: self._send("c->s", d), psk=psk_c, clock=clock,
                                     seed=seed, cipher_suites=[td.Cipher.PSK_AES_128_CCM_8])
        self.server = td.DtlsContext(lambda a, d: self._send("s->c", d), psk=psk_s, clock=clock,
                                     seed=None if seed is None else seed + 1)

    def _send(self, direction: str, datagram: bytes) -> None:
        self.sent.append((self.clock.now(), direction, datagram))
        if self.wall_delay:
            time.sleep(self.wall_delay)  # a slow host: must not move anything in simulated time
        if self.lose(direction, datagram):
            return
        to, src = (self.server, CLIENT) if direction == "c->s" else (self.client, SERVER)
        self.clock.call_at(self.clock.now() + LINK_DELAY, lambda: self._deliver(to, src, datagram))

    def _deliver(self, ctx, src, datagram: bytes) -> None:
        ctx.handle_message(src, datagram)
        self.arm(ctx)

    def arm(self, ctx) -> None:
        """Schedule ctx's next retransmission check at the instant its TinyDTLS timer names."""
        name = "c" if ctx is self.client else "s"
        old = self.timers.pop(name, None)
        if old is not None:
            old.cancel()  # type: ignore[attr-defined]
        when = ctx.retransmit_at()
        if when is not None:
            self.timers[name] = self.clock.call_at(when, lambda: self.arm(ctx))

    def connect(self) -> None:
        self.client.connect(SERVER)
        self.arm(self.client)

    def run(self, until: float) -> None:
        while self.clock.now() < until:
            due = self.clock.next_due()
            if due is None or due > until:
                self.clock.advance_to(until)
                break
            self.clock.advance_to(due)


def test_lost_client_hello_is_resent_at_tinydtls_timer_instants_in_simulated_time(td):
    """RFC 6347 §4.2.4: the timer doubles per retransmission; TinyDTLS starts it at 2 s and counts in
    ms ticks, so from a ClientHello sent at tick T the copies go at T+2 s, T+6 s, T+14 s."""
    start = 1000.0037  # deliberately between two ticks
    clock = SimClock(start=start)
    hellos = 0

    def lose(direction: str, datagram: bytes) -> bool:
        nonlocal hellos
        if direction == "c->s" and first_message(datagram) == 1:
            hellos += 1
            return hellos <= 3  # the first three ClientHellos are lost
        return False

    wire = SimWire(td, clock, lose, wall_delay=0.02)
    wire.connect()
    wire.run(start + 40.0)
    assert wire.client.is_connected(SERVER)
    times = [t for t, d, dg in wire.sent if d == "c->s" and first_message(dg) == 1]
    tick = int(start * 1000)  # TinyDTLS stamps the send with the tick of `start`
    want = [start] + [(tick + ms) / 1000 for ms in (2000, 6000, 14000)]
    assert len(times) >= 4
    assert times[:4] == pytest.approx(want, abs=1e-9)
    # the fourth copy got through: the server's flight follows one wire delay later
    server_first = next(t for t, d, _ in wire.sent if d == "s->c")
    assert server_first == pytest.approx(want[3] + LINK_DELAY, abs=1e-9)


def test_same_seed_same_bytes_and_times_however_slow_the_host(td):
    def once(seed: int, wall_delay: float) -> list[tuple[float, str, bytes]]:
        clock = SimClock(start=5.0)
        wire = SimWire(td, clock, seed=seed, wall_delay=wall_delay)
        wire.connect()
        wire.run(10.0)
        assert wire.client.is_connected(SERVER)
        wire.client.write(SERVER, b"ping")
        wire.run(11.0)
        return wire.sent

    a, b = once(7, 0.0), once(7, 0.01)
    assert a == b
    assert [x[2] for x in once(8, 0.0)] != [x[2] for x in a]  # another seed: other randoms


def test_without_seed_the_randoms_come_from_the_system(td):
    def hello() -> bytes:
        clock = SimClock()
        wire = SimWire(td, clock, seed=None)
        wire.connect()
        return wire.sent[0][2]

    assert hello() != hello()


def test_wall_clock_context_keeps_the_system_clock(td):
    """A WallClock context (interop with real clients) behaves as before: TinyDTLS's own ticks, the
    first retransmission 2 s after the ClientHello in real time."""
    # a pinned context first: it must leave the system clock to the others
    sim = td.DtlsContext(lambda a, d: None, psk=td.PskStore({IDENTITY: KEY}, identity=IDENTITY),
                         clock=SimClock(start=3.0))
    sim.connect(SERVER)
    assert sim.retransmit_at() == pytest.approx(5.0)
    sim.free()
    for clock in (None, WallClock()):
        ctx = td.DtlsContext(lambda a, d: None, psk=td.PskStore({IDENTITY: KEY}, identity=IDENTITY),
                             clock=clock)
        try:
            ctx.connect(SERVER)
            delay = ctx.check_retransmit()
            assert delay is not None and 1.9 < delay <= 2.0
            when = ctx.retransmit_at()
            assert when is not None and abs(when - (time.time() + delay)) < 0.5
        finally:
            ctx.free()
