"""The F1611 BSL model byte by byte, with python-msp430-tools as the oracle for checksums, the
version bytes and the TelosB I2C entry/reset sequences (the library's own bit-banging drives our switch)."""

from __future__ import annotations

import struct

import pytest
from msp430 import target as msp430_target
from msp430.bsl import bsl as msp_bsl
from msp430.bsl.target.telosb import TelosBTarget

from harness.emulator.bsl import (
    CMD_CHANGE_BAUD,
    CMD_ERASE_SEGMENT,
    CMD_LOAD_PC,
    CMD_MASS_ERASE,
    CMD_RX_BLOCK,
    CMD_RX_PASSWORD,
    CMD_TX_BLOCK,
    CMD_TX_VERSION,
    DATA_ACK,
    DATA_NAK,
    SYNC,
    BootstrapLoader,
    BslEntryDetector,
    TelosBslSwitch,
    blank_flash,
    checksum,
    frame,
)


class Ram64k:
    """A flat 64 KB address space with the Memory protocol."""

    def __init__(self) -> None:
        self.mem = bytearray(0x10000)

    def read_bytes(self, addr: int, n: int) -> bytes:
        return bytes(self.mem[addr : addr + n])

    def write_bytes(self, addr: int, data: bytes) -> None:
        self.mem[addr : addr + len(data)] = data


def command(bsl: BootstrapLoader, cmd: int, a: int = 0, length: int = 0, data: bytes = b"", baud: int = 9600):
    bsl.feed(bytes([SYNC]), baud)
    assert bsl.take_output() == bytes([DATA_ACK])
    bsl.feed(frame(cmd, a, length, data), baud)
    return bsl.take_output()


@pytest.fixture
def mote():
    mem = Ram64k()
    blank_flash(mem)
    started: list[int | None] = []
    return mem, BootstrapLoader(mem, start_program=started.append), started


def unlock(bsl: BootstrapLoader, mem: Ram64k) -> None:
    assert command(bsl, CMD_RX_PASSWORD, data=mem.read_bytes(0xFFE0, 32)) == bytes([DATA_ACK])


def test_checksum_matches_python_msp430_tools():
    lib = msp_bsl.BSL()
    for body in (b"\x80\x10\x24\x24" + bytes(range(36)), b"\x80\x12\x08\x08\x00\x40\x04\x00\xde\xad\xbe\xef"):
        assert checksum(body) == lib.checksum(body) ^ 0xFFFF


def test_locked_until_password_then_commands_work(mote):
    mem, bsl, _ = mote
    assert command(bsl, CMD_TX_BLOCK, 0x4000, 2) == bytes([DATA_NAK])
    assert "locked" in bsl.events[-1].message
    unlock(bsl, mem)
    answer = command(bsl, CMD_TX_BLOCK, 0x4000, 4)
    assert answer[:4] == bytes([0x80, 0x00, 4, 4]) and answer[4:8] == b"\xff" * 4
    assert int.from_bytes(answer[-2:], "little") == checksum(answer[:-2])


def test_wrong_password_is_nak_and_stays_locked(mote):
    mem, bsl, _ = mote
    mem.write_bytes(0xFFE0, bytes(range(32)))  # a programmed vector table
    assert command(bsl, CMD_RX_PASSWORD, data=b"\xff" * 32) == bytes([DATA_NAK])
    assert "wrong password" in bsl.events[-1].message and bsl.locked
    assert command(bsl, CMD_RX_BLOCK, 0x4000, 2, b"\x00\x00") == bytes([DATA_NAK])
    assert mem.read_bytes(0x4000, 2) == b"\xff\xff"  # nothing written


def test_mass_erase_clears_main_and_information_flash_while_locked(mote):
    mem, bsl, _ = mote
    mem.write_bytes(0x1000, b"\x00" * 256)
    mem.write_bytes(0x4000, b"\x00" * 16)
    mem.write_bytes(0xFFE0, b"\x12" * 32)
    assert command(bsl, CMD_MASS_ERASE, 0xFFFE, 0xA506) == bytes([DATA_ACK])
    assert mem.read_bytes(0x1000, 256) == b"\xff" * 256 and mem.read_bytes(0x4000, 16) == b"\xff" * 16
    assert command(bsl, CMD_RX_PASSWORD, data=b"\xff" * 32) == bytes([DATA_ACK])  # erased vectors


def test_checksum_error_is_nak_and_changes_nothing(mote):
    mem, bsl, _ = mote
    unlock(bsl, mem)
    bad = bytearray(frame(CMD_RX_BLOCK, 0x4000, 4, b"\x11\x22\x33\x44"))
    bad[-1] ^= 0x01
    bsl.feed(bytes([SYNC]))
    bsl.feed(bytes(bad))
    assert bsl.take_output() == bytes([DATA_ACK, DATA_NAK])
    assert "checksum error" in bsl.events[-1].message
    assert mem.read_bytes(0x4000, 4) == b"\xff" * 4
    assert command(bsl, CMD_RX_BLOCK, 0x4000, 4, b"\x11\x22\x33\x44") == bytes([DATA_ACK])  # in sync again
    assert mem.read_bytes(0x4000, 4) == b"\x11\x22\x33\x44"


def test_flash_programs_ones_to_zeros_only_and_segment_erase(mote):
    mem, bsl, _ = mote
    unlock(bsl, mem)
    assert command(bsl, CMD_RX_BLOCK, 0x4200, 2, b"\x0f\x0f") == bytes([DATA_ACK])
    assert command(bsl, CMD_RX_BLOCK, 0x4200, 2, b"\xf0\xf0") == bytes([DATA_NAK])
    assert "not erased" in bsl.events[-1].message
    assert command(bsl, CMD_ERASE_SEGMENT, 0x4300, 0xA502) == bytes([DATA_ACK])  # same 512 B segment
    assert mem.read_bytes(0x4200, 2) == b"\xff\xff"


def test_image_that_does_not_fit_is_nak(mote):
    mem, bsl, _ = mote
    unlock(bsl, mem)
    assert command(bsl, CMD_RX_BLOCK, 0x3A00, 4, b"\x01\x02\x03\x04") == bytes([DATA_NAK])
    assert "does not fit" in bsl.events[-1].message
    assert command(bsl, CMD_RX_BLOCK, 0x0C00, 2, b"\x01\x02") == bytes([DATA_NAK])  # BSL ROM


def test_version_bytes_identify_an_f1x_without_patch_or_extended_mode(mote):
    mem, bsl, _ = mote
    unlock(bsl, mem)
    answer = command(bsl, CMD_TX_VERSION)
    data = answer[4:-2]
    device_id, bsl_version = struct.unpack(">H8xH4x", data)
    assert (device_id, bsl_version) == (0xF16C, 0x0160)
    assert msp430_target.identify_device(device_id, bsl_version) == msp430_target.F1x
    assert 0x0110 < bsl_version < 0x0212  # the client neither patches nor uses extended addressing


def test_change_baud_then_old_rate_is_noise(mote):
    mem, bsl, _ = mote
    unlock(bsl, mem)
    assert command(bsl, CMD_CHANGE_BAUD, 0x87E0, 0x0002) == bytes([DATA_ACK])
    assert bsl.baud == 38400
    bsl.feed(bytes([SYNC]), 9600)
    assert bsl.take_output() == b"" and bsl.events[-1].kind == "noise"
    assert command(bsl, CMD_TX_BLOCK, 0x4000, 2, baud=38400)[4:6] == b"\xff\xff"


def test_load_pc_and_watchdog_write_start_the_program(mote):
    mem, bsl, started = mote
    unlock(bsl, mem)
    assert command(bsl, CMD_LOAD_PC, 0x4000) == bytes([DATA_ACK])
    assert command(bsl, CMD_RX_BLOCK, 0x0120, 2, b"\x08\x5a") == bytes([DATA_ACK])  # WDT runs: reset
    assert started == [0x4000, None]


def test_host_lost_mid_frame_drops_the_frame(mote):
    mem, bsl, _ = mote
    unlock(bsl, mem)
    full = frame(CMD_RX_BLOCK, 0x4000, 8, b"\x00" * 8)
    bsl.feed(bytes([SYNC]) + full[:7])
    assert bsl.take_output() == bytes([DATA_ACK])
    bsl.host_lost()
    assert "host lost in the middle of RX data block" in bsl.events[-1].message
    assert mem.read_bytes(0x4000, 8) == b"\xff" * 8
    assert command(bsl, CMD_TX_BLOCK, 0x4000, 2)[4:6] == b"\xff\xff"  # a new host finds it answering


class SwitchLines:
    """What TelosBTarget needs of its serial port: setDTR/setRTS (into our switch), flushInput."""

    def __init__(self, switch: TelosBslSwitch) -> None:
        self.switch = switch
        self.dtr = self.rts = True  # pyserial asserts both when a port opens

    def setDTR(self, level: bool) -> None:  # noqa: N802 - the client's pyserial 2 names
        self.dtr = level
        self.switch.set_lines(self.dtr, self.rts)

    def setRTS(self, level: bool) -> None:  # noqa: N802
        self.rts = level
        self.switch.set_lines(self.dtr, self.rts)

    def flushInput(self) -> None:  # noqa: N802
        pass

    def close(self) -> None:
        pass


def telosb_client(switch: TelosBslSwitch) -> TelosBTarget:
    client = TelosBTarget()
    client.serial = SwitchLines(switch)
    client.control_delay = 0
    return client


def test_library_entry_sequence_decodes_to_bsl_and_reset_to_run(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)
    resets: list[str] = []
    detector = BslEntryDetector(resets.append)
    switch = TelosBslSwitch(detector.pins)
    client = telosb_client(switch)
    client.start_bsl()
    # S0 pulls RST/NMI low, S1 pulls TCK low: RST low with TCK high, low, high, low; RST up with TCK low
    assert switch.commands == [1, 3, 1, 3, 2, 0]
    assert resets == ["held", "bsl"]
    client.reset()
    assert switch.commands[6:] == [3, 2, 0]
    assert resets[2:] == ["held", "run"]


def test_other_i2c_addresses_and_plain_line_wiggles_do_nothing(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)
    resets: list[str] = []
    switch = TelosBslSwitch(BslEntryDetector(resets.append).pins)
    client = telosb_client(switch)
    client.i2c_write_cmd(0x92, 0x03)  # another device
    for dtr, rts in ((False, False), (True, False), (False, True), (True, True)):
        switch.set_lines(dtr, rts)  # a terminal program toggling its lines
    assert switch.commands == [] and resets == []


def test_flash_changes_are_reported_ram_writes_are_not():
    mem = Ram64k()
    blank_flash(mem)
    changes: list[int] = []
    bsl = BootstrapLoader(mem, flash_changed=lambda: changes.append(1))
    unlock(bsl, mem)
    assert command(bsl, CMD_RX_BLOCK, 0x1100, 2, b"\x01\x02") == bytes([DATA_ACK])  # RAM
    assert changes == []
    assert command(bsl, CMD_RX_BLOCK, 0x4000, 2, b"\x01\x02") == bytes([DATA_ACK])
    assert command(bsl, CMD_MASS_ERASE, 0xFFFE, 0xA506) == bytes([DATA_ACK])
    assert len(changes) == 3  # the block, and both flash areas of the mass erase
