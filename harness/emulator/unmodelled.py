"""Parts of the MSP430F1611 the emulator does not model, and a firmware's use of them.

Nothing silent: the C core maps the registers of these parts (csrc/periph_unmodelled.h) so that they
read back what was written, and records the first access to each; the USART records its own
unmodelled modes (USART0's I2C, SPI slave). `esse run` and `esse sim run` report every part a
firmware used, since its results there are not the chip's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.emulator.core_build import CORE

_core = CORE.load()
ffi = _core.ffi
lib = _core.lib

# index = the part's number in periph_unmodelled.h
PARTS = ("I2C", "SVS", "Comparator_A", "DAC12", "SPI slave")

# register names by address (MSP430F1611 datasheet, peripheral file map)
REGISTERS = {
    0x050: "I2CIE", 0x051: "I2CIFG", 0x052: "I2CNDAT", 0x055: "SVSCTL",
    0x059: "CACTL1", 0x05A: "CACTL2", 0x05B: "CAPD",
    0x070: "U0CTL", 0x078: "U1CTL",
    0x118: "I2COA", 0x119: "I2COA", 0x11A: "I2CSA", 0x11B: "I2CSA", 0x11C: "I2CIV", 0x11D: "I2CIV",
    0x1C0: "DAC12_0CTL", 0x1C1: "DAC12_0CTL", 0x1C2: "DAC12_1CTL", 0x1C3: "DAC12_1CTL",
    0x1C8: "DAC12_0DAT", 0x1C9: "DAC12_0DAT", 0x1CA: "DAC12_1DAT", 0x1CB: "DAC12_1DAT",
}


@dataclass(frozen=True)
class UnmodelledUse:
    """A part of the chip that the firmware used although the emulator does not model it: its first
    access (register address, cycle, simulated ns, read or write) and how many accesses in all."""

    part: str
    addr: int
    cycle: int
    time_ns: int
    write: bool
    accesses: int

    @property
    def register(self) -> str:
        """The register's name (e.g. CACTL1)."""
        return REGISTERS.get(self.addr, f"0x{self.addr:04x}")

    def __str__(self) -> str:
        what = "written" if self.write else "read"
        return (
            f"the firmware used {self.part} ({self.register} at 0x{self.addr:04x} first {what} at "
            f"{self.time_ns / 1000:.1f} µs, {self.accesses} access{'es' if self.accesses != 1 else ''}), "
            "which the emulator does not model: its registers only hold what is written"
        )


def unmodelled_uses(mote_ptr: Any) -> list[UnmodelledUse]:
    """The unmodelled parts a C mote (`Mote.ptr`) has used since it was created, in part order."""
    touched = int(lib.unmod_touched(mote_ptr))
    if not touched:
        return []
    addr = ffi.new("uint16_t *")
    cycle = ffi.new("uint64_t *")
    ns = ffi.new("uint64_t *")
    write = ffi.new("int *")
    count = ffi.new("uint64_t *")
    out = []
    for i, name in enumerate(PARTS):
        if touched & (1 << i) and lib.unmod_first(mote_ptr, i, addr, cycle, ns, write, count):
            use = UnmodelledUse(name, int(addr[0]), int(cycle[0]), int(ns[0]), bool(write[0]), int(count[0]))
            out.append(use)
    return out
