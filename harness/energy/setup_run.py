"""One measured DTLS session set-up in the network simulation, phase by phase (harness.energy.phases).

    run = run_setup("esse", seed=1, exchanges=3)      # -> SetupRun

kind "esse": the outside client (host TinyDTLS) handshakes with the SSM (host delegator) on the
simulation's clock (harness.energy.simpeers); the SSM hands the keys to the CCS (KEY_MATERIAL in,
KEY_ACK out) over the border router and the radio; then `exchanges` CoAP GETs over the record layer.

Phase boundaries (all in simulated time, the CCS's tracker read at each):
- flight k: from the arrival of flight k-1 (flight 1: from connect) to the arrival of flight k's
  last datagram at its receiver; the CCS takes no part in an ESSE flight, so it pays idle time;
  bytes are the flight's DTLS datagrams (client <-> SSM), frames 0;
- KEY_MATERIAL: from flight 6's arrival to the start of the CCS's first data frame after it (the
  KEY_ACK going out); KEY_ACK: from there to the KEY_ACK's arrival at the SSM;
- exchange i: from the previous phase's end to the CoAP response's arrival at the client.
Bytes of hand-off and exchanges: the SSM <-> CCS datagrams (UDP payload on the CCS's hop); frames
and fragments: distinct 802.15.4 data frames to or from the CCS (LPL strobe copies count once).
kind "psk": the client handshakes with the mote itself (the baseline room's ccs-full-psk, DTLS server
on UDP 61620) over the serial line and the radio; every flight crosses the CCS's hop. A client flight
ends where the CCS starts sending its answer (its first data frame after the flight: receiving and
computing), a mote flight at the arrival of its last datagram at the client; bytes are the DTLS
datagrams. kind "ecdhe": the same with ccs-full-ecc (TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, raw public
keys; the client holds the key the mote accepts); the mote's P-256 work puts minutes of simulated time
into flight 4 (key generation, signing) and flight 5's phase (it ends where the mote starts flight 6:
verifying the client's CertificateVerify, ECDH), during which the client retransmits at the instants
TinyDTLS's timer names. No low-power listening variant fits the F1611 for ecdhe (SetupRunError).

At every boundary the CCS's firmware energest is read too (harness.energy.energest_probe: from its RAM
and timers, nothing runs on the mote), so each PhaseCost also holds energest's ns per state over the
same interval (`energest_ns`); the report sets the two side by side.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import aiocoap

from harness.energy.energest import EnergestSample, interval_ns
from harness.energy.energest_probe import EnergestProbe
from harness.energy.flights import dtls_message_seqs, dtls_messages
from harness.energy.phases import KINDS, PhaseCost, SetupRun
from harness.energy.simpeers import BORDER_ROUTER, CCS, IK_D, Apps, SimNetError, SimNetwork, data_frame_info
from harness.sim.medium import RadioEvent
from harness.wire.ssm import MSG_KEY_ACK, MSG_KEY_MATERIAL

IDENTITY = b"alice"
CLIENT_PSK = b"secretPSK"
COAP_ACK_TIMEOUT_S = 2.0  # RFC 7252 §4.8 ACK_TIMEOUT; doubled per retransmission, MAX_RETRANSMIT 4
COAP_MAX_RETRANSMIT = 4
SETTLE_S = 2.0  # idle after boot before the set-up: the CCS's radio back to its steady duty cycle
LPL_HZ = 8  # the only channel-check rate the firmware has (firmware/dev/lpl.c)
STATE_KEYS = (("cpu_ns", "CPU"), ("lpm_ns", "LPM"), ("tx_ns", "TX"), ("listen_ns", "RX"))
# a boundary: (engine µs, the CCS's own ns, its tracker per state, its firmware energest counters)
Mark = tuple[int, int, dict[str, int], EnergestSample | None]


class SetupRunError(RuntimeError):
    """A set-up run that cannot be made or did not complete; the message says which and why."""


class _Meter:
    """Cuts the CCS's tracker, its firmware energest and its hop's frames into phases at boundary
    instants (the energest counters read from the mote's RAM and timers: nothing runs on the mote)."""

    def __init__(self, net: SimNetwork) -> None:
        self.net = net
        self.phases: list[PhaseCost] = []
        mote = net.ccs_mote
        self.energest = EnergestProbe(mote, mote.firmware, CCS, held_ns=getattr(mote, "_held_ns", 0))
        self._start = self._mark()
        self._frames: list[tuple[int, int, int, bool]] = []  # (µs, sender, seq, fragment) not in a phase
        net.radio_listeners.append(self._radio)

    def _mark(self) -> Mark:
        """(engine µs, the CCS's own ns, its tracker, its energest) now: frames split on the first,
        time and states come from the mote's tracker, so they add up exactly."""
        mote = self.net.ccs_mote
        return self.net.engine.now_us, mote.time_ns, mote.power_ns(), self.energest.read()

    def _radio(self, ev: RadioEvent) -> None:
        if ev.kind != "tx":
            return
        info = data_frame_info(ev.frame)
        if info is None:
            return
        src, dst, seq, fragment = info
        if CCS in (src, dst):
            self._frames.append((ev.time_us, src, seq, fragment))

    def close(self, name: str, group: str, sender: str, messages: tuple[str, ...], nbytes: int,
              at: Mark | None = None) -> None:
        """End the phase in progress now (or at a mark taken earlier: a frame starting at that instant
        belongs to the next phase) and start the next there."""
        end = at if at is not None else self._mark()
        (_, t0, p0, e0), (us1, t1, p1, e1) = self._start, end
        states = {key: p1[state] - p0[state] for key, state in STATE_KEYS}
        energest = interval_ns(e0, e1) if e0 is not None and e1 is not None else {}
        mine = [f for f in self._frames if f[0] < us1 or (at is None and f[0] <= us1)]
        self._frames = [f for f in self._frames if f not in mine]
        frames = {(src, seq) for _, src, seq, _ in mine}  # LPL strobe copies: one frame
        fragments = {(src, seq) for _, src, seq, frag in mine if frag}
        self.phases.append(PhaseCost(name=name, group=group, sender=sender, messages=messages,
                                     bytes=nbytes, frames=len(frames), fragments=len(fragments),
                                     time_ns=t1 - t0, energest_ns=energest, **states))
        self._start = end


def _apps(kind: str, channel_check_hz: int | None) -> Apps:
    ccs = {"esse": "ccs", "psk": "ccs-full-psk", "ecdhe": "ccs-full-ecc"}[kind]
    if channel_check_hz is None:
        return Apps(ccs=ccs)
    if channel_check_hz != LPL_HZ:
        raise SetupRunError(f"channel_check_hz={channel_check_hz}: the firmware checks the channel at "
                            f"{LPL_HZ} Hz (ccs_lpl) or not at all (None)")
    return Apps("border_router_lpl", "ccs_lpl" if kind == "esse" else f"{ccs}-lpl")


DEVICE_PHASES = 6  # BOOT_REQUEST, BOOT_RESPONSE, BOOT_CONFIRM, BOOT_ACK, RD POST, RD 2.01 (no resends)


class _DeviceMeter:
    """The fresh CCS's one-off messages before any session: bootstrapping (BOOT_REQUEST, BOOT_RESPONSE,
    BOOT_CONFIRM, BOOT_ACK; the controller <-> AS messages ride along in BOOT_RESPONSE's phase, the AS
    is on the SSM's backbone) and its RD registration. A mote message's phase ends at its arrival at the host
    (the first starts with the CCS's frame that carries it); a host message's ends when the CCS
    acknowledges the frame that brings it, so the mote's work on a message is in its answer's phase."""

    def __init__(self, net: SimNetwork, meter: _Meter) -> None:
        self.net, self.meter = net, meter
        self.events: list[tuple[Mark, str, str, str, tuple[str, ...], int]] = []  # end, name, group, ...
        self.first_start: Mark | None = None
        self._last_ccs_frame: Mark | None = None
        self._backbone: tuple[str, ...] = ()
        self._waiting: list[tuple[str, tuple[str, ...], int]] = []  # host messages not yet acknowledged
        self._frame_to_ccs = False
        net.service_observers.append(self._service)
        net.radio_listeners.append(self._radio)

    @property
    def pending(self) -> bool:
        """A host message the CCS has not acknowledged yet."""
        return bool(self._waiting)

    def _radio(self, ev: RadioEvent) -> None:
        if ev.kind != "tx":
            return
        info = data_frame_info(ev.frame)
        if info is not None and info[0] == CCS:
            self._last_ccs_frame = self.meter._mark()
        elif info is not None and info[:2] == (BORDER_ROUTER, CCS) and self._waiting:
            self._frame_to_ccs = True
        elif info is None and ev.sender == CCS and self._frame_to_ccs:  # its acknowledgement
            self._frame_to_ccs = False
            name, messages, nbytes = self._waiting.pop(0)
            self._add(self.meter._mark(), name, "peer", messages, nbytes)

    def _add(self, end: Mark, name: str, sender: str, messages: tuple[str, ...], nbytes: int) -> None:
        group = "RD registration" if name.startswith("RD") else "bootstrap"
        self.events.append((end, name, group, sender, messages, nbytes))

    def _service(self, direction: str, name: str, data: bytes) -> None:
        if direction == "mote>host":
            if self.first_start is None:
                self.first_start = self._last_ccs_frame or self.meter._mark()
            self._add(self.meter._mark(), name, "mote", (name,), len(data))
        elif direction == "host>mote":
            self._waiting.append((name, self._backbone + (name,), len(data)))
            self._backbone = ()
        else:  # controller <-> AS
            self._backbone += (name,)

    def close(self, tick: Callable[[], None]) -> None:
        """The phases, in the order they ended; then detach."""
        self.net.service_observers.remove(self._service)
        self.net.radio_listeners.remove(self._radio)
        if self.first_start is None:
            raise SetupRunError("the fresh CCS sent no bootstrapping or RD message")
        self.meter._start = self.first_start
        self.meter._frames = [f for f in self.meter._frames if f[0] >= self.first_start[0]]
        for end, name, group, sender, messages, nbytes in sorted(self.events, key=lambda e: e[0][0]):
            self.meter.close(name, group, sender, messages, nbytes, at=end)
            tick()


def _esse_session(net: SimNetwork, meter: _Meter, session: int, exchanges: int,
                  tick: Callable[[], None]) -> None:
    """One client's handshake with the SSM, the hand-off and the exchanges, as phases."""
    prefix = "" if session == 1 else f"session {session}: "
    replies: list[bytes] = []
    client = net.dtls_client(IDENTITY, CLIENT_PSK, index=session, on_data=replies.append)
    flights: list[dict[str, Any]] = []

    def observe(direction: str, datagram: bytes) -> None:
        if client.connected or len(flights) > 6:
            return
        names = tuple(dtls_messages(datagram))
        if flights and flights[-1]["dir"] == direction:
            f = flights[-1]
        else:
            f = {"dir": direction, "messages": (), "bytes": 0}
            flights.append(f)
        f["messages"] += names
        f["bytes"] += len(datagram)
        f["end"] = meter._mark()

    net.hop.observers.append(observe)
    ack_start: list[Mark] = []
    km_sent = len([f for _, f in net.ccs_transport.sent if f and f[0] == MSG_KEY_MATERIAL])

    def ack_frame(ev: RadioEvent) -> None:
        info = data_frame_info(ev.frame) if ev.kind == "tx" else None
        km_now = len([f for _, f in net.ccs_transport.sent if f and f[0] == MSG_KEY_MATERIAL])
        if info is not None and info[0] == CCS and km_now > km_sent and not ack_start:
            ack_start.append(meter._mark())

    try:
        client.connect()
        net.wait_for(lambda: client.connected, f"{prefix}the client's handshake with the SSM", 120)
        net.hop.observers.remove(observe)
        if len(flights) != 6:
            raise SetupRunError(f"{prefix}the handshake took {len(flights)} flights, not 6")
        for i, f in enumerate(flights, 1):
            meter.close(f"{prefix}flight {i}", "handshake", "peer" if f["dir"] == "c>s" else "ssm",
                        f["messages"], f["bytes"], at=f["end"])
            tick()
        net.radio_listeners.append(ack_frame)
        acks = net.delegator.stats["acks"] if net.delegator is not None else 0
        net.wait_for(lambda: bool(ack_start), f"{prefix}the CCS answers the key material", 60)
        km = [f for _, f in net.ccs_transport.sent if f and f[0] == MSG_KEY_MATERIAL][km_sent:]
        meter.close(f"{prefix}KEY_MATERIAL", "hand-off", "ssm", ("KEY_MATERIAL",) + ("KEY_MATERIAL*",) *
                    (len(km) - 1), sum(len(f) for f in km), at=ack_start[0])
        tick()
        net.wait_for(lambda: net.delegator is not None and net.delegator.stats["acks"] > acks,
                     f"{prefix}the KEY_ACK reaches the SSM", 60)
        ack_len = next(len(f) for _, f in reversed(net.ccs_transport.received) if f and f[0] == MSG_KEY_ACK)
        meter.close(f"{prefix}KEY_ACK", "hand-off", "mote", ("KEY_ACK",), ack_len)
        tick()
        _exchanges(net, meter, client, replies, prefix, session, exchanges, tick)
    finally:
        if ack_frame in net.radio_listeners:
            net.radio_listeners.remove(ack_frame)
        if observe in net.hop.observers:
            net.hop.observers.remove(observe)
        client.close()


def _ecdsa_credentials() -> tuple[Any, bytes, bytes]:
    """The client's key pair and the sensor's public key of the ECDHE-ECDSA baseline (ccs_full_build)."""
    from harness.tinydtls import ccs_full_build as full
    from harness.tinydtls.binding import EcdsaKey

    own = EcdsaKey(*(bytes.fromhex(h) for h in (full.CLIENT_PRIVATE, full.CLIENT_PUBLIC_X,
                                                full.CLIENT_PUBLIC_Y)))
    return own, bytes.fromhex(full.SENSOR_PUBLIC_X), bytes.fromhex(full.SENSOR_PUBLIC_Y)


# simulated seconds a full handshake may take: PSK well under one; ECDHE-ECDSA's P-256 work on the
# mote (signing ServerKeyExchange, verifying the client's CertificateVerify, ECDH) takes minutes
HANDSHAKE_TIMEOUT_S = {"psk": 300.0, "ecdhe": 3000.0}


def _full_session(net: SimNetwork, meter: _Meter, session: int, exchanges: int,
                  tick: Callable[[], None], kind: str = "psk") -> None:
    """One client's full handshake with the mote (kind psk or ecdhe), then the exchanges, as phases."""
    prefix = "" if session == 1 else f"session {session}: "
    replies: list[bytes] = []
    client = net.dtls_client(IDENTITY, CLIENT_PSK, index=session, on_data=replies.append, to_mote=True,
                             ecdsa=_ecdsa_credentials() if kind == "ecdhe" else None)
    # every handshake datagram: direction, messages ("*": sent again), bytes, and two marks: its arrival
    # at the client (s>c) and where the CCS started sending it (its first data frame after the datagram
    # before it, s>c)
    datagrams: list[dict[str, Any]] = []
    seen: set[tuple[str, int | str]] = set()  # (direction, message_seq or name): a second copy gets "*"
    first_frame: list[Mark] = []  # the CCS's first data frame since the last datagram observed

    def observe(direction: str, datagram: bytes) -> None:
        if client.connected:
            return
        names: list[str] = []
        for name, seq in dtls_message_seqs(datagram):
            key = (direction, seq if seq is not None else name)  # ChangeCipherSpec, Finished: once each
            names.append(name + ("*" if key in seen else ""))
            seen.add(key)
        datagrams.append({"dir": direction, "messages": tuple(names), "bytes": len(datagram),
                          "arrival": meter._mark(), "start": first_frame[0] if first_frame else None})
        first_frame.clear()

    def answer_starts(ev: RadioEvent) -> None:
        info = data_frame_info(ev.frame) if ev.kind == "tx" else None
        if info is not None and info[0] == CCS and not first_frame:
            first_frame.append(meter._mark())

    client.observers.append(observe)
    net.radio_listeners.append(answer_starts)
    # ecdhe: the client warns of each copy of the mote's overdue flight-4 retransmission that crosses its
    # flight 5 ("message sequence number is too small"): expected, not news
    quiet = logging.getLogger("harness.tinydtls")
    level = quiet.level
    try:
        if kind == "ecdhe":
            quiet.setLevel(logging.ERROR)
        client.connect()
        net.wait_for(lambda: client.connected, f"{prefix}the client's handshake with the mote",
                     HANDSHAKE_TIMEOUT_S[kind])
        quiet.setLevel(level)
        client.observers.remove(observe)
        flights = _group_flights(datagrams)
        if len(flights) != 6 or any(f["end"] is None for f in flights):
            raise SetupRunError(f"{prefix}the handshake took {len(flights)} flights, not 6: " + "; ".join(
                f"{d['dir']} {' '.join(d['messages'])}" for d in datagrams))
        for i, f in enumerate(flights, 1):
            meter.close(f"{prefix}flight {i}", "handshake", "peer" if f["dir"] == "c>s" else "mote",
                        f["messages"], f["bytes"], at=f["end"])
            tick()
        _exchanges(net, meter, client, replies, prefix, session, exchanges, tick)
    finally:
        quiet.setLevel(level)
        if answer_starts in net.radio_listeners:
            net.radio_listeners.remove(answer_starts)
        client.close()


def _group_flights(datagrams: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The handshake's flights from its datagrams in order. A datagram that only repeats messages (every
    one marked "*") belongs to the flight in progress, whoever sent it: in ECDHE-ECDSA the mote's overdue
    retransmission of flight 4 crosses the client's flight 5, and the client repeats flight 5 while the
    mote computes. A mote flight ends at the arrival of its last datagram at the client, a client flight
    where the CCS starts sending the next flight's first datagram."""
    flights: list[dict[str, Any]] = []
    for d in datagrams:
        again = all(m.endswith("*") for m in d["messages"])
        if not flights or (flights[-1]["dir"] != d["dir"] and not again):
            if flights and flights[-1]["dir"] == "c>s":
                flights[-1]["end"] = d["start"]
            flights.append({"dir": d["dir"], "messages": (), "bytes": 0, "end": None})
        f = flights[-1]
        f["messages"] += d["messages"]
        f["bytes"] += d["bytes"]
        if d["dir"] == "s>c" and f["dir"] == "s>c":
            f["end"] = d["arrival"]
    return flights


def _exchanges(net: SimNetwork, meter: _Meter, client: Any, replies: list[bytes], prefix: str, session: int,
               exchanges: int, tick: Callable[[], None]) -> None:
    """The session's CoAP exchanges, one phase each."""
    for n in range(1, exchanges + 1):
        _exchange(net, meter, client, replies, f"{prefix}exchange {n}", n + 100 * session)
        tick()


def _exchange(net: SimNetwork, meter: _Meter, client: Any, replies: list[bytes], name: str, mid: int) -> None:
    """One confirmable CoAP GET /sensors/temperature over the record layer, resent as RFC 7252 says."""
    request = aiocoap.Message(code=aiocoap.GET, uri_path=("sensors", "temperature"))
    request.mid, request.token, request.mtype = mid & 0xFFFF, mid.to_bytes(2, "big"), aiocoap.CON
    wire = request.encode()
    t0 = net.clock.now()
    relayed = (len(net.ccs_transport.sent), len(net.ccs_transport.received)) if not client.to_mote else (0, 0)
    sent_before, got_before = len(client.sent), len(client.received)
    replies.clear()
    timeout = COAP_ACK_TIMEOUT_S
    for attempt in range(COAP_MAX_RETRANSMIT + 1):
        client.write(wire)
        try:
            net.wait_for(lambda: bool(replies), f"{name}: the CoAP response", timeout)
            break
        except SimNetError:
            if attempt == COAP_MAX_RETRANSMIT:
                raise SetupRunError(f"{name}: no CoAP response after {attempt + 1} sends "
                                    f"(from {t0:.3f} s of simulated time)") from None
            timeout *= 2
    response = aiocoap.Message.decode(replies[0])
    if response.code != aiocoap.CONTENT:
        raise SetupRunError(f"{name}: the CCS answered {response.code}, not 2.05 Content")
    out = [dg for _, dg in client.sent[sent_before:]]
    back = [dg for _, dg in client.received[got_before:]]
    messages = tuple(m + ("*" if i else "") for i, dg in enumerate(out) for m in dtls_messages(dg))
    messages += tuple(m for dg in back for m in dtls_messages(dg))
    if client.to_mote:  # the client's datagrams cross the CCS's hop themselves
        hop = out + back
    else:  # the SSM's relay messages do
        hop = [f for _, f in net.ccs_transport.sent[relayed[0]:] + net.ccs_transport.received[relayed[1]:]]
    meter.close(name, "exchange", "peer", messages, sum(len(f) for f in hop))


def run_setup(kind: str, *, seed: int = 1, exchanges: int = 3, loss: float = 0.0,
              channel_check_hz: int | None = None, sessions: int = 1,
              progress: Callable[[int, int], None] | None = None) -> SetupRun:
    """Run one session set-up of `kind` (harness.energy.phases.KINDS) and its record exchanges in the
    network simulation with the peers on simulated time; one PhaseCost per phase (module text)."""
    return SetupRunner(kind, seed=seed, exchanges=exchanges, loss=loss, channel_check_hz=channel_check_hz,
                       sessions=sessions, progress=progress).run()


class SetupRunner:
    """run_setup's work, keeping the network (its `log`: one line per event, same seed same bytes)."""

    def __init__(self, kind: str, *, seed: int = 1, exchanges: int = 3, loss: float = 0.0,
                 channel_check_hz: int | None = None, sessions: int = 1,
                 progress: Callable[[int, int], None] | None = None, host_delay_s: float = 0.0) -> None:
        if kind not in KINDS:
            raise SetupRunError(f"kind {kind!r}: one of {', '.join(KINDS)}")
        if exchanges < 0 or sessions < 1:
            raise SetupRunError(f"exchanges={exchanges}, sessions={sessions}: want >= 0 and >= 1")
        if not 0.0 <= loss < 1.0:
            raise SetupRunError(f"loss={loss}: want a fraction in [0, 1)")
        self.kind, self.seed, self.exchanges, self.loss = kind, seed, exchanges, loss
        self.channel_check_hz, self.sessions, self.progress = channel_check_hz, sessions, progress
        self.apps = _apps(kind, channel_check_hz)
        self.host_delay_s = host_delay_s
        self.net: SimNetwork | None = None

    @property
    def log(self) -> list[str]:
        """The network's event log (empty before run())."""
        return self.net.log if self.net is not None else []

    def run(self) -> SetupRun:
        """Build, boot, measure; the SetupRun."""
        fresh = IK_D if self.kind == "esse" else None  # the esse CCS bootstraps its PSK_DN
        net = self.net = SimNetwork(seed=self.seed, loss=self.loss, apps=self.apps,
                                    host_delay_s=self.host_delay_s, ik_d=fresh)
        total = self.sessions * (6 + (2 if self.kind == "esse" else 0) + self.exchanges)
        total += DEVICE_PHASES if self.kind == "esse" else 0
        done = 0

        def tick() -> None:
            nonlocal done
            done += 1
            if self.progress is not None:
                self.progress(done, total)

        try:
            try:
                meter = _Meter(net)
                if self.kind == "esse":  # a fresh CCS with only IK_d: bootstrapping and RD at boot
                    net.serve_rd()
                    net.serve_bootstrap()
                    device = _DeviceMeter(net, meter)
                net.boot()
                if self.kind == "esse":
                    # one-offs before the set-up: PSK_DN from the controller + AS, the RD registration
                    net.wait_for(lambda: bool(net.controller.installed) and bool(net.registrations)
                                 and not device.pending, "the CCS bootstraps and registers in the RD", 60.0)
                    device.close(tick)
                    net.start_delegator({IDENTITY: CLIENT_PSK})  # with the PSK_DN just bootstrapped
                net.run_for(SETTLE_S)  # LPL keeps the radio on for a while after the boot's pings
                meter._start, meter._frames = meter._mark(), []
                for session in range(1, self.sessions + 1):
                    if self.kind == "esse":
                        _esse_session(net, meter, session, self.exchanges, tick)
                    else:
                        _full_session(net, meter, session, self.exchanges, tick, self.kind)
            except SimNetError as exc:
                raise SetupRunError(f"{self.kind} set-up (seed {self.seed}): {exc}") from None
        finally:
            net.close()
        params = {"exchanges": self.exchanges, "loss": self.loss, "channel_check_hz": self.channel_check_hz,
                  "sessions": self.sessions, "apps": [self.apps.border_router, self.apps.ccs]}
        return SetupRun(kind=self.kind, seed=self.seed, params=params, phases=tuple(meter.phases))
