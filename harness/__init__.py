"""ESSE harness: firmware build, Sky-mote emulator, simulation, SSM, energy and flashing."""

__version__ = "0.1.0"
