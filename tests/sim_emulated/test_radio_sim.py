"""Two and three emulated Sky motes (radiotest firmware, CC2420 model) on the UDGM medium: air time,
SFD timing, collisions seen as CRC errors by the receiving firmware, range cut-off, RX success
statistics, determinism and the group fast path against plain lock-step windows."""

from __future__ import annotations

import math
import struct
import subprocess

import pytest

from harness import proc
from harness.emulator.mote import lib
from harness.sim.medium import UDGMParams
from harness.sim.output import Recorder
from harness.wire.ieee802154 import air_time_us

from .helpers import start

PSDU_50 = 50 + 2  # radiotest's 50-byte MPDU + the FCS the radio appends
AIR_50_US = (5 + 1 + 50 + 2) * 32  # preamble+SFD, length byte, MPDU, FCS at 32 µs a byte
SFD_TO_END_US = (1 + 50 + 2) * 32  # the SFD pin is high from the SFD to the last byte
TURNAROUND_US = 192  # auto-acknowledgement: 12 symbols after the frame


def data_frames(run, sender: int):
    return [e for e in run.events if e.kind == "tx" and e.sender == sender and len(e.frame) == PSDU_50]


def pcap_records(path):
    data = path.read_bytes()
    magic, _, _, _, _, _, linktype = struct.unpack_from("<IHHiIII", data, 0)
    assert magic == 0xA1B2C3D4 and linktype == 195
    out, off = [], 24
    while off < len(data):
        sec, usec, incl, orig = struct.unpack_from("<IIII", data, off)
        out.append((sec * 1_000_000 + usec, data[off + 16 : off + 16 + incl]))
        off += 16 + incl
    return out


def test_air_time_sfd_and_pcap_of_a_50_byte_frame(radiotest_elf, tmp_path):
    run = start(radiotest_elf, {1: (0.0, 0.0, 0.0), 2: (20.0, 0.0, 0.0)})
    rec = Recorder()
    rec.attach(run.engine)
    run.run_for(1_100_000)  # node 1 sends one frame a second
    tx = data_frames(run, 1)
    assert len(tx) == 1
    assert AIR_50_US == air_time_us(PSDU_50) == 1856
    rx = [e for e in run.events if e.kind == "rx" and e.sender == 1 and e.receiver == 2]
    assert [e.time_us - tx[0].time_us for e in rx] == [AIR_50_US]
    ack = [e for e in run.events if e.kind == "tx" and e.sender == 2]
    assert len(ack) == 1 and len(ack[0].frame) == 5
    assert ack[0].time_us - (tx[0].time_us + AIR_50_US) == TURNAROUND_US

    # the pcap has both frames at their start times
    rec.pcap.write(tmp_path / "radio.pcap")
    recs = pcap_records(tmp_path / "radio.pcap")
    assert [(t, len(f)) for t, f in recs] == [(tx[0].time_us, PSDU_50), (ack[0].time_us, 5)]
    assert recs[1][0] - recs[0][0] == AIR_50_US + TURNAROUND_US

    # both firmwares timed the SFD pulse with Timer_B on SMCLK
    got = run.matching(2, r"^RX len=50 crc=1 .* src=1 .* sfd=(\d+)$")
    sent = run.matching(1, r"^TX seq=0 dst=2 len=50 rc=0 acked=1 sfd=(\d+)$")
    assert len(got) == 1 and len(sent) == 1
    for mote_id, m in ((2, got[0]), (1, sent[0])):
        smclk = lib.clk_freq_hz(run.motes[mote_id].mote.ptr, 2)
        want = SFD_TO_END_US * smclk / 1e6
        assert abs(int(m.group(1)) - want) <= 2, (mote_id, m.group(0), want)


def test_collision_reads_as_crc_error_in_the_receiver_firmware(radiotest_elf):
    run = start(radiotest_elf, {1: (0.0, 0.0, 0.0), 2: (20.0, 0.0, 0.0), 3: (40.0, 0.0, 0.0)})
    run.command(1, "period 0")
    # nodes 1 and 3 both send to node 2 at the same instant: CCA is clear for both (neither frame
    # is on air yet), the frames overlap at node 2
    for m in (1, 3):
        run.engine.queue_uart_rx(m, b"send 2\n")
    run.run_for(30_000)
    assert len(data_frames(run, 1)) == 1 and len(data_frames(run, 3)) == 1
    assert run.engine.medium.per_mote[2].corrupted == 1
    bad = run.matching(2, r"^RX len=50 crc=0 ")
    assert len(bad) == 1, run.text(2)
    assert not run.matching(2, r"^RX len=50 crc=1 ")
    # a corrupted frame is not acknowledged
    for m in (1, 3):
        assert run.matching(m, r"^TX seq=0 dst=2 len=50 rc=0 acked=0 "), run.text(m)


def test_range_cut_off(radiotest_elf):
    run = start(
        radiotest_elf,
        {1: (0.0, 0.0, 0.0), 2: (45.0, 0.0, 0.0), 3: (55.0, 0.0, 0.0)},
        UDGMParams(transmitting_range=50.0, interference_range=100.0),
    )
    run.command(1, "period 0")
    run.command(1, "bcast")
    assert len(run.matching(2, r"^RX len=50 crc=1 .* src=1 ")) == 1
    assert not [t for t in run.text(3) if t.startswith("RX")]
    assert [(e.kind, e.receiver) for e in run.events if e.kind.startswith("rx")] == [("rx", 2)]


def ratio_run(elf, seed: int, frames_ms: int, group: bool = True):
    """Node 2 at the distance where UDGM gives p = 1 - 0.5 (1 - 0.5) = 0.75; node 1 sends every 20 ms."""
    d = 50.0 / math.sqrt(2.0)
    run = start(
        elf,
        {1: (0.0, 0.0, 0.0), 2: (d, 0.0, 0.0)},
        UDGMParams(50.0, 100.0, 1.0, 0.5),
        seed=seed,
        group=group,
    )
    rec = Recorder()
    rec.attach(run.engine)
    run.command(1, "period 20")
    run.run_for(frames_ms * 1000)
    return run, rec


def test_rx_success_ratio_within_binomial_bounds(radiotest_elf):
    run, _ = ratio_run(radiotest_elf, seed=7, frames_ms=4_000)
    p = run.engine.medium.rx_success_probability(1, 2)
    assert abs(p - 0.75) < 1e-9
    sent = data_frames(run, 1)
    assert len(sent) >= 195
    last_end = run.engine.now_us - AIR_50_US
    n = sum(1 for e in sent if e.time_us < last_end)
    ok = [e for e in run.events if e.kind == "rx" and e.sender == 1 and e.time_us <= run.engine.now_us]
    failed = [e for e in run.events if e.kind == "rx_fail" and e.sender == 1]
    assert len(ok) + len(failed) == len(sent)
    k = sum(1 for e in ok if e.time_us - AIR_50_US < last_end)
    sd = math.sqrt(n * p * (1 - p))
    assert abs(k - n * p) <= 4.5 * sd, (k, n)
    assert 0 < len(failed)
    # the receiving firmware saw exactly the frames the medium delivered, all with a good CRC
    printed = run.matching(2, r"^RX len=50 crc=1 .* src=1 ")
    assert len(printed) in (len(ok), len(ok) - 1)  # the last one may still be on its way to the UART
    assert not run.matching(2, r"^RX len=50 crc=0 ")


def outputs(run, rec, out_dir):
    files = rec.write(
        out_dir,
        seed=run.engine.seed,
        power=run.engine.power(),
        stats=run.engine.medium.stats,
        per_mote=run.engine.medium.per_mote,
        end_us=run.engine.now_us,
        reason="time",
        verdict=None,
    )
    return {name: path.read_bytes() for name, path in files.items()}


def test_same_seed_same_bytes_and_group_matches_lockstep(radiotest_elf, tmp_path):
    a = outputs(*ratio_run(radiotest_elf, 11, 600), tmp_path / "a")
    b = outputs(*ratio_run(radiotest_elf, 11, 600), tmp_path / "b")
    assert a == b
    assert b"RX len=50 crc=1" in a["mote_log"] and len(a["pcap"]) > 24
    # the C group stepper (long windows) reproduces plain 192 µs lock-step windows exactly
    c = outputs(*ratio_run(radiotest_elf, 11, 600, group=False), tmp_path / "c")
    assert c == a
    d = outputs(*ratio_run(radiotest_elf, 12, 600), tmp_path / "d")
    assert d["pcap"] != a["pcap"] or d["mote_log"] != a["mote_log"]  # another seed, other draws


# radiotest payloads are arbitrary bytes: keep tshark's payload guessers (6LoWPAN, ZigBee, LwMesh)
# from reading them as their protocols, so what is checked is the 802.15.4 framing and FCS
NO_PAYLOAD_GUESSING = [
    arg for p in ("6lowpan", "zbee_nwk", "zbee_nwk_gp", "lwm") for arg in ("--disable-protocol", p)
]


def test_tshark_dissects_the_whole_pcap(radiotest_elf, tmp_path):
    proc.require("tshark", "apt-get install tshark")
    run, rec = ratio_run(radiotest_elf, 3, 400)
    run.command(1, "bcast")
    pcap = tmp_path / "radio.pcap"
    rec.pcap.write(pcap)
    n = len(pcap_records(pcap))
    assert n >= 20
    fields = ["-T", "fields", "-e", "frame.number", "-e", "wpan.fcs_ok", "-e", "_ws.malformed"]
    out = subprocess.run(
        ["tshark", "-r", str(pcap), *NO_PAYLOAD_GUESSING, *fields], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert len(out) == n
    rows = [line.split("\t") for line in out]
    assert all(r[1] in ("1", "True") for r in rows), rows[:5]
    assert [r for r in rows if len(r) > 2 and r[2]] == []
    summary = subprocess.run(
        ["tshark", "-r", str(pcap), *NO_PAYLOAD_GUESSING], capture_output=True, text=True, check=True
    ).stdout
    assert summary.count("IEEE 802.15.4 52 Data") + summary.count("IEEE 802.15.4 5 Ack") == n
    assert "Dst: Broadcast, Src: 0x0001" in summary


@pytest.mark.parametrize("channel", [15])
def test_no_reception_on_another_channel(radiotest_elf, channel):
    run = start(radiotest_elf, {1: (0.0, 0.0, 0.0), 2: (10.0, 0.0, 0.0)})
    run.command(1, "period 0")
    run.command(2, f"chan {channel}")
    run.command(1, "bcast")
    assert not [t for t in run.text(2) if t.startswith("RX")]
    run.command(1, f"chan {channel}")
    run.command(1, "bcast")
    assert len(run.matching(2, r"^RX len=50 crc=1 ")) == 1
