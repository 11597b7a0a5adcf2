"""Kind "ecdhe" of the set-up runs: the full ECDHE-ECDSA handshake on the emulated mote, radio modelled.

No F1611 image holds TinyDTLS's ECDHE-ECDSA engine *and* the 6LoWPAN stack (ccs-full-ecc needs
5.3 KB more flash than the chip has; harness/tinydtls/ccs_full_build.py), so this kind cannot run in
the network simulation like "esse" and "psk". What runs instead:

- the mote: the `tinydtls-ecc` profile (harness/tinydtls/profiles.py; TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8,
  raw public keys, P-256 on the MSP430) as the DTLS *client*, its datagrams framed on UART1
  (harness.tinydtls.mote_link); the host TinyDTLS is the server, on a SimClock that follows the mote's
  simulated time (its retransmissions go out at the instants TinyDTLS's timer names);
- CPU and LPM per phase: the emulator's per-mode nanosecond tracker of that mote, measured;
- the radio per phase (TX, listen, frames, 6LoWPAN fragments): *modelled* from the phase's datagram
  sizes with the arithmetic of harness.wire (link-local IPHC, UDP NHC, RFC 4944 fragments, 250 kb/s
  air time, the 12-symbol TX turnaround per transmission, an acknowledgement per frame): TX is the
  mote's own data frames and its acknowledgements of the peer's; the always-on radio listens for the
  rest of the phase (as the network simulation's always-on CCS does). No loss, no CSMA back-off.

Phases, as kind "psk" with the roles swapped (here the mote is the client): a peer flight (2, 4, 6)
ends where the mote starts sending its answer, so the mote's work on it (ECDSA verify, ECDH, signing)
is in it; a mote flight (1, 3, 5) ends at the arrival of its last datagram at the peer; flight 6 ends
when the mote reports the session connected (its green LED). Exchange i: the host sends the CoAP GET
the other kinds send, the profile app echoes it on the session (same record layer; the reply has the
request's size, not a 2.05 Content's). The profile app polls instead of sleeping: its waits count as
CPU (an upper bound, tiny beside the P-256 work).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.energy.energest import EnergestSample, interval_ns
from harness.energy.energest_probe import EnergestProbe
from harness.energy.flights import dtls_message_seqs, dtls_messages
from harness.energy.phases import PhaseCost
from harness.wire.ieee802154 import ACK_PSDU, TURNAROUND_US, air_time_us
from harness.wire.lowpan import datagram_frames

RADIO_NOTE = "radio: modelled, no F1611 image holds ECDHE + network"
STEP_CYCLES = 20_000  # link polling slice: the resolution of the phase boundaries (~5 ms)
HANDSHAKE_MAX_CYCLES = 8_000_000_000  # ~2 000 s at 3.9 MHz: the handshake takes ~750 s
EXCHANGE_MAX_CYCLES = 200_000_000
LED_PORT, LED_GREEN_PIN = 5, 5  # P5.5 (firmware/sys/sky_leds.c), lit when low: handshake_main.c lights
# it at DTLS_EVENT_CONNECTED
# the host server's key pair (deterministic runs): the client key of harness/tinydtls/ccs_full_build.py
HOST_PRIVATE = "537eca309d0352ed30fc5319f0643a3570a56adfe5c9149d5f8b609ffe76a88d"
HOST_PUBLIC_X = "28f94ed34f25023f77dff65ab40cab53e94385e29b15d9a62c2dabdfba2712ec"
HOST_PUBLIC_Y = "3ef753fb2652ce6dbd758116c65773e77e8844c152d03ead2626d29e0d4611d7"


# a boundary: (the mote's ns, its CPU tracker per mode, its firmware energest counters)
_EMark = tuple[int, dict[str, int], EnergestSample | None]


@dataclass(frozen=True)
class _Sent:
    """One datagram on the (modelled) air: when it left its sender, who sent it."""

    at_ns: int  # the mote's simulated ns
    by_mote: bool
    datagram: bytes
    start: _EMark | None = None  # a mote datagram: the mark where it started out


def radio_cost(datagrams: list[tuple[bool, int]], duration_ns: int) -> dict[str, int]:
    """The modelled radio of a phase: (sent by the mote, UDP payload bytes) per datagram and the
    phase's length -> tx_ns, listen_ns, frames, fragments (module text)."""
    tx_us = frames = fragments = 0
    for by_mote, size in datagrams:
        psdus = datagram_frames(size)
        frames += len(psdus)
        fragments += len(psdus) if len(psdus) > 1 else 0
        if by_mote:  # its data frames, each after a turnaround
            tx_us += sum(TURNAROUND_US + air_time_us(p) for p in psdus)
        else:  # its acknowledgements of the peer's frames
            tx_us += len(psdus) * (TURNAROUND_US + air_time_us(ACK_PSDU))
    tx_ns = min(tx_us * 1000, duration_ns)
    return {"tx_ns": tx_ns, "listen_ns": duration_ns - tx_ns, "frames": frames, "fragments": fragments}


class _Recorder:
    """Stands for the host context on the link: notes each mote datagram, then hands it on."""

    def __init__(self, host: Any, run: EcdheRun) -> None:
        self.host, self.run = host, run

    def handle_message(self, addr: Any, datagram: bytes) -> Any:
        """The link's delivery of a mote datagram."""
        self.run.from_mote(datagram)
        return self.host.handle_message(addr, datagram)

    def check_retransmit(self) -> Any:
        """The host's retransmissions."""
        return self.host.check_retransmit()


class EcdheRun:
    """One ECDHE-ECDSA set-up and its exchanges on the emulated mote; run() -> the phases."""

    def __init__(self, *, seed: int, exchanges: int, tick: Callable[[], None]) -> None:
        self.seed, self.exchanges, self.tick = seed, exchanges, tick
        self.sent: list[_Sent] = []
        self._sending: _EMark | None = None
        self._handshake_end: _EMark = (0, {}, None)
        self._exchange_end: _EMark = (0, {}, None)
        self.phases: list[PhaseCost] = []
        self.log: list[str] = []

    def run(self) -> list[PhaseCost]:
        """Boot, handshake, exchanges."""
        from harness.clock import SimClock
        from harness.emulator.mote import Mote, lib
        from harness.energy.setup_run import SetupRunError
        from harness.tinydtls.binding import Cipher, DtlsContext, DtlsEvent, EcdsaKey
        from harness.tinydtls.mote_link import UartDatagramLink
        from harness.tinydtls.profiles import build_profile

        self._lib = lib
        elf = build_profile("ecc").elf
        mote = self.mote = Mote(elf, node_id=2)
        self._energest = EnergestProbe(mote, elf, 2)
        boot = mote.run_until_uart(rb"changed\n", max_cycles=300_000_000)
        if boot.reason != "uart" or boot.match is None:
            raise SetupRunError(f"ecdhe: the tinydtls-ecc app never started: {mote.uart_text()!r}")
        self.clock = SimClock(mote.time_ns / 1e9)
        link = self.link = UartDatagramLink(mote, start=boot.match.end())
        self.replies: list[bytes] = []
        self.connected = False

        def event(addr: Any, ev: Any, level: Any) -> None:
            if ev == DtlsEvent.CONNECTED:
                self.connected = True

        delivered: set[tuple[str, int | None]] = set()

        def send(addr: Any, datagram: bytes) -> None:
            self.sent.append(_Sent(mote.time_ns, False, datagram))
            seqs = dtls_message_seqs(datagram)
            if seqs and all(seq is not None and (name, seq) in delivered for name, seq in seqs):
                self.log.append(f"{mote.time_ns} host> again, not delivered {datagram.hex()}")
                return  # no loss here: a retransmitted flight only ever repeats what the mote has
            delivered.update(seqs)
            self.log.append(f"{mote.time_ns} host> {datagram.hex()}")
            link.to_mote(addr, datagram)

        key = EcdsaKey(*(bytes.fromhex(h) for h in (HOST_PRIVATE, HOST_PUBLIC_X, HOST_PUBLIC_Y)))
        host = self.host = DtlsContext(send, on_data=lambda a, d: self.replies.append(d), on_event=event,
                                       ecdsa_key=key, verify_peer_key=lambda addr, x, y: True,
                                       cipher_suites=[Cipher.ECDHE_ECDSA_AES_128_CCM_8], clock=self.clock,
                                       seed=self.seed * 1000 + 501)
        link.attach(_Recorder(host, self))  # type: ignore[arg-type]
        # the host warns of every stale flight-4 copy the mote's late flight 5 crosses: expected here
        quiet = logging.getLogger("harness.tinydtls")
        level = quiet.level
        quiet.setLevel(logging.ERROR)
        try:
            self._handshake(SetupRunError)
            for n in range(1, self.exchanges + 1):
                self._exchange(n, SetupRunError)
                self.tick()
        finally:
            quiet.setLevel(level)
            host.free()
        return self.phases

    # -- stepping

    def _mark(self) -> _EMark:
        """(the mote's ns, its CPU tracker per mode, its energest read from RAM: nothing runs) now."""
        return self.mote.time_ns, self.mote.mode_ns(0), self._energest.read()

    def _step(self) -> None:
        """One polling slice: the mote runs, the host's clock follows, the link moves datagrams."""
        self.mote.run(STEP_CYCLES)
        self.clock.advance_to(self.mote.time_ns / 1e9)
        if self._sending is None and len(self.mote.uart_output()) > self.link._pos:
            self._sending = self._mark()  # the mote started writing a datagram
        self.link.poll()
        self.host.check_retransmit()

    def from_mote(self, datagram: bytes) -> None:
        """A mote datagram reaches the host (before the host answers it)."""
        self.sent.append(_Sent(self.mote.time_ns, True, datagram, self._sending or self._mark()))
        self._sending = None
        self.log.append(f"{self.mote.time_ns} mote> {datagram.hex()}")

    def _run_until(self, done: Callable[[], bool], max_cycles: int, what: str,
                   error: type[Exception]) -> None:
        limit = self.mote.now + max_cycles
        while not done():
            if self.mote.now >= limit:
                raise error(f"ecdhe: {what}: not within {max_cycles} cycles of the mote")
            self._step()

    def _close(self, name: str, group: str, sender: str, messages: tuple[str, ...],
               start: _EMark, end: _EMark, sent: list[_Sent]) -> None:
        (t0, m0, e0), (t1, m1, e1) = start, end
        # the radio is modelled: only the CPU and LPM of the firmware's energest compare
        energest = {k: v for k, v in interval_ns(e0, e1).items() if k in ("CPU", "LPM")} if e0 and e1 else {}
        cpu = m1.get("active", 0) - m0.get("active", 0)
        lpm = sum(m1[k] - m0.get(k, 0) for k in m1 if k.startswith("lpm"))
        radio = radio_cost([(s.by_mote, len(s.datagram)) for s in sent], t1 - t0)
        self.phases.append(PhaseCost(name=name, group=group, sender=sender, messages=messages, cpu_ns=cpu,
                                     lpm_ns=lpm, bytes=sum(len(s.datagram) for s in sent),
                                     time_ns=t1 - t0, energest_ns=energest, **radio))

    # -- the phases

    def _handshake(self, error: type[Exception]) -> None:
        start = self._mark()
        # run until the mote is connected; the flights are cut afterwards from the datagram times
        marks: list[_EMark] = []  # a mark at every datagram event, in order
        seen = 0

        def done() -> bool:
            nonlocal seen
            while seen < len(self.sent):
                marks.append(self._mark())
                seen += 1
            return self.connected and self._lib.port_get_pin(self.mote.ptr, LED_PORT, LED_GREEN_PIN) == 0

        self._run_until(done, HANDSHAKE_MAX_CYCLES, "the ECDHE-ECDSA handshake", error)
        end = self._mark()
        runs: list[list[int]] = []  # indices into self.sent, grouped by sender
        for i, s in enumerate(self.sent):
            if runs and self.sent[runs[-1][0]].by_mote == s.by_mote:
                runs[-1].append(i)
            else:
                runs.append([i])
        # the mote sends overdue retransmissions of flight 5 while it takes flight 6 (its timer was due
        # during the P-256 work, which runs inline): they are flight 6's, marked "*"
        if len(runs) > 6:
            runs[5:] = [[i for run in runs[5:] for i in run]]
        if len(runs) != 6:
            raise error(f"ecdhe: the handshake took {len(runs)} flights, not 6: " + "; ".join(
                f"{s.at_ns / 1e9:.3f} {'mote' if s.by_mote else 'peer'} {dtls_messages(s.datagram)}"
                for s in self.sent))
        seq_seen: set[tuple[bool, int]] = set()
        for k, run in enumerate(runs):
            by_mote = self.sent[run[0]].by_mote
            if k == 5:
                stop = end
            elif by_mote:  # at the arrival of its last datagram at the peer
                stop = marks[run[-1]]
            else:  # where the mote's answer starts
                stop = self.sent[runs[k + 1][0]].start or marks[runs[k + 1][0]]
            names: tuple[str, ...] = ()
            for i in run:
                for name, seq in dtls_message_seqs(self.sent[i].datagram):
                    again = seq is not None and (by_mote, seq) in seq_seen
                    if seq is not None:
                        seq_seen.add((by_mote, seq))
                    names += (name + ("*" if again else ""),)
            self._close(f"flight {k + 1}", "handshake", "mote" if by_mote else "peer", names, start, stop,
                        [self.sent[i] for i in run])
            start = stop
            self.tick()
        self._handshake_end = end

    def _exchange(self, n: int, error: type[Exception]) -> None:
        import aiocoap

        request = aiocoap.Message(code=aiocoap.GET, uri_path=("sensors", "temperature"))
        mid = n + 100  # as the other kinds' first session
        request.mid, request.token, request.mtype = mid & 0xFFFF, mid.to_bytes(2, "big"), aiocoap.CON
        start = self._handshake_end if n == 1 else self._exchange_end
        first = len(self.sent)
        self.replies.clear()
        if self.host.write(self.link.mote_address, request.encode()) <= 0:
            raise error("ecdhe: the host has no session to write on")
        self._run_until(lambda: bool(self.replies), EXCHANGE_MAX_CYCLES, f"exchange {n}: the echo", error)
        end = self._exchange_end = self._mark()
        sent = self.sent[first:]
        messages = tuple(m for s in sent for m in dtls_messages(s.datagram))
        self._close(f"exchange {n}", "exchange", "peer", messages, start, end, sent)
