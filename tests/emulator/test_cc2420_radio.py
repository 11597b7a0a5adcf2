"""CC2420 model + firmware driver (firmware/dev/cc2420.c) on two emulated motes running the radiotest app,
linked by a tiny direct "medium" (each frame a radio emits is handed to the other radio)."""

from __future__ import annotations

import random
import re
from collections.abc import Callable

import pytest

from harness.build import build_app
from harness.emulator.mote import Mote, lib
from harness.emulator.radio import BYTE_NS, TURNAROUND_NS, Radio, SkyRadio, TxFrame
from harness.sim.interfaces import SimRadio
from harness.sim.medium import UDGMMedium, UDGMParams
from harness.sim.scripted import ScriptedMote
from harness.wire.ieee802154 import air_time_us, data_frame, fcs16, with_fcs

QUANTUM_NS = 100_000  # lockstep; below 192 us + SHR so every frame reaches the peer before its SFD
RX_LINE = re.compile(
    rb"RX len=(\d+) crc=(\d) rssi=(-?\d+) corr=(\d+) seq=(\d+) src=(\d+) sum=([0-9a-f]{4}) sfd=(\d+)\n"
)
TX_LINE = re.compile(rb"TX seq=(\d+) dst=(\d+) len=(\d+) rc=(-?\d+) acked=(\d) sfd=(\d+)\n")
RSSI_DBM = -60


def fletcher16(data: bytes) -> int:
    a = b = 0
    for byte in data:
        a = (a + byte) % 255
        b = (b + a) % 255
    return b << 8 | a


@pytest.fixture(scope="module")
def radiotest_elf():
    return build_app("radiotest").elf


class Pair:
    """Node 1 (a) and node 2 (b) running radiotest, radios wired to each other."""

    def __init__(self, elf) -> None:
        self.a = Mote(elf, node_id=1)
        self.b = Mote(elf, node_id=2)
        self.ra = Radio(self.a)
        self.rb = Radio(self.b)
        self.mutate: Callable[[bytes], bytes] | None = None  # applied to frames a -> b
        self.ra.on_transmit = self._link(self.rb, mutate=True)
        self.rb.on_transmit = self._link(self.ra, mutate=False)
        self.t_ns = 0
        self.until_text(self.a, rb"radiotest node=1 ready\n", 2_000_000_000)
        self.until_text(self.b, rb"radiotest node=2 ready\n", 2_000_000_000)
        self.command(self.a, "period 0")

    def _link(self, dst: Radio, mutate: bool) -> Callable[[TxFrame], None]:
        def deliver(frame: TxFrame) -> None:
            psdu = self.mutate(frame.psdu) if (mutate and self.mutate) else frame.psdu
            dst.receive(psdu, channel=frame.channel, start_ns=frame.start_ns, rssi_dbm=RSSI_DBM)

        return deliver

    def step(self) -> None:
        self.t_ns += QUANTUM_NS
        for mote in (self.a, self.b):
            mote.run_until_cycle(lib.clk_cycle_at_ns(mote.ptr, self.t_ns))
        self.ra.check()
        self.rb.check()

    def run_ns(self, ns: int) -> None:
        end = self.t_ns + ns
        while self.t_ns < end:
            self.step()

    def until_text(self, mote: Mote, pattern: bytes, max_ns: int, start: int = 0) -> re.Match[bytes]:
        rx = re.compile(pattern)
        end = self.t_ns + max_ns
        while True:
            found = rx.search(mote.uart_output(), start)
            if found:
                return found
            assert self.t_ns < end, f"no {pattern!r} in {mote.uart_text()[-400:]!r}"
            self.step()

    def command(self, mote: Mote, text: str) -> None:
        start = len(mote.uart_output())
        data = (text + "\n").encode()
        assert lib.uart_rx_push(mote.ptr, 1, data, len(data)) == len(data)
        self.until_text(mote, b"OK " + re.escape(text.encode()) + b"\n", 50_000_000, start)

    def send(self, text: str = "send 2") -> re.Match[bytes]:
        start = len(self.a.uart_output())
        self.command(self.a, text)
        found = TX_LINE.search(self.a.uart_output(), start)
        assert found, self.a.uart_text()[start:]
        return found

    def rx_lines(self) -> list[re.Match[bytes]]:
        return list(RX_LINE.finditer(self.b.uart_output()))


@pytest.fixture
def pair(radiotest_elf) -> Pair:
    return Pair(radiotest_elf)


def airtime_ns(psdu_len: int) -> int:
    return air_time_us(psdu_len) * 1000


def smclk_ticks(mote: Mote, ns: int) -> float:
    return ns * lib.clk_freq_hz(mote.ptr, 2) / 1e9


def test_frame_delivery_airtime_sfd_and_autoack(pair: Pair) -> None:
    tx = pair.send("send 2")
    seq = int(tx[1])
    assert tx[4] == b"0" and tx[5] == b"1", tx[0]  # rc=0, acknowledged
    pair.run_ns(15_000_000)
    frame = pair.ra.transmitted[-1]
    # 50-byte MPDU + FCS computed by the radio; on the air for exactly (5 + 1 + 50 + 2) x 32 us
    assert len(frame.psdu) == 52 and frame.channel == 26
    assert frame.psdu == with_fcs(frame.psdu[:-2])
    assert frame.end_ns - frame.start_ns == (5 + 1 + 50 + 2) * BYTE_NS == airtime_ns(52)
    (rx,) = pair.rx_lines()
    length, crc, rssi, _corr, rseq, src, checksum, sfd = (
        int(x, 16) if i == 6 else int(x) for i, x in enumerate(rx.groups())
    )
    assert (length, crc, rssi, rseq, src) == (50, 1, RSSI_DBM, seq, 1)
    assert checksum == fletcher16(frame.psdu[:-2])
    # SFD pulse (SFD received -> last byte) through Timer_B capture on both motes: (1 + 52) bytes
    pulse_ns = (1 + 52) * BYTE_NS
    assert abs(sfd - smclk_ticks(pair.b, pulse_ns)) <= 3
    assert abs(int(tx[6]) - smclk_ticks(pair.a, pulse_ns)) <= 3
    # AUTOACK: 5-byte ACK frame 12 symbol periods after the last symbol of the frame
    (ack,) = pair.rb.transmitted
    assert ack.psdu == with_fcs(bytes([0x02, 0x00, seq]))
    assert ack.start_ns == frame.end_ns + TURNAROUND_NS
    assert pair.rb.stats()["tx_acks"] == 1 and pair.ra.stats()["rx_frames"] == 1
    assert pair.ra.stats()["rx_late"] == pair.rb.stats()["rx_late"] == 0  # the lockstep kept causality


def test_corrupted_frame_reads_crc_error_and_is_not_acked(pair: Pair) -> None:
    def flip(psdu: bytes) -> bytes:
        return psdu[:20] + bytes([psdu[20] ^ 0x10]) + psdu[21:]

    pair.mutate = flip
    tx = pair.send("send 2")
    assert tx[5] == b"0"  # no acknowledgement for a bad CRC
    pair.run_ns(15_000_000)
    (rx,) = pair.rx_lines()
    assert rx[2] == b"0"
    assert int(rx[7], 16) == fletcher16(flip(pair.ra.transmitted[-1].psdu)[:-2])
    assert pair.rb.stats()["rx_crc_errors"] == 1 and pair.rb.stats()["tx_acks"] == 0
    assert fcs16(pair.ra.transmitted[-1].psdu[:-2]) == int.from_bytes(
        pair.ra.transmitted[-1].psdu[-2:], "little"
    )


def test_reception_only_on_the_same_channel(pair: Pair) -> None:
    pair.command(pair.b, "chan 15")
    assert pair.rb.channel == 15
    tx = pair.send("send 2")
    assert tx[5] == b"0"
    pair.run_ns(15_000_000)
    assert pair.rx_lines() == [] and pair.ra.transmitted[-1].channel == 26
    pair.command(pair.a, "chan 15")
    tx = pair.send("send 2")
    assert tx[5] == b"1" and pair.ra.transmitted[-1].channel == 15
    pair.run_ns(15_000_000)
    assert len(pair.rx_lines()) == 1


def test_address_recognition_drops_frames_for_others(pair: Pair) -> None:
    tx = pair.send("send 99")
    assert tx[4] == b"0" and tx[5] == b"0"
    pair.run_ns(15_000_000)
    assert pair.rx_lines() == []
    assert pair.rb.stats()["rx_rejected"] == 1 and pair.rb.rxfifo_count == 0
    pair.send("bcast")  # broadcast passes address recognition, asks for no ack
    pair.run_ns(15_000_000)
    assert len(pair.rx_lines()) == 1 and pair.rb.stats()["tx_acks"] == 0
    pair.command(pair.b, "filter 0")  # no recognition: every frame is taken
    pair.send("send 99")
    pair.run_ns(15_000_000)
    lines = pair.rx_lines()
    assert len(lines) == 2 and lines[-1][2] == b"1"


def test_rxfifo_overflow_and_recovery(pair: Pair) -> None:
    pair.command(pair.b, "hold 1")  # the MCU stops reading the RXFIFO
    for _ in range(3):
        pair.send("send 2")  # 3 x 53 bytes > 128
    pair.run_ns(15_000_000)
    assert pair.rb.rx_overflow and pair.rb.rxfifo_count == 128
    assert pair.rb.pins["fifop"] == 1 and pair.rb.pins["fifo"] == 0  # overflow signature
    assert pair.rb.stats()["rx_overflows"] == 1 and pair.rb.stats()["rx_frames"] == 2
    tx = pair.send("send 2")  # no reception until the RXFIFO is flushed
    assert tx[5] == b"0"
    pair.command(pair.b, "hold 0")  # the driver sees FIFOP without FIFO: flushes
    assert not pair.rb.rx_overflow and pair.rb.rxfifo_count == 0
    pair.command(pair.b, "stats")
    assert b"STATS dropped=1 " in pair.b.uart_output()
    assert pair.rx_lines() == []
    tx = pair.send("send 2")
    pair.run_ns(15_000_000)
    assert tx[5] == b"1" and len(pair.rx_lines()) == 1


def test_cca_blocks_transmission_on_a_busy_channel(pair: Pair) -> None:
    pair.ra.set_channel_busy(True)
    pair.run_ns(200_000)
    assert pair.ra.pins["cca"] == 0
    tx = pair.send("send 2")
    assert tx[4] == b"-2"  # CC2420_ERR_BUSY
    assert pair.ra.stats()["cca_failures"] == 1 and pair.ra.stats()["tx_frames"] == 0
    pair.ra.set_channel_busy(False)
    pair.run_ns(200_000)
    assert pair.ra.pins["cca"] == 1
    assert pair.send("send 2")[4] == b"0"


def test_power_tracker_listen_and_transmit_times(pair: Pair) -> None:
    a0, b0 = pair.ra.mode_cycles(), pair.rb.mode_cycles()
    n = 4
    for _ in range(n):
        assert pair.send("send 2")[5] == b"1"
    pair.run_ns(15_000_000)
    a1, b1 = pair.ra.mode_cycles(), pair.rb.mode_cycles()
    hz = pair.a.mclk_hz
    # transmit = strobe -> last bit: 12 symbols + (5 + 1 + 52) bytes; the ack: 12 symbols + 11 bytes
    frame_cycles = (TURNAROUND_NS + airtime_ns(52)) * hz / 1e9
    ack_cycles = (TURNAROUND_NS + airtime_ns(5)) * pair.b.mclk_hz / 1e9
    assert abs((a1["transmit"] - a0["transmit"]) - n * frame_cycles) <= 10 * n
    assert abs((b1["transmit"] - b0["transmit"]) - n * ack_cycles) <= 10 * n
    # node 2 listened the rest of the time
    elapsed_b = sum(b1.values()) - sum(b0.values())
    assert b1["listen"] - b0["listen"] == elapsed_b - (b1["transmit"] - b0["transmit"])
    assert a1["off"] == a0["off"] and a1["idle"] == a0["idle"]


def test_same_run_twice_is_identical(radiotest_elf) -> None:
    outputs = []
    for _ in range(2):
        p = Pair(radiotest_elf)
        p.send("send 2")
        p.send("bcast")
        p.run_ns(15_000_000)
        outputs.append(
            (
                p.a.uart_output(),
                p.b.uart_output(),
                [(f.psdu, f.start_ns, f.end_ns) for f in p.ra.transmitted + p.rb.transmitted],
                p.a.now,
                p.ra.mode_cycles(),
                p.rb.mode_cycles(),
            )
        )
    assert outputs[0] == outputs[1]


def test_sim_medium_adapter_and_collision_corruption(pair: Pair) -> None:
    adapter = SkyRadio(pair.rb, "mote 2")
    assert isinstance(adapter, SimRadio) and adapter.channel() == 26 and adapter.listening()
    sent: list[tuple] = []

    class Sink:
        def on_transmit(self, frame: bytes, start_us: int, end_us: int, channel: int, power: int) -> None:
            sent.append((frame, start_us, end_us, channel, power))
            pair.ra.receive(frame, channel=channel, start_ns=start_us * 1000, rssi_dbm=-70)

    adapter.attach(Sink())  # node 2's acks now go to the sink

    def via_medium(frame: TxFrame) -> None:  # the medium locks node 2 on the frame, then sees a collision
        start_us = frame.start_ns // 1000
        adapter.rx_start(frame.psdu, -70.0, start_us, start_us + frame.airtime_ns // 1000)
        assert adapter.corrupt_reception(start_us)

    pair.ra.on_transmit = via_medium
    tx = pair.send("send 2")
    assert tx[5] == b"0"  # corrupted: no ack
    pair.run_ns(15_000_000)
    (rx,) = pair.rx_lines()
    assert rx[2] == b"0" and rx[3] == b"-70"
    # the medium's verdict at the frame's end agrees with the mark made at the collision
    adapter.deliver(pair.ra.transmitted[-1].psdu, -70.0, False, pair.ra.transmitted[-1].start_ns // 1000)
    assert adapter.late_corruptions == 0
    pair.ra.on_transmit = lambda f: adapter.rx_start(f.psdu, -70.0, f.start_ns // 1000, f.end_ns // 1000)
    assert pair.send("send 2")[5] == b"1"
    # a verdict that only comes after the frame ended is too late for the CRC-OK bit
    adapter.deliver(pair.ra.transmitted[-1].psdu, -70.0, False, pair.ra.transmitted[-1].start_ns // 1000)
    assert adapter.late_corruptions == 1
    (ack, ack_start, ack_end, channel, power) = sent[-1]
    assert ack[:3] == bytes([0x02, 0x00, pair.ra.transmitted[-1].psdu[2]])
    assert ack_end - ack_start == airtime_ns(5) // 1000 and channel == 26 and power == 31
    adapter.air_energy({26: -20.0})  # a strong signal on our channel: CCA busy
    pair.run_ns(100_000)
    assert pair.rb.pins["cca"] == 0
    adapter.air_energy({})
    pair.run_ns(100_000)
    assert pair.rb.pins["cca"] == 1


def test_radio_survives_a_power_on_reset_of_the_mote(pair: Pair) -> None:
    assert "radio" in pair.b.components()
    start = len(pair.b.uart_output())
    pair.b.reset()  # ports back to inputs: VREG_EN undriven, the radio loses power
    assert pair.rb.state == "off" and pair.rb.rxfifo_count == 0
    pair.until_text(pair.b, rb"radiotest node=2 ready\n", 2_000_000_000, start)
    assert pair.rb.state == "rx_search"
    assert pair.send("send 2")[5] == b"1"


def test_frame_handed_over_late_is_found_by_its_requested_start(pair: Pair) -> None:
    held: list[TxFrame] = []
    pair.ra.on_transmit = held.append  # node 1's frame is kept off the air...
    assert pair.send("send 2")[5] == b"0"
    adapter = SkyRadio(pair.rb, "mote 2")
    # ...and handed to node 2 with a start already 1.5 us in its past, as a simulation may do
    start_us = pair.rb.now_ns // 1000 - 1
    adapter.rx_start(held[-1].psdu, -70.0, start_us, start_us + held[-1].airtime_ns // 1000)
    assert pair.rb.stats()["rx_late"] == 1  # the model started it "now"...
    assert adapter.corrupt_reception(start_us)  # ...but still knows it by the start it was given
    pair.run_ns(15_000_000)
    (rx,) = pair.rx_lines()
    assert rx[2] == b"0" and pair.rb.stats()["rx_crc_errors"] == 1 and pair.rb.stats()["tx_acks"] == 0


def test_late_corruptions_are_one_count_whichever_path_drove_the_radio(pair: Pair) -> None:
    """The medium's C side and SkyRadio's own methods feed the model through the same C port: a
    corruption too late to mark counts once, in one place, and both read it."""
    held: list[TxFrame] = []
    pair.ra.on_transmit = held.append  # node 1's broadcast is kept for the medium below
    pair.send("bcast")
    adapter = SkyRadio(pair.rb, "mote 2")
    medium = UDGMMedium(UDGMParams(50, 100), random.Random(1))
    s1, s3 = ScriptedMote(1), ScriptedMote(3)
    assert s1.radio is not None and s3.radio is not None
    # 2 hears 1 and 3; 1 and 3 only disturb each other (80 m apart)
    medium.add_radio(1, (0.0, 0.0, 0.0), s1.radio)
    medium.add_radio(2, (40.0, 0.0, 0.0), adapter)
    medium.add_radio(3, (80.0, 0.0, 0.0), s3.radio)
    frame = held[-1].psdu
    start = pair.t_ns // 1000 + 500
    end = start + air_time_us(len(frame))
    medium.transmit(1, frame, start, end, 26, 31)
    medium.process(start)  # node 2 locks onto it, in C
    pair.run_ns(15_000_000)  # node 2 runs ahead: the frame went into its RXFIFO clean
    (rx,) = pair.rx_lines()
    assert rx[2] == b"1"
    other = data_frame(1, 0xABCD, 0xFFFF, 3, b"\x00late")
    medium.transmit(3, other, start + 100, start + 100 + air_time_us(len(other)), 26, 31)
    for t in (start + 100, end, start + 100 + air_time_us(len(other))):
        medium.process(t)  # the collision at node 2 comes after the model had the last byte
    assert medium.stats.corrupted == 1
    assert adapter.late_corruptions == medium.late_corruptions(2) == 1
    # a verdict given directly counts in the same place
    adapter.deliver(frame, -70.0, False, start)
    assert adapter.late_corruptions == medium.late_corruptions(2) == 2
