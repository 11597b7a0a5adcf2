"""pcap output: tshark dissects our 802.15.4 frames (LINKTYPE 195, FCS included) with nothing malformed."""

import struct
import subprocess

import pytest
from requirements import require_tool

from harness.sim.engine import Engine
from harness.sim.output import PcapWriter, Recorder
from harness.sim.scripted import ScriptedMote
from harness.wire.ieee802154 import data_frame

TSHARK = require_tool("tshark")


def tshark_fields(path, *fields):
    argv = [TSHARK, "-r", str(path), "-T", "fields", "-E", "separator=|"]
    for f in fields:
        argv += ["-e", f]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    return [line.split("|") for line in out.splitlines()]


def ipv6_udp_payload() -> bytes:
    """6LoWPAN uncompressed IPv6 dispatch (0x41) + IPv6 + UDP (ports 1234 -> 4321) with a valid checksum."""
    src = bytes.fromhex("fe800000000000000000000000000001")
    dst = bytes.fromhex("ff020000000000000000000000000001")
    data = b"hello"
    udp = struct.pack(">HHHH", 1234, 4321, 8 + len(data), 0) + data
    pseudo = src + dst + struct.pack(">I3xB", len(udp), 17) + udp + b"\0" * (len(udp) % 2)
    s = sum(struct.unpack(f">{len(pseudo) // 2}H", pseudo))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    udp = udp[:6] + struct.pack(">H", ~s & 0xFFFF) + udp[8:]
    ip = struct.pack(">IHBB", 0x60000000, len(udp), 17, 64) + src + dst + udp
    return b"\x41" + ip


def test_tshark_dissects_crafted_frames_without_malformed(tmp_path):
    frames = [
        data_frame(1, 0xABCD, 0xFFFF, 1, b"\x00not a lowpan frame"),
        data_frame(2, 0xABCD, 0x0002, 1, ipv6_udp_payload(), ack_request=True),
        data_frame(3, 0xABCD, 0x0001, 2, b"\x00" + bytes(range(100))),
    ]
    w = PcapWriter()
    times = [0, 1_500, 2_000_123]
    for t, f in zip(times, frames, strict=True):
        w.add(t, f)
    path = tmp_path / "crafted.pcap"
    w.write(path)
    rows = tshark_fields(
        path, "frame.time_relative", "wpan.fcs_ok", "wpan.seq_no", "wpan.src16", "_ws.malformed"
    )
    assert len(rows) == 3
    assert [r[1] for r in rows] == ["1", "1", "1"]
    assert [r[2] for r in rows] == ["1", "2", "3"]
    assert [r[3] for r in rows] == ["0x0001", "0x0001", "0x0002"]
    assert all(r[4] == "" for r in rows), rows
    assert [r[0] for r in rows] == ["0.000000000", "0.001500000", "2.000123000"]
    assert tshark_fields(path, "udp.srcport")[1] == ["1234"]


def test_simulation_pcap_is_clean(tmp_path):
    a, b = ScriptedMote(1), ScriptedMote(2)
    a.every(0, 3000, 20, lambda i: a.send(a.now_us(), b"\x00" + b"x" * (i + 1)))
    e = Engine([a, b], {1: (0, 0, 0), 2: (10, 0, 0)}, seed=3)
    rec = Recorder()
    rec.attach(e)
    e.run(until_us=100_000)
    path = tmp_path / "sim.pcap"
    rec.pcap.write(path)
    rows = tshark_fields(path, "frame.time_epoch", "wpan.fcs_ok", "_ws.malformed")
    assert len(rows) == 20
    assert all(r[1] == "1" and r[2] == "" for r in rows)
    assert [float(r[0]) for r in rows] == pytest.approx([(192 + 3000 * i) / 1e6 for i in range(20)])
