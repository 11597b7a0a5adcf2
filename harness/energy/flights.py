"""Energy per DTLS flight on a mote that runs the whole handshake itself: the cost ESSE moves to the SSM.

Input is the handshake's datagrams as the mote saw them, in order, each stamped with the mote's
CPU-active time at that moment: the emulator's per-mode nanosecond tracker (`Mote.active_ns`, exact
across DCO changes; harness.tinydtls.mote_link records them). A flight is a run
of datagrams from one side that carry handshake or ChangeCipherSpec records (RFC 6347 §4.2.4); a
retransmitted datagram stays in its flight. The first datagram with neither ends the handshake.

Per flight:
- CPU: the mote's active nanoseconds from the end of the previous flight (its last datagram) to the end of
  this one. For a mote flight that is handling the peer's flight and building this one (the PRF, the
  Finished MAC, the ECC arithmetic); for a peer flight, waiting and receiving it, plus handling the
  messages the mote acts on as they arrive (TinyDTLS checks a ServerKeyExchange signature before it
  takes the next datagram). The first flight starts when the handshake starts; the last also
  carries the mote's handling of it, up to the end.
- radio: the flight's own 802.15.4 frames had it crossed the radio as 6LoWPAN (link-local IPHC, UDP
  NHC, RFC 4944 fragments past one frame), each acknowledged. The mote transmits its flights' frames
  and receives their ACKs; it receives the peer's frames and transmits their ACKs. Idle listening,
  CSMA back-off and retries belong to no flight and are left out.
A handshake message sent again (same sender, same message_seq) is marked with a trailing "*".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from harness.energy.model import energy_mj
from harness.wire.dtls import (
    CONTENT_TYPES,
    CT_HANDSHAKE,
    RECORD_HEADER,
    split_handshake,
    split_records_strict,
)
from harness.wire.ieee802154 import ACK_PSDU, air_time_us
from harness.wire.lowpan import datagram_frames


class SeenDatagram(Protocol):
    """A handshake datagram as the mote saw it (harness.tinydtls.mote_link.LinkEvent is one)."""

    direction: str  # "mote->host" (sent by the mote) or "host->mote"
    datagram: bytes
    active_ns: int  # the mote's CPU-active time (ns, the core's tracker) when the datagram crossed


def dtls_messages(datagram: bytes) -> list[str]:
    """Names of what a DTLS datagram carries, record by record: handshake message types for
    plaintext (epoch 0) handshake records, "Finished" for an encrypted one (the only handshake
    message sent after ChangeCipherSpec), else the content type."""
    return [name for name, _ in _messages(datagram)]


def dtls_message_seqs(datagram: bytes) -> list[tuple[str, int | None]]:
    """(name, message_seq) per message of a DTLS datagram; message_seq only for plaintext handshake
    messages (what tells a retransmission: the same sender sends the same message_seq again)."""
    return _messages(datagram)


def _messages(datagram: bytes) -> list[tuple[str, int | None]]:
    """(name, message_seq) per message; message_seq only for plaintext handshake messages."""
    out: list[tuple[str, int | None]] = []
    for r in split_records_strict(datagram):
        if r.content_type not in CONTENT_TYPES:
            raise ValueError(f"DTLS record at offset {r.offset}: unknown content type {r.content_type}")
        if r.content_type == CT_HANDSHAKE and r.epoch == 0:
            body = datagram[r.offset + RECORD_HEADER : r.end]
            out += [(h.name, h.message_seq) for h in split_handshake(body)]
        elif r.content_type == CT_HANDSHAKE:
            out.append(("Finished", None))
        else:
            out.append((CONTENT_TYPES[r.content_type], None))
    return out


@dataclass(frozen=True)
class Flight:
    """One DTLS flight of a handshake with what it costs the mote."""

    index: int  # 1-based
    sender: str  # "mote" or "peer"
    messages: tuple[str, ...]
    datagrams: int
    bytes: int  # UDP payload bytes (the DTLS datagrams)
    frames: int  # 802.15.4 data frames they would take
    tx_us: int  # the mote's radio transmitting: its data frames, or its ACKs of the peer's
    rx_us: int  # the mote's radio receiving: the peer's data frames, or the ACKs of its own
    cpu_ns: int  # the mote's CPU-active time over the flight (the core's per-mode ns tracker)

    @property
    def cpu_mj(self) -> float:
        """The CPU energy of the flight in mJ."""
        return energy_mj("CPU", self.cpu_ns / 1000)

    @property
    def radio_mj(self) -> float:
        """The radio energy of the flight (TX and RX) in mJ."""
        return energy_mj("TX", self.tx_us) + energy_mj("RX", self.rx_us)

    @property
    def energy_mj(self) -> float:
        """The flight's total energy (CPU + radio) in mJ."""
        return self.cpu_mj + self.radio_mj


def _carries_handshake(names: Iterable[str]) -> bool:
    return any(m not in ("ApplicationData", "Alert") for m in names)


def _flight(index: int, sender: str, messages: tuple[str, ...], sizes: list[int], cpu_ns: int) -> Flight:
    """A flight of datagrams of these UDP payload sizes: its frames' air time goes to TX when the mote
    sends them and to RX otherwise, the ACKs' air time the other way."""
    frames = [f for size in sizes for f in datagram_frames(size)]
    data_us = sum(air_time_us(f) for f in frames)
    acks_us = len(frames) * air_time_us(ACK_PSDU)
    by_mote = sender == "mote"
    return Flight(index=index, sender=sender, messages=messages, datagrams=len(sizes), bytes=sum(sizes),
                  frames=len(frames), tx_us=data_us if by_mote else acks_us,
                  rx_us=acks_us if by_mote else data_us, cpu_ns=cpu_ns)


def split_flights(seen: Iterable[SeenDatagram], *, start_active_ns: int | None = None,
                  end_active_ns: int) -> list[Flight]:
    """The handshake's flights, with the mote-side CPU and radio cost of each (see the module text).
    `start_active_ns`: the CPU-active time when the handshake started (default: at its first
    datagram); `end_active_ns`: at its end, used when no non-handshake datagram follows it."""
    runs: list[list[tuple[SeenDatagram, list[tuple[str, int | None]]]]] = []  # datagrams, parsed once
    stop_active = end_active_ns
    for d in seen:
        parsed = _messages(d.datagram)
        if not _carries_handshake(name for name, _ in parsed):
            stop_active = d.active_ns
            break
        if runs and runs[-1][0][0].direction == d.direction:
            runs[-1].append((d, parsed))
        else:
            runs.append([(d, parsed)])
    flights = []
    sent: set[tuple[str, int]] = set()  # (direction, message_seq) of plaintext handshake messages seen
    first = runs[0][0][0].active_ns if runs else 0
    previous_end = start_active_ns if start_active_ns is not None else first
    for i, run in enumerate(runs):
        end = run[-1][0].active_ns if i + 1 < len(runs) else stop_active
        names = []
        for d, parsed in run:
            for name, seq in parsed:
                again = seq is not None and (d.direction, seq) in sent
                if seq is not None:
                    sent.add((d.direction, seq))
                names.append(name + ("*" if again else ""))
        sender = "mote" if run[0][0].direction == "mote->host" else "peer"
        sizes = [len(d.datagram) for d, _ in run]
        flights.append(_flight(i + 1, sender, tuple(names), sizes, end - previous_end))
        previous_end = end
    return flights


def flight_table(flights: list[Flight]) -> list[str]:
    """The flights as text lines, with a total."""
    out = [f"{'#':>2} {'from':<5}{'dgrams':>6}{'bytes':>7}{'frames':>7}{'CPU µs':>13}{'CPU mJ':>10}"
           f"{'radio mJ':>9}{'total mJ':>10}  messages (* sent again)"]
    for f in flights:
        out.append(f"{f.index:>2} {f.sender:<5}{f.datagrams:>6}{f.bytes:>7}{f.frames:>7}"
                   f"{f.cpu_ns / 1000:>13.1f}"
                   f"{f.cpu_mj:>10.3f}{f.radio_mj:>9.3f}{f.energy_mj:>10.3f}  {', '.join(f.messages)}")
    out.append(f"{'':>2} {'all':<5}{sum(f.datagrams for f in flights):>6}{sum(f.bytes for f in flights):>7}"
               f"{sum(f.frames for f in flights):>7}{sum(f.cpu_ns for f in flights) / 1000:>13.1f}"
               f"{sum(f.cpu_mj for f in flights):>10.3f}{sum(f.radio_mj for f in flights):>9.3f}"
               f"{sum(f.energy_mj for f in flights):>10.3f}")
    return out


def handoff_flights(km_bytes: int, ack_bytes: int, open_ns: int, ack_ns: int) -> list[Flight]:
    """What ESSE asks of the mote instead of a handshake, in the same terms: the SSM's KEY_MATERIAL
    message in (opening it and installing the record state: `open_ns` of CPU) and the KEY_ACK out
    (`ack_ns`), each a UDP datagram over 6LoWPAN with its frames acknowledged."""
    return [_flight(1, "peer", ("KEY_MATERIAL",), [km_bytes], open_ns),
            _flight(2, "mote", ("KEY_ACK",), [ack_bytes], ack_ns)]
