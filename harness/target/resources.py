"""Resources: what exists and can become a mote (labgrid's Resource layer). Plain data, no I/O.

A driver (harness.target.drivers) turns a resource into a running Target. The flash room adds
`SerialPort` drivers (a real TelosB through its BSL/UART) after merge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class EmulatedSky:
    """A Tmote Sky on the cycle-counting emulator: firmware ELF, node id, ADC inputs."""

    firmware: Path
    node_id: int
    adc: dict[int, int] = field(default_factory=dict)  # ADC12 channel -> input value (0..4095)


@dataclass(frozen=True)
class SimulatedSky:
    """A Tmote Sky on the simulation's shared timeline (harness.sim engine), CC2420 included."""

    firmware: Path
    node_id: int
    adc: dict[str | int, int] = field(default_factory=dict)  # channel or sensor name -> value
    translate: bool = False  # run its flash code translated (harness.emulator.translate)
    sht11: dict[str, float] = field(default_factory=dict)  # SHT11 "temperature" (C), "humidity" (%RH)


@dataclass(frozen=True)
class SerialPort:
    """A real mote on a host serial port (e.g. a TelosB's /dev/ttyUSB0); the flash room's driver opens it."""

    device: str
    baud: int = 115200
    node_id: int = 0
