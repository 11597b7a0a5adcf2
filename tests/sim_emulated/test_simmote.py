"""SkySimMote on its own (no radio, no engine): time, UART1 byte times, power folding, node id,
ADC inputs, and that splitting a run into pieces (across the boot-time DCO changes) changes nothing."""

from __future__ import annotations

import pytest

from harness.build import build_app
from harness.emulator.simmote import SkySimMote, adc_channel
from harness.sim.interfaces import POWER_MODES, SimMote

UART_CHAR_US = 10 / 115200 * 1e6  # 8N1 at 115200 baud


@pytest.fixture(scope="module")
def timer_elf():
    return build_app("emutest_timer").elf


def lines_of(sent: list[tuple[int, int]]) -> list[tuple[int, str]]:
    out, cur = [], bytearray()
    for t, b in sent:
        if b == 0x0A:
            out.append((t, cur.decode()))
            cur.clear()
        else:
            cur.append(b)
    return out


def test_uart_times_power_and_protocol(timer_elf):
    m = SkySimMote(timer_elf, 7, with_radio=False)
    assert isinstance(m, SimMote) and m.radio is None and m.lookahead_us == 192
    m.run_until(3_500_000)
    assert m.now_us() == 3_500_000
    sent = m.drain_uart_tx()
    assert m.drain_uart_tx() == []
    lines = lines_of(sent)
    assert lines[0][1].startswith("emutest_timer dco_hz=")
    assert [text for _, text in lines[1:]] == ["wake 1", "wake 2", "wake 3"]
    # one wake-up per second after boot: the lines are 1 s apart to within a character time
    gaps = [b[0] - a[0] for a, b in zip(lines[1:], lines[2:], strict=False)]
    assert all(abs(g - 1_000_000) <= UART_CHAR_US for g in gaps), gaps
    times = [t for t, _ in sent]
    assert all(b - a >= UART_CHAR_US - 1 for a, b in zip(times, times[1:], strict=False))
    p = m.power()
    assert set(p) == set(POWER_MODES) and p["TX"] == p["RX"] == 0
    assert 3_500_000 - 2 <= p["CPU"] + p["LPM"] <= 3_500_000
    assert p["LPM"] > 0.8 * 3_500_000  # LPM3 between the wake-ups


def test_split_runs_equal_one_run(timer_elf):
    one = SkySimMote(timer_elf, 1, with_radio=False)
    one.run_until(1_600_000)
    many = SkySimMote(timer_elf, 1, with_radio=False)
    t = 0
    while t < 1_600_000:
        t = min(1_600_000, t + 997)  # odd steps straddle the DCO calibration at boot
        many.run_until(t)
    assert one.drain_uart_tx() == many.drain_uart_tx()
    assert one.power() == many.power()
    assert one.mote.regs == many.mote.regs


def test_node_id_and_adc_inputs(beacon_elf):
    m = SkySimMote(beacon_elf, 42, adc={"light": 1000, "10": 3000})
    m.run_until(450_000)
    text = bytes(b for _, b in m.drain_uart_tx()).decode()
    assert "beacon node=42 ready light=1000 temp=3000\n" in text
    assert (adc_channel("temperature"), adc_channel("light"), adc_channel(3)) == (10, 4, 3)
    with pytest.raises(ValueError, match="unknown ADC channel"):
        adc_channel("humidity")
    with pytest.raises(ValueError, match="outside 0..4095"):
        SkySimMote(beacon_elf, 1, adc={"light": 4096})
