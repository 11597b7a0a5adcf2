"""esse flash on an emulated Telos through the unmodified python-msp430-tools BSL client (a subprocess
on an RFC 2217 port: DTR/RTS carry the I2C entry sequence), then the image boots; and the bad cases:
wrong password, a port that vanishes mid-write. Slow: every DTR/RTS change is one RFC 2217 round trip
that pyserial's client acknowledges in 50 ms steps (an entry sequence is ~300 line changes)."""

from __future__ import annotations

import asyncio
import io
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import aiocoap
import pytest
from aiocoap.numbers.codes import Code
from e2e_helpers import PREFIX, wait_for_prefix

import harness
from harness.bridge import Bridge
from harness.build import build_app
from harness.flash.image import load_image
from harness.wire.infomem import Identity

bsl_port = pytest.importorskip("harness.emulator.bsl_port", reason="emulator core not built")
pytestmark = pytest.mark.slow
PSK = bytes.fromhex("00112233445566778899aabbccddeeff")


@pytest.fixture(scope="module")
def hello_elf(tmp_path_factory):
    return build_app("hello", build_root=tmp_path_factory.mktemp("build")).elf


def _env() -> dict[str, str]:
    """The subprocess imports this checkout's harness, as the test does."""
    root = str(Path(harness.__file__).resolve().parents[1])
    return dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p))


def esse(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=_env())


def test_esse_flash_programs_the_emulated_mote_which_then_serves_coap(tmp_path):
    """esse flash (unmodified BSL client, RFC 2217) on two motes in parallel -> the CCS boots -> esse's
    bridge serves its CoAP."""
    ccs = build_app("ccs_serial").elf
    with bsl_port.EmulatedTelos(speed=1.0) as board, bsl_port.EmulatedTelos(speed=1.0) as second:
        board.serve()
        second.serve()
        assert board.state == "halted"  # factory fresh: erased flash, nothing to run
        started = time.monotonic()
        proc = esse("flash", str(ccs), "--port", board.url, "--port", second.url, "--node-id", "0",
                    "--psk", PSK.hex(), "--work-dir", str(tmp_path))
        print(f"two motes flashed in {time.monotonic() - started:.1f} s")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert f"[{board.url}] flashed and reset" in proc.stdout
        assert f"[{second.url}] flashed and reset" in proc.stdout
        assert board.state == second.state == "run"
        # information flash holds the shared layout's bytes (ids counted up); main flash the image
        assert board.mote.read_bytes(0x1000, 256) == Identity(node_id=0, psk_dn=PSK).encode()
        assert second.mote.read_bytes(0x1000, 256) == Identity(node_id=1, psk_dn=PSK).encode()
        for addr, data in load_image(ccs).runs:
            assert board.mote.read_bytes(addr, len(data)) == data
            assert second.mote.read_bytes(addr, len(data)) == data
        assert any("BSL entry sequence" in e for e in board.events)
        assert any("38400 baud" in e for e in board.events)  # the TelosB target's --speed default

        async def coap() -> bytes:
            async with Bridge(board.url, PREFIX, base_port=0, motes=[0]) as bridge:
                await wait_for_prefix(bridge, 0)
                port = bridge.port_of(0)
                ctx = await aiocoap.Context.create_client_context()
                try:
                    req = aiocoap.Message(code=aiocoap.GET, uri=f"coap://127.0.0.1:{port}/.well-known/core")
                    r = await asyncio.wait_for(ctx.request(req).response, 30)
                finally:
                    await ctx.shutdown()
                assert r.code == Code.CONTENT
                return r.payload

        assert b"</sensors/temperature>" in asyncio.run(coap())


def test_esse_console_resets_the_mote_and_shows_its_boot(hello_elf, tmp_path):
    log = tmp_path / "console.log"
    with bsl_port.EmulatedTelos(firmware=hello_elf, node_id=7, speed=1.0) as board:
        board.serve()
        time.sleep(0.5)  # the program is past its banner: only a reset shows it again
        proc = esse("console", "--port", board.url, "--reset", "--until", r"T selftest_ticks=\d+",
                    "--duration", "60", "--log", str(log))
        assert proc.returncode == 0, proc.stderr
        lines = log.read_text().splitlines()
        reset_at = [i for i, x in enumerate(lines) if x.endswith("(mote reset through DTR/RTS)")][0]
        after_reset = lines[reset_at + 1 :]
        # the first line after the reset is the new run's banner: timestamped, node id from the emulator
        assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3} ESSE hello node=7 dco_hz=\d+", after_reset[0]), lines[:4]
        assert after_reset[-1].split(" ", 1)[1].startswith("T selftest_ticks=")
        assert proc.stdout.splitlines() == lines  # shown as logged


def test_wrong_password_leaves_the_mote_locked_and_unchanged(hello_elf, tmp_path):
    wrong = tmp_path / "other.hex"
    wrong.write_text(":10FFE000" + "00" * 16 + "11\n:10FFF000" + "00" * 16 + "01\n:00000001FF\n")
    with bsl_port.EmulatedTelos(firmware=hello_elf, speed=None) as board:
        board.serve()
        before = board.mote.read_bytes(0x4000, 0xC000)
        proc = subprocess.run(
            [sys.executable, "-m", "harness.flash.telosb_client", "-p", board.url, "--password", str(wrong),
             "-u", "0x4000"], capture_output=True, text=True, timeout=300, env=_env())
        assert proc.returncode == 1 and "DATA_NAK" in proc.stderr
        assert board.state == "bsl" and board.bsl.locked
        assert any("wrong password" in e for e in board.events)
        assert board.mote.read_bytes(0x4000, 0xC000) == before


def test_port_vanishing_mid_write_is_reported_and_the_mote_stays_in_its_bsl(hello_elf, tmp_path):
    with bsl_port.EmulatedTelos(speed=None) as board:
        board.serve()

        def pull_the_cable() -> None:
            deadline = time.monotonic() + 240
            while board.bsl.blocks_written < 5 and time.monotonic() < deadline:
                time.sleep(0.005)
            board.drop_client()

        threading.Thread(target=pull_the_cable, daemon=True).start()
        proc = esse("flash", str(hello_elf), "--port", board.url, "--work-dir", str(tmp_path))
        assert proc.returncode == 1
        assert "vanished during program" in proc.stderr, proc.stderr
        assert board.state == "bsl"  # a known state: in the bootstrap loader, partly written
        written = board.bsl.blocks_written
        assert 5 <= written < 60
        assert board.mote.read_bytes(0x4000, 4) != b"\xff" * 4
        assert board.mote.read16(0xFFFE) == 0xFFFF  # the vectors come last: nothing would run


def test_serial_port_target_drives_the_emulated_telos_like_a_real_one(hello_elf, tmp_path):
    """harness.target's SerialPort resource opens (driver: harness.flash's SerialMote) on the emulated
    Telos's RFC 2217 port: a Target (UART1 bytes each once, node id, reset through DTR/RTS) that is
    Loadable (the image and an identity through the BSL, then it runs)."""
    from harness.flash.serial_mote import SerialMote
    from harness.target import Loadable, Target
    from harness.target.drivers import open_target
    from harness.target.resources import SerialPort
    from harness.wire.infomem import SEGMENT_B, SEGMENT_SIZE

    def read_until(mote: Target, pattern: bytes, timeout: float = 60) -> bytes:
        got = b""
        deadline = time.monotonic() + timeout
        while pattern not in got and time.monotonic() < deadline:
            time.sleep(0.1)
            got += mote.read_serial()
        assert pattern in got, got
        return got

    with bsl_port.EmulatedTelos(firmware=hello_elf, node_id=3, speed=1.0) as board:
        board.serve()
        mote = open_target(SerialPort(board.url, node_id=3))
        assert isinstance(mote, SerialMote)
        try:
            assert isinstance(mote, Target) and isinstance(mote, Loadable) and mote.node_id == 3
            read_until(mote, b"T selftest_ticks=")  # running since before the port opened
            mote.reset()
            boot = read_until(mote, b"T selftest_ticks=")
            banner = boot[boot.index(b"ESSE hello") :]
            assert banner.startswith(b"ESSE hello node=3 ") and banner.count(b"ESSE hello") == 1
            assert b"ESSE hello" not in mote.read_serial()  # each byte once: the banner is not read again
            assert len(mote.serial) >= len(boot)  # the whole log stays available

            mote.load(hello_elf, Identity(node_id=9, psk_dn=PSK))  # through the BSL, then a reset
            assert mote.node_id == 9 and board.state == "run"
            segment_b = board.mote.read_bytes(SEGMENT_B, SEGMENT_SIZE)
            assert Identity.decode(segment_b) == Identity(node_id=9, psk_dn=PSK)
            read_until(mote, b"T selftest_ticks=")  # the flashed image boots and talks
            assert mote.error is None
        finally:
            mote.close()


def test_image_outside_flash_is_refused_by_the_bsl_and_a_bad_checksum_is_nak(tmp_path):
    """Past esse flash's own fit check (the runner and backend directly): the BSL NAKs a block that
    lands outside flash, the client's failure is explained, and the mote stays in its BSL, where a
    frame with a bad checksum is NAKed and a good one answered."""
    import serial

    from harness.emulator.bsl import CMD_TX_BLOCK, DATA_ACK, DATA_NAK, SYNC, frame
    from harness.flash.bsl_backend import MspBslBackend
    from harness.flash.image import FlashImage
    from harness.flash.runner import FlashError, FlashRequest, Runner

    runs = ((0x4000, b"\x00\x01" * 8), (0x3A00, b"\x55" * 16), (0xFFE0, b"\x00\x40" * 16))
    image = FlashImage(runs, "x.hex")
    with bsl_port.EmulatedTelos(speed=None) as board:
        board.serve()
        request = FlashRequest(board.url, image, None, tmp_path)
        with pytest.raises(FlashError, match="refused to program a block"):
            Runner(out=io.StringIO()).flash(MspBslBackend(), request, board.url)
        assert board.state == "bsl" and any("does not fit" in e for e in board.events)
        assert board.mote.read_bytes(0x4000, 16) == b"\x00\x01" * 8  # the block before was written
        port = serial.serial_for_url(board.url, baudrate=38400, parity=serial.PARITY_EVEN, timeout=2)
        try:
            bad = bytearray(frame(CMD_TX_BLOCK, 0x4000, 4))
            bad[-2] ^= 0xFF
            port.write(bytes([SYNC]) + bytes(bad))
            assert port.read(2) == bytes([DATA_ACK, DATA_NAK])
            assert "checksum error" in board.events[-1]
            port.write(bytes([SYNC]) + frame(CMD_TX_BLOCK, 0x4000, 4))
            answer = port.read(11)
            assert answer[0] == DATA_ACK and answer[5:9] == b"\x00\x01\x00\x01"
        finally:
            port.close()


def test_esse_console_shows_live_energest_of_the_emulated_mote(tmp_path):
    """Issue 14 item 3 end to end: the hello firmware built with ENERGEST_PERIOD_S=1 runs in the emulated
    Telos (no radio there: the ccs stops at its radio init); `esse console --port rfc2217://... --reset`
    shows each EG1 report with, right under it, the
    energy of the interval it closes; those lines are exactly what harness.energy.energest makes of the
    same EG1 lines, and the totals since power-on are the sums of the intervals shown."""
    from harness.energy.energest import MODEL_STATES, intervals_from_log, parse_line

    elf = build_app("hello", build_root=tmp_path / "build", defines=["ENERGEST_PERIOD_S=1"]).elf
    log = tmp_path / "console.log"
    with bsl_port.EmulatedTelos(firmware=elf, node_id=2, speed=1.0) as board:
        board.serve()
        proc = esse("console", "--port", board.url, "--reset", "--until", r"^EG1 2 3 ",
                    "--duration", "90", "--log", str(log))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    shown = [line.split(" ", 1)[1] for line in proc.stdout.splitlines()]  # without the timestamps
    reports = [i for i, text in enumerate(shown) if parse_line(text) is not None]
    assert [parse_line(shown[i]).seq for i in reports] == [0, 1, 2, 3]  # type: ignore[union-attr]
    live = [shown[i + 1] for i in reports[:-1]]  # each report's interval follows it at once
    assert all(text.startswith("energest: node 2 #") for text in live), shown
    last = shown[reports[-1] + 1 :]  # the console stopped at the matching report (its own line last)
    assert last == [] or last[0].startswith("energest: node 2 #3 ")

    expected, errors = intervals_from_log("\n".join(shown[i] for i in reports))
    assert not errors and [iv.seq for iv in expected] == [0, 1, 2, 3]
    console_intervals = [text.removeprefix("energest: ") for text in shown if text.startswith("energest: ")]
    assert console_intervals == [str(iv) for iv in expected][: len(console_intervals)]
    assert len(console_intervals) >= 3
    for state in MODEL_STATES:  # totals since power-on = the intervals added up
        assert expected[-1].total_seconds[state] == pytest.approx(sum(iv.seconds[state] for iv in expected))
    total = expected[-1].total_seconds
    assert total["CPU"] + total["LPM"] == pytest.approx(expected[-1].end_s)  # every second is CPU or LPM
    for iv in expected[1:]:  # ENERGEST_PERIOD_S=1: a second since the last report, + the 0.5 s heartbeat
        assert 1.0 <= iv.end_s - iv.start_s <= 1.5 + 0.01, iv
    assert log.read_text().splitlines() == proc.stdout.splitlines()
