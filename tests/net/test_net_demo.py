"""`esse demo` end to end: builds, runs hello on the emulator, starts the ccs_demo scenario with
`esse sim run --realtime` in a child process, and GETs the sensors through the bridge with aiocoap."""

from __future__ import annotations

import re
import tomllib

import pytest
from ccs_oracle import assert_temperature, scenario_adc
from requirements import require_module

from harness.demo import SCENARIO, demo

require_module("harness.emulator.simmote", "python setup.py build_ext --inplace")


@pytest.mark.slow
def test_demo_gets_sensor_values_through_the_bridge(capsys):
    assert demo() == 0
    out = capsys.readouterr().out
    assert "border_router" in out and "ccs" in out  # the size table
    assert "self-test: 121 lines, equal to the Python oracle" in out
    answers = re.findall(
        r"CoAP GET coap://127\.0\.0\.1:\d+/sensors/temperature -> 2\.05 Content '([^']*)'", out
    )
    adc = scenario_adc(tomllib.loads(SCENARIO.read_text()), "temperature")  # per-mote ADC values
    assert len(answers) == len(adc) == 2
    for answer, value in zip(answers, adc.values(), strict=True):
        assert_temperature(answer, value)
    assert "</actuators/leds>" in out
