"""Python oracle of the CCS's /sensors/temperature answer: the MSP430F1611 datasheet formula in floating
point (the mote's integer version is firmware/apps/ccs/ccs_temperature.c), and the checks the tests make
of the mote's text."""

from __future__ import annotations

import re

from harness.sim.scenario import ADC_NAMES

# MSP430F1611 temperature diode: V = 0.986 V + 3.55 mV/degC x T, converted on the internal 1.5 V reference
TEMP_OFFSET_V, TEMP_SLOPE_V, ADC_REF_V, ADC_FULL_SCALE = 0.986, 0.00355, 1.5, 4095
TOLERANCE_C = 0.05  # the mote rounds to the nearest tenth
TEXT = re.compile(rb"(-?\d+\.\d) C")


def temperature_c(adc: int) -> float:
    """Degrees Celsius for an ADC12 count of INCH 10 (the datasheet formula, unrounded)."""
    return (adc / ADC_FULL_SCALE * ADC_REF_V - TEMP_OFFSET_V) / TEMP_SLOPE_V


def parse_temperature(payload: bytes) -> float:
    """The number in the mote's answer ("23.5 C", "-3.2 C"); AssertionError on any other text."""
    m = TEXT.fullmatch(payload)
    assert m, f"not a temperature with one decimal and ' C': {payload!r}"
    return float(m.group(1))


def assert_temperature(payload: bytes | str, adc: int) -> None:
    """The mote's answer is the temperature for `adc`, to the tenth, with the unit."""
    if isinstance(payload, str):
        payload = payload.encode()
    got, want = parse_temperature(payload), temperature_c(adc)
    assert abs(got - want) <= TOLERANCE_C + 1e-9, f"{payload!r} for ADC {adc}: expected {want:.3f} degC"


def scenario_adc(scenario: dict, channel: str | int) -> dict[int, int]:
    """{mote id: ADC value of `channel`} of the motes of a scenario dict (TOML [[motes]] adc tables)."""
    number = ADC_NAMES.get(channel, channel) if isinstance(channel, str) else channel
    out: dict[int, int] = {}
    mote = 0
    for entry in scenario["motes"]:
        for _ in range(int(entry.get("count", 1))):
            mote += 1
            for key, value in entry.get("adc", {}).items():
                if ADC_NAMES.get(key, None) == number or str(key) == str(number):
                    out[mote] = value
    return out
