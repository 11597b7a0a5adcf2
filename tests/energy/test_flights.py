"""Energy per DTLS flight: DTLS datagram dissection, 6LoWPAN frame counts, flight splitting and the
CPU/radio arithmetic (the end-to-end run on the emulated mote is in tests/test_tinydtls_profiles.py)."""

from __future__ import annotations

import struct
from dataclasses import dataclass

import pytest

from harness.energy.flights import dtls_messages, flight_table, split_flights
from harness.energy.model import CURRENT_MA, SUPPLY_V, energy_mj, state_of
from harness.wire.ieee802154 import ACK_PSDU, MAX_PSDU, air_time_us
from harness.wire.lowpan import datagram_frames, max_payload


def record(ctype: int, epoch: int, body: bytes, seq: int = 0) -> bytes:
    header = struct.pack("!BHH", ctype, 0xFEFD, epoch) + seq.to_bytes(6, "big")
    return header + struct.pack("!H", len(body)) + body


def handshake(msg_type: int, message_seq: int, body: bytes = b"") -> bytes:
    n = len(body).to_bytes(3, "big")
    return bytes([msg_type]) + n + struct.pack("!H", message_seq) + b"\0\0\0" + n + body


def test_dtls_messages_names_each_record_and_handshake_message():
    hello = record(22, 0, handshake(1, 0, b"x" * 40))
    assert dtls_messages(hello) == ["ClientHello"]
    # two handshake messages in one record, then a second record in the same datagram
    flight = record(22, 0, handshake(2, 1, b"s" * 38) + handshake(14, 2))
    flight += record(22, 0, handshake(12, 3, b"k"))
    assert dtls_messages(flight) == ["ServerHello", "ServerHelloDone", "ServerKeyExchange"]
    # after ChangeCipherSpec the handshake is encrypted: epoch 1 handshake is the Finished
    ccs_finished = record(20, 0, b"\x01") + record(22, 1, b"e" * 40)
    assert dtls_messages(ccs_finished) == ["ChangeCipherSpec", "Finished"]
    assert dtls_messages(record(23, 1, b"a" * 30)) == ["ApplicationData"]
    assert dtls_messages(record(21, 0, b"\x02\x28")) == ["Alert"]


@pytest.mark.parametrize(("datagram", "words"), [
    (b"\x16\xfe\xfd", "no record"),
    (record(22, 0, handshake(1, 0, b"abc"))[:-1], "announces"),
    (record(99, 0, b""), "unknown content type 99"),
    (record(22, 0, b"\x01\x00"), "truncated handshake header"),
])
def test_malformed_datagrams_are_refused_with_the_reason(datagram, words):
    with pytest.raises(ValueError, match=words):
        dtls_messages(datagram)


def test_datagram_frames_follow_rfc4944_fragmentation():
    room = max_payload()
    assert datagram_frames(room) == [MAX_PSDU]  # the largest payload one frame carries
    two = datagram_frames(room + 1)
    assert len(two) == 2 and all(f <= MAX_PSDU for f in two)
    for payload in range(1, 1200, 7):
        frames = datagram_frames(payload)
        assert all(f <= MAX_PSDU for f in frames)
        if len(frames) > 1:
            # FRAG1 holds the compressed headers (standing for 48 bytes) and a multiple of 8 bytes,
            # every FRAGN but the last a multiple of 8: the payload is carried exactly once
            mac = 9 + 2
            first = frames[0] - mac - 4 - 6
            rest = [f - mac - 5 for f in frames[1:]]
            assert first % 8 == 0 and all(r % 8 == 0 for r in rest[:-1])
            assert first + sum(rest) == payload


@dataclass
class Seen:
    direction: str
    datagram: bytes
    active_ns: int


def test_split_flights_groups_by_sender_and_charges_cpu_between_flight_ends():
    """CPU time comes from the tracker's active nanoseconds at each datagram, never from cycles."""
    ch = record(22, 0, handshake(1, 0, b"c" * 60))
    hvr = record(22, 0, handshake(3, 0, b"v" * 20))
    ch2 = record(22, 0, handshake(1, 1, b"c" * 76))
    sh, shd = record(22, 0, handshake(2, 1, b"s" * 40)), record(22, 0, handshake(14, 2))
    fin = record(20, 0, b"\x01") + record(22, 1, b"f" * 40)
    app = record(23, 1, b"a" * 20)
    seen = [
        Seen("mote->host", ch, 1_000), Seen("host->mote", hvr, 1_500), Seen("mote->host", ch2, 2_000),
        Seen("host->mote", sh, 2_500), Seen("host->mote", shd, 2_600), Seen("host->mote", sh, 2_700),
        Seen("mote->host", fin, 9_000), Seen("host->mote", fin, 9_500), Seen("host->mote", app, 12_000),
        Seen("mote->host", app, 13_000),
    ]
    flights = split_flights(seen, start_active_ns=100, end_active_ns=99_999)
    assert [(f.sender, f.messages) for f in flights] == [
        ("mote", ("ClientHello",)),
        ("peer", ("HelloVerifyRequest",)),
        ("mote", ("ClientHello",)),
        ("peer", ("ServerHello", "ServerHelloDone", "ServerHello*")),  # the retransmitted one is marked
        ("mote", ("ChangeCipherSpec", "Finished")),
        ("peer", ("ChangeCipherSpec", "Finished")),
    ]
    # CPU: previous flight's end to this one's; the last runs to the first application datagram
    assert [f.cpu_ns for f in flights] == [900, 500, 500, 700, 6_300, 3_000]
    assert sum(f.cpu_ns for f in flights) == 12_000 - 100
    assert flights[4].cpu_mj == pytest.approx(6_300e-9 * CURRENT_MA["CPU"] * SUPPLY_V)
    # radio: the mote transmits its own frames and receives the ACKs, and the other way round
    one = air_time_us(datagram_frames(len(ch))[0])
    ack = air_time_us(ACK_PSDU)
    assert (flights[0].tx_us, flights[0].rx_us) == (one, ack)
    assert flights[3].frames == 3 and flights[3].tx_us == 3 * ack
    assert flights[3].radio_mj == pytest.approx(energy_mj("TX", 3 * ack) + energy_mj("RX", flights[3].rx_us))
    table = flight_table(flights)
    assert len(table) == 1 + len(flights) + 1 and "ServerHello*" in table[4]


def test_radio_airtime_is_phy_header_plus_psdu_at_250_kbps():
    assert air_time_us(ACK_PSDU) == (6 + 5) * 32
    assert air_time_us(MAX_PSDU) == (6 + 127) * 32


def test_energy_model_is_time_current_voltage():
    assert energy_mj("TX", 1_000_000) == pytest.approx(17.7 * 3.0)
    assert (state_of("cpu", "active"), state_of("cpu", "lpm3"), state_of("radio", "listen"),
            state_of("radio", "tx"), state_of("radio", "off")) == ("CPU", "LPM", "RX", "TX", None)
    with pytest.raises(ValueError, match="unknown energy state"):
        energy_mj("BEEP", 1)


def test_handoff_flights_are_one_message_each_way():
    from harness.energy.flights import handoff_flights
    from harness.wire.ssm import ACK_LEN, KM_LEN

    km, ack = handoff_flights(KM_LEN, ACK_LEN, 60_000, 20_000)
    assert (km.sender, km.messages, km.frames, ack.sender, ack.messages, ack.frames) == (
        "peer", ("KEY_MATERIAL",), 1, "mote", ("KEY_ACK",), 1)
    # docs/protocol.md: KEY_MATERIAL is a 113-byte frame, KEY_ACK a 42-byte one
    assert km.rx_us == air_time_us(113) and ack.tx_us == air_time_us(42)
    assert km.tx_us == ack.rx_us == air_time_us(ACK_PSDU)
    assert km.cpu_mj == pytest.approx(60_000e-9 * 1.8 * 3.0)  # 60 µs of CPU at 1.8 mA, 3 V
