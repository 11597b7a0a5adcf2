"""harness.target: the emulator's Mote, the simulation's Sky mote and the scripted mote are the same
kind of target (UART1 both ways, node id, reset, load/run where simulated), opened from resources."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from emu_helpers import uart1_elf, uart_echo_source

from harness.emulator.mote import Mote
from harness.emulator.simmote import SkySimMote
from harness.sim.scripted import ScriptedMote
from harness.target import Loadable, PowerReadout, Simulated, SimulatedMote, Target
from harness.target.drivers import open_target, register_driver
from harness.target.resources import EmulatedSky, SerialPort, SimulatedSky


@pytest.fixture(scope="module")
def echo_elf():
    return uart1_elf(uart_echo_source)


def echo_through(target: SimulatedMote, data: bytes) -> bytes:
    target.write_serial(data)
    target.run_for(0.01)  # 115200 baud: ~87 µs a byte each way
    return target.read_serial()


@pytest.mark.parametrize("kind", ["emulated", "simulated"])
def test_emulated_targets_echo_reset_and_reload(echo_elf, kind):
    res = (EmulatedSky if kind == "emulated" else SimulatedSky)(echo_elf, node_id=7)
    mote = open_target(res)
    assert isinstance(mote, SimulatedMote)
    assert isinstance(mote, Mote if kind == "emulated" else SkySimMote)
    assert mote.node_id == 7
    assert echo_through(mote, b"hello") == b"hello"
    assert mote.read_serial() == b""  # each byte once
    t = mote.time_ns
    mote.reset()
    assert mote.time_ns >= t  # simulated time goes on across a reset
    assert echo_through(mote, b"again") == b"again"
    mote.load(echo_elf)
    assert echo_through(mote, b"reloaded") == b"reloaded"
    assert mote.time_ns >= t + 20_000_000


def test_scripted_mote_is_a_simulated_target_without_firmware():
    mote = ScriptedMote(4, echo_uart=True)
    assert isinstance(mote, Target) and isinstance(mote, Simulated) and isinstance(mote, PowerReadout)
    assert not isinstance(mote, Loadable)
    mote.say(1000, "boot")
    mote.say(50_000, "late")
    mote.run_for(0.01)
    assert mote.read_serial() == b"boot\n" and mote.time_ns == 10_000_000
    mote.reset()  # the pending line is gone with the program
    mote.write_serial(b"ping")
    mote.run_for(0.1)
    assert mote.read_serial() == b"ping" and mote.resets == 1
    assert sum(mote.power().values()) >= mote.time_ns // 1000


def test_open_target_names_what_is_missing(tmp_path):
    import harness.flash  # noqa: F401 - the flash floor registers the SerialPort driver
    from harness.flash.runner import FlashError

    @dataclass(frozen=True)
    class BenchSupply:  # a resource nobody wrote a driver for
        volts: float

    with pytest.raises(LookupError, match=r"no driver for BenchSupply \(drivers: EmulatedSky, SerialPort"):
        open_target(BenchSupply(3.0))

    missing = tmp_path / "ttyUSB9"
    with pytest.raises(FlashError, match=f"cannot open {missing}"):
        open_target(SerialPort(str(missing)))
    with pytest.raises(ValueError, match="already registered"):
        register_driver(EmulatedSky, lambda res: Mote())
    with pytest.raises(ValueError, match="ADC channel 16"):
        open_target(EmulatedSky(uart1_elf(uart_echo_source), 1, adc={16: 1}))
