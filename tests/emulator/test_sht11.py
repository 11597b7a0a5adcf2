"""The Sky's SHT11 temperature/humidity sensor (csrc/dev_sht11.c) driven by our firmware driver
(firmware/dev/sht11.c, app firmware/apps/sht11_read) on the emulated MCU, and from the host API.
Oracles: the Sensirion SHT1x datasheet V4.3 (conversion coefficients at 3 V, commands, status register,
11 ms start-up, maximum measurement times 20/80/320 ms "lower by up to 30 %") and the "CRC Checksum
Calculation" application note (its two worked examples)."""

from __future__ import annotations

import io
import math
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.emulator.mote import Mote, lib
from harness.emulator.sky_devices import SHT11
from harness.emulator.vcd import MoteTrace
from tests.emulator.vcd_reader import read_vcd

ACLK_HZ = 32768
CYCLES = 400_000_000  # a bound per wait: a round of readings is ~0.5 s of mote time (~2 M cycles)


def crc_app_note(status: int, data: bytes) -> int:
    """The application note's bitwise algorithm: register seeded with the status low nibble reversed;
    per input bit (MSB first) compared with bit 7: equal -> shift, else shift and invert bits 4, 5 and
    set bit 0 (x^8 + x^5 + x^4 + 1)."""
    reg = int(f"{status & 0x0F:04b}"[::-1], 2) << 4
    for byte in data:
        for i in range(7, -1, -1):
            bit = (byte >> i) & 1
            if bit == reg >> 7:
                reg = (reg << 1) & 0xFF
            else:
                reg = ((reg << 1) & 0xFF ^ 0x30) | 1
    return reg


def rev8(v: int) -> int:
    """Bits of a byte in reverse order."""
    return int(f"{v:08b}"[::-1], 2)


def temp_of(sot: int, low: bool) -> float:
    """Datasheet: T = d1 + d2 SOT, d1 -39.6 C at 3 V, d2 0.01 (14 bit) / 0.04 (12 bit)."""
    return -39.6 + (0.04 if low else 0.01) * sot


def rh_of(sorh: int, t: float, low: bool) -> float:
    """Datasheet V4: RH_lin = c1 + c2 SO + c3 SO^2, RH_true = (T - 25)(t1 + t2 SO) + RH_lin."""
    c1, c2, c3 = (-2.0468, 0.5872, -4.0845e-4) if low else (-2.0468, 0.0367, -1.5955e-6)
    t2 = 0.00128 if low else 0.00008
    return (t - 25) * (0.01 + t2 * sorh) + c1 + c2 * sorh + c3 * sorh * sorh


@pytest.fixture(scope="module")
def sht_elf() -> Path:
    from harness.build import build_app

    return build_app("sht11_read").elf


def boot(elf: Path, temperature: float = 25.0, humidity: float = 50.0) -> tuple[Mote, SHT11]:
    mote = Mote(elf, node_id=1)
    return mote, SHT11(mote, temperature, humidity)


def wait_line(mote: Mote, pattern: str) -> re.Match[bytes]:
    res = mote.run_until_uart(pattern.encode(), max_cycles=CYCLES)
    assert res.reason == "uart", mote.uart_text()[-2000:]
    assert res.match is not None
    return res.match


READING = (
    r"SHT {kind} n={n} rc=(-?\d+),(-?\d+) sot=(\d+) sorh=(\d+) t=(-?\d+) rh=(-?\d+) wt=(\d+) wrh=(\d+)\n"
)


def reading(mote: Mote, kind: str, n: int) -> dict[str, int]:
    m = wait_line(mote, READING.format(kind=kind, n=n))
    keys = ("rc_t", "rc_rh", "sot", "sorh", "t", "rh", "wt", "wrh")
    return dict(zip(keys, map(int, m.groups()), strict=True))


def test_crc_known_answers():
    # application note, examples 1 and 2: after the command alone 0xF5 (05h) / 0x97 (07h); status
    # 0x40 read -> 0x93; the datasheet's humidity example 05h 09h 31h -> 0x58 (sent reversed: 0x1A)
    for data, want in ((b"\x05", 0xF5), (b"\x07", 0x97), (b"\x07\x40", 0x93), (b"\x05\x09\x31", 0x58)):
        assert crc_app_note(0, data) == want
        assert lib.sht11_crc8(0, data, len(data)) == want
    assert rev8(0x58) == 0x1A
    for status in range(16):  # the seed: the status register's low nibble reversed
        assert lib.sht11_crc8(status, b"\x03\x17\x2a", 3) == crc_app_note(status, b"\x03\x17\x2a")


def test_firmware_protocol(sht_elf):
    mote, sht = boot(sht_elf)
    wait_line(mote, r"SHT timeout [^\n]*\n")
    out = mote.uart_text()
    assert "SHT crc status=93 rh=58" in out  # the driver's CRC against the app note
    assert "SHT off rc=-1" in out  # unpowered: no ACK
    assert "SHT early rc=-1" in out  # within 11 ms of power-up: no ACK
    assert "SHT status rc=0 value=00" in out
    assert "SHT write rc=0 read rc=0 value=05" in out  # low resolution + heater, read back
    assert "SHT reset rc=0 read rc=0 value=00" in out  # soft reset: the register's defaults
    assert "SHT abort rc=0 read rc=0 value=00" in out  # a connection reset, then the next command
    assert "SHT timeout rc=0 finish rc=-2" in out  # power lost during a measurement
    assert sht.soft_resets == 1 and sht.interface_resets == 1
    assert sht.status == 0


def test_readings_follow_the_environment(sht_elf):
    points = [(25.0, 50.0), (-10.5, 80.0), (-39.6, 30.0), (-40.0, 0.0), (123.8, 100.0), (0.0, 100.0),
              (60.0, 5.0), (21.37, 42.42)]
    mote, sht = boot(sht_elf, *points[0])
    for n, (t, rh) in enumerate(points):
        if n:
            reading(mote, "lo", n - 1)
            sht.set_environment(t, rh)  # the next round's measurements complete after this
        for low in (False, True):
            r = reading(mote, "lo" if low else "hi", n)
            where = f"{t} C {rh} %RH {'lo' if low else 'hi'}: {r}"
            assert (r["rc_t"], r["rc_rh"]) == (0, 0), where
            assert r["sot"] == sht.raw(False, low) and r["sorh"] == sht.raw(True, low), where
            d2 = 0.04 if low else 0.01
            t_want = max(t, -39.6)  # below -39.6 C the raw value is clamped at 0
            assert abs(r["t"] / 100 - t_want) <= d2 / 2 + 1e-9, where
            t_read = temp_of(r["sot"], low)
            step = rh_of(r["sorh"] + 1, t_read, low) - rh_of(r["sorh"], t_read, low)
            assert abs(r["rh"] / 100 - rh) <= step / 2 + 0.01, where  # quantisation + centi rounding
            # the firmware's integer conversion against the datasheet formula in floating point
            assert abs(r["rh"] - min(max(rh_of(r["sorh"], t_read, low), 0), 100) * 100) <= 1, where


def test_measurement_time_within_the_datasheet(sht_elf):
    mote, sht = boot(sht_elf)
    hi, lo = reading(mote, "hi", 0), reading(mote, "lo", 0)
    # the wait from the ACK to data ready in ACLK ticks: max 320/80/20 ms, "lower by up to 30 %"
    for ticks, max_ms in ((hi["wt"], 320), (hi["wrh"], 80), (lo["wt"], 80), (lo["wrh"], 20)):
        ms = ticks * 1000 / ACLK_HZ
        assert 0.7 * max_ms <= ms <= max_ms + 1000 / ACLK_HZ, (ticks, ms, max_ms)  # +- one tick
    start, ready = sht.last_measurement_ns
    assert 20_000_000 <= ready - start < 20_010_000  # the last one, 8-bit humidity (+ < 1 instruction)
    assert sht.measurements >= 4


def test_corrupted_bytes_fail_the_crc(sht_elf):
    mote, sht = boot(sht_elf)
    sht.corrupt_next(0, 0x01)  # the first transfer with data: the status read
    wait_line(mote, r"SHT status [^\n]*\n")
    assert "SHT status rc=-3 value=01" in mote.uart_text()
    reading(mote, "lo", 0)
    sht.corrupt_next(1, 0x04)  # the next: round 1's temperature LSB
    r = reading(mote, "hi", 1)
    assert (r["rc_t"], r["rc_rh"]) == (-3, 0)
    assert r["sot"] == sht.raw(False, False) ^ 0x04
    sht.corrupt_next(2, 0x80)  # the CRC byte itself: round 1's low-resolution temperature
    r = reading(mote, "lo", 1)
    assert (r["rc_t"], r["rc_rh"]) == (-3, 0) and r["sot"] == sht.raw(False, True)
    r = reading(mote, "hi", 2)
    assert (r["rc_t"], r["rc_rh"]) == (0, 0)


def test_no_ack_without_the_sensor(sht_elf):
    mote = Mote(sht_elf, node_id=1)
    lib.port_set_input(mote.ptr, 1, 5, 1)  # the pull-up alone
    r = reading(mote, "hi", 0)
    assert (r["rc_t"], r["rc_rh"]) == (-1, -1)
    assert "SHT status rc=-1" in mote.uart_text()


@pytest.fixture(scope="module")
def host_sht(sht_elf) -> SHT11:
    return SHT11(Mote(sht_elf, node_id=1))


@settings(max_examples=300, deadline=None)
@given(
    t=st.floats(min_value=-39.6, max_value=123.8),
    rh=st.floats(min_value=0.0, max_value=100.0),
    low=st.booleans(),
)
def test_inversion_is_the_nearest_raw_value(host_sht, t, rh, low):
    host_sht.set_environment(t, rh)
    sot, sorh = host_sht.raw(False, low), host_sht.raw(True, low)
    tmax, rhmax = (4095, 255) if low else (16383, 4095)
    assert 0 <= sot <= tmax and 0 <= sorh <= rhmax
    for cand in (sot - 1, sot + 1):  # no neighbour converts closer to the set temperature
        if 0 <= cand <= tmax:
            assert abs(temp_of(sot, low) - t) <= abs(temp_of(cand, low) - t) + 1e-9
    tr = temp_of(sot, low)
    for cand in (sorh - 1, sorh + 1):  # nor to the set humidity, at the temperature a driver reads
        if 0 <= cand <= rhmax:
            assert abs(rh_of(sorh, tr, low) - rh) <= abs(rh_of(cand, tr, low) - rh) + 1e-9
    if 0 < sorh < rhmax:  # not clamped (8 bit near -40 C cannot reach 100 %RH: 99.4 at SORH 255)
        here = rh_of(sorh, tr, low)
        step = max(rh_of(sorh + 1, tr, low) - here, here - rh_of(sorh - 1, tr, low))
        assert abs(rh_of(sorh, tr, low) - rh) <= step / 2 + 1e-9


def test_bad_environment_is_refused(sht_elf):
    mote = Mote(sht_elf, node_id=1)
    with pytest.raises(ValueError, match=r"temperature 130\.0 C outside -40\.0\.\.123\.8"):
        SHT11(mote, temperature=130.0)
    with pytest.raises(ValueError, match=r"humidity -0\.5 %RH outside 0\.\.100"):
        SHT11(mote, humidity=-0.5)
    sht = SHT11(mote, 20.0, 30.0)
    with pytest.raises(ValueError, match="temperature nan"):
        sht.temperature = math.nan
    with pytest.raises(ValueError, match="humidity 100.5"):
        sht.humidity = 100.5
    assert (sht.temperature, sht.humidity) == (20.0, 30.0)  # unchanged
    sht.temperature = -40.0
    assert sht.raw() == 0  # clamped: the sensor's lowest reading is -39.6 C
    with pytest.raises(ValueError, match="index 3"):
        sht.corrupt_next(3, 1)


def test_measurement_time_on_the_traced_wires(sht_elf):
    # in emulated time from the wires (VCD): while VDD is up, DATA's longest high stretch is the 14-bit
    # temperature measurement, from the ACK's release (9th SCK falling edge) to data ready
    mote, sht = boot(sht_elf)
    buf = io.StringIO()
    trace = MoteTrace(mote, buf)
    wait_line(mote, r"SHT hi n=0 [^\n]*\n")
    trace.close()
    vcd = read_vcd(buf.getvalue())
    vdd = [(a, b) for a, b, v in vcd["mote1.pins.sht11_vdd"].intervals(vcd.end) if v == 1]
    highs = [
        b - a
        for a, b, v in vcd["mote1.pins.sht11_data"].intervals(vcd.end)
        if v == 1 and any(va <= a and b <= vb for va, vb in vdd)
    ]
    assert 0.7 * 320e6 <= max(highs) <= 320e6 + 5_000  # the datasheet's maximum, < 1 instruction late
    sck = vcd["mote1.pins.sht11_sck"].changes
    assert len(sck) > 2 * 9 * 6  # clocked: commands and bytes of 9 clocks each


def test_simulated_mote_carries_one(sht_elf):
    from harness.emulator.simmote import SkySimMote

    with pytest.raises(ValueError, match=r"mote 3: SHT11 temperature 200 C outside"):
        SkySimMote(sht_elf, 3, sht11={"temperature": 200})
    with pytest.raises(ValueError, match=r"mote 3: unknown SHT11 key\(s\) heater"):
        SkySimMote(sht_elf, 3, sht11={"heater": 1.0})
    mote = SkySimMote(sht_elf, 3, sht11={"humidity": 12.5})
    assert (mote.sht11.temperature, mote.sht11.humidity) == (25.0, 12.5)
