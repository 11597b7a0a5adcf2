"""`esse demo` end to end: builds, runs hello on the emulator, starts the ccs_demo scenario with
`esse sim run --realtime` in a child process, and GETs the sensors through the bridge with aiocoap."""

from __future__ import annotations

import re

import pytest

from harness.demo import demo, temperature_c

pytest.importorskip("harness.emulator.simmote", reason="the emulator extension is not built")


def test_temperature_conversion_follows_the_f1611_datasheet():
    assert temperature_c(2920) == pytest.approx(23.5, abs=0.1)  # 0.986 V + 3.55 mV/degC x 23.5 degC
    assert temperature_c(2692) == pytest.approx(0.0, abs=0.1)


@pytest.mark.slow
def test_demo_gets_sensor_values_through_the_bridge(capsys):
    assert demo() == 0
    out = capsys.readouterr().out
    assert "border_router" in out and "ccs" in out  # the size table
    assert "self-test: 121 lines, equal to the Python oracle" in out
    answers = re.findall(
        r"CoAP GET coap://127\.0\.0\.1:\d+/sensors/temperature -> 2\.05 Content '(\d+)'", out
    )
    assert answers == ["2920", "2895"]  # per-mote ADC values from cooja_configs/scenarios/ccs_demo.toml
    assert "</actuators/leds>" in out
