"""The Sky's DS2411 (1-Wire serial number) and M25P80 (SPI flash next to the CC2420), driven by a
firmware that talks to them as a driver on the real mote does (tests/emulator/fw/sky_chips), and
from the host API. Oracles: the DS2411/M25P80 datasheets (ROM layout, CRC-8, RDID 20 20 14, RES 13,
status bits, program/erase semantics and times)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.emulator.mote import Mote, lib
from harness.emulator.radio import Radio
from harness.emulator.sky_devices import DS2411, M25P80, sky_serial

FW = Path(__file__).parent / "fw" / "sky_chips"


def dallas_crc8(data: bytes) -> int:
    """CRC-8, x^8 + x^5 + x^4 + 1, LSB first (Maxim application note 27)."""
    crc = 0
    for b in data:
        for _ in range(8):
            mix = (crc ^ b) & 1
            crc >>= 1
            if mix:
                crc ^= 0x8C
            b >>= 1
    return crc


@pytest.fixture(scope="module")
def chips_elf() -> Path:
    from harness.build import build_app

    return build_app(FW).elf


def run_chips(elf: Path, node_id: int, with_radio: bool = True):
    mote = Mote(elf, node_id=node_id)
    radio = Radio(mote) if with_radio else None  # the CC2420 shares the SPI bus
    ds, flash = DS2411(mote), M25P80(mote)
    result = mote.run_until_uart(rb"sky_chips done\n", max_cycles=200_000_000)
    assert result.reason == "uart", mote.uart_text()
    return mote, ds, flash, radio, mote.uart_text()


def test_crc8_known_answer():
    # Maxim AN27: ROM 02 1C B8 01 00 00 00 has CRC A2h
    assert dallas_crc8(bytes.fromhex("021cb801000000")) == 0xA2
    assert lib.ds2411_crc8(bytes.fromhex("021cb801000000"), 7) == 0xA2


def test_firmware_reads_the_ds2411(chips_elf):
    mote, ds, _, _, out = run_chips(chips_elf, node_id=0x1234)
    rom = bytes([0x01]) + sky_serial(0x1234)
    rom += bytes([dallas_crc8(rom)])
    assert ds.rom == rom
    assert f"DS2411 presence=1 rom={rom.hex()} crc=ok" in out
    assert "DS2411 again presence=1" in out
    assert ds.presences == 2 and ds.rom_reads == 1
    other = run_chips(chips_elf, node_id=7)[1]
    assert other.rom != ds.rom  # one serial number per mote


def test_no_presence_without_the_chip(chips_elf):
    mote = Mote(chips_elf, node_id=1)
    lib.port_set_input(mote.ptr, 2, 4, 1)  # the board's pull-up, nothing on the line
    mote.run_until_uart(rb"DS2411 again[^\n]*\n", max_cycles=100_000_000)
    assert "DS2411 presence=0 rom=ffffffffffffffff crc=bad" in mote.uart_text()


def test_firmware_drives_the_m25p80(chips_elf):
    mote, _, flash, radio, out = run_chips(chips_elf, node_id=1)
    assert "M25P80 id rdid=202014" in out
    assert "M25P80 res=13 sr=00" in out
    assert "M25P80 wren sr=02" in out  # WEL
    assert "M25P80 busy rdid=00" in out  # only RDSR while WIP
    polls = int(re.search(r"M25P80 pp polls=(\d+) sr=00", out).group(1))
    assert polls > 10  # tPP = 1.4 ms of RDSR polling; WEL cleared at the end
    assert "M25P80 pp read=68656c6c6f" in out
    assert "M25P80 nowren sr=00" in out and "M25P80 nowren read=ffffffffff" in out
    se_polls = int(re.search(r"M25P80 se polls=(\d+)", out).group(1))
    assert se_polls > 100 * polls  # tSE = 0.6 s against 1.4 ms
    assert "M25P80 se read=ffffffffff" in out
    assert "M25P80 dp rdid=000000" in out and "M25P80 woke sig=13" in out
    assert "M25P80 woke rdid=202014" in out
    assert flash.programs == 1 and flash.erases == 1
    assert flash.read(0x20000, 5) == b"\xff" * 5
    # the radio, up and idle on the same bus, took none of it (its chip select stayed high)
    assert "CC2420 init rc=0" in out  # the driver read back a register on the shared bus
    assert radio is not None and lib.cc2420_state(radio._r) == 4  # CC2420_IDLE
    # CC2420 datasheet: MANFIDL 233Dh (part number 002h low nibble, JEDEC id 33Dh), MANFIDH 3000h
    # (version 3); MSPSim's model reads 0 here, which is why our driver failed there (issue 15)
    assert (lib.cc2420_reg(radio._r, 0x1E), lib.cc2420_reg(radio._r, 0x1F)) == (0x233D, 0x3000)


def test_host_api_program_semantics(chips_elf):
    mote = Mote(chips_elf, node_id=1)
    flash = M25P80(mote)
    assert flash.read(0, 4) == b"\xff" * 4 and flash.status == 0
    flash.write(0x1000, b"\x0f\xf0")
    assert flash.read(0x1000, 2) == b"\x0f\xf0"
    with pytest.raises(ValueError, match="6 bytes"):
        DS2411(mote, b"\x01")
