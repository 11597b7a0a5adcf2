"""Drivers: how to open a resource into a running mote (labgrid's Driver layer).

    mote = open_target(EmulatedSky(Path("build/apps/ccs/ccs.elf"), node_id=2, adc={10: 2000}))
    mote.write_serial(b"...");  mote.run_for(0.01);  mote.read_serial()

`DRIVERS` maps a resource type to the function that opens it; a later floor (the flash room's
serial/BSL motes, resource `SerialPort`) registers its own with `register_driver`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.target.protocol import Target
from harness.target.resources import EmulatedSky, SimulatedSky

Driver = Callable[[Any], Target]
DRIVERS: dict[type, Driver] = {}


def register_driver(resource_type: type, driver: Driver) -> None:
    """Make `open_target` open resources of `resource_type` with `driver` (one driver per type)."""
    if resource_type in DRIVERS and DRIVERS[resource_type] is not driver:
        raise ValueError(f"a driver for {resource_type.__name__} is already registered")
    DRIVERS[resource_type] = driver


def open_target(resource: object) -> Target:
    """The running mote for `resource`, through the driver registered for its type."""
    driver = DRIVERS.get(type(resource))
    if driver is None:
        known = ", ".join(sorted(t.__name__ for t in DRIVERS))
        raise LookupError(f"no driver for {type(resource).__name__} (drivers: {known})")
    return driver(resource)


def _check_adc(node_id: int, adc: dict[int, int]) -> None:
    for channel, value in adc.items():
        if not 0 <= channel <= 15 or not 0 <= value <= 4095:
            raise ValueError(
                f"mote {node_id}: ADC channel {channel} = {value} (channels 0..15, values 0..4095)"
            )


def open_emulated_sky(res: EmulatedSky) -> Target:
    """An emulator Mote with the firmware loaded and its ADC inputs set."""
    from harness.emulator.mote import Mote, lib

    _check_adc(res.node_id, res.adc)
    mote = Mote(res.firmware, node_id=res.node_id)
    for channel, value in res.adc.items():
        lib.adc_set_channel(mote.ptr, channel, value)
    return mote


def open_simulated_sky(res: SimulatedSky) -> Target:
    """The simulation's Sky mote (harness.emulator.simmote.SkySimMote)."""
    from harness.emulator.simmote import SkySimMote

    return SkySimMote(res.firmware, res.node_id, adc=res.adc, translate=res.translate, sht11=res.sht11)


register_driver(EmulatedSky, open_emulated_sky)
register_driver(SimulatedSky, open_simulated_sky)
