"""The CCS's temperature conversion (firmware/apps/ccs/ccs_temperature.c, integer arithmetic) against the
datasheet formula in floating point (ccs_oracle.py), on the host build of the app."""

from __future__ import annotations

import pytest
from ccs_oracle import assert_temperature, parse_temperature, temperature_c
from nethost import ffi

SWEEP = [*range(0, 4096, 37), 4095]  # 0 .. 4095, about 110 values, negative temperatures below ADC 2692


def mote_text(lib, adc: int, max_len: int = 16) -> bytes:  # noqa: ANN001 - a node's cffi lib
    buf = ffi.new("uint8_t[]", max_len)
    n = lib.ccs_temperature_text(adc, buf, max_len)
    return ffi.buffer(buf, n)[:]


@pytest.fixture
def lib(make_node):  # noqa: ANN201 - the node's cffi lib
    return make_node().lib


def test_oracle_follows_the_f1611_datasheet():
    assert temperature_c(2920) == pytest.approx(23.5, abs=0.1)  # 0.986 V + 3.55 mV/degC x 23.5 degC
    assert temperature_c(2692) == pytest.approx(0.0, abs=0.1)  # 0.986 V / 1.5 V x 4095


def test_known_answers(lib):
    assert mote_text(lib, 2920) == b"23.5 C"  # 23.548 degC
    assert mote_text(lib, 2895) == b"21.0 C"  # 20.969 degC
    assert mote_text(lib, 2692) == b"0.0 C"  # +0.023 degC
    assert mote_text(lib, 2691) == b"-0.1 C"  # -0.080 degC
    assert mote_text(lib, 2683) == b"-0.9 C"  # -0.906 degC: no "-0." lost, no "0.-9"
    assert mote_text(lib, 2661) == b"-3.2 C"  # -3.176 degC
    assert mote_text(lib, 2660) == b"-3.3 C"  # -3.279 degC
    assert mote_text(lib, 0) == b"-277.7 C"  # the longest answer
    assert mote_text(lib, 4095) == b"144.8 C"


def test_sweep_matches_the_oracle(lib):
    negative = 0
    for adc in SWEEP:
        text = mote_text(lib, adc)
        assert_temperature(text, adc)
        assert parse_temperature(text) == lib.ccs_temperature_decicelsius(adc) / 10
        negative += text.startswith(b"-")
    assert negative > 50  # the sweep covers negative temperatures


def test_every_adc_value_rounds_to_the_nearest_tenth(lib):
    for adc in range(4096):
        want = temperature_c(adc) * 10
        assert abs(lib.ccs_temperature_decicelsius(adc) - want) <= 0.5 + 1e-9, adc


def test_out_of_range_count_and_short_buffer(lib):
    assert mote_text(lib, 0xFFFF) == mote_text(lib, 4095)  # a 12-bit converter: clamped
    assert mote_text(lib, 2920, 6) == b"23.5 C"
    assert mote_text(lib, 2920, 5) == b""  # does not fit: nothing written
