"""Cycle-counting MSP430F1611 / Tmote Sky emulator: C core (csrc/, cffi extension `_core`),
ELF loading (elf.py), the `Mote` wrapper (mote.py), power tracking (power.py), `esse run` (cli.py)."""
