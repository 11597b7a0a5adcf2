"""The MSP430 toolchain: which programs, where msp430mcu lives, and the fixed flags."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.proc import ToolMissing, require

INSTALL_HINT = "apt-get install clang-16 lld-16 llvm-16 msp430mcu"
MSP430MCU_DIR = Path("/usr/msp430")
MCU = "msp430f1611"

FLASH_BYTES = 48 * 1024  # 0x4000-0xFFFF: code, constants, .data load copy, vectors
RAM_BYTES = 10 * 1024  # 0x1100-0x38FF

# DWARF 4: MSPSim cannot read clang-16's default DWARF 5. -ffreestanding keeps the compiler
# from turning loops in our libc back into calls to themselves.
COMMON_FLAGS = [
    "--target=msp430",
    f"-mmcu={MCU}",
    "-Os",
    "-g",
    "-gdwarf-4",
    "-ffreestanding",
    "-nostdlibinc",
    "-ffunction-sections",
    "-fdata-sections",
    "-Wall",
    "-Wextra",
]
C_FLAGS = ["-std=gnu11"]
ASM_FLAGS: list[str] = []


@dataclass(frozen=True)
class Toolchain:
    clang: str
    lld: str
    objcopy: str
    mcu_include: Path
    mcu_ldscripts: Path


def find_toolchain() -> Toolchain:
    """Locate every program and the msp430mcu data, or raise ToolMissing with the apt line."""
    clang = require("clang-16", INSTALL_HINT)
    lld = require("ld.lld-16", INSTALL_HINT)
    objcopy = require("llvm-objcopy-16", INSTALL_HINT)
    include = MSP430MCU_DIR / "include"
    ldscripts = MSP430MCU_DIR / "lib" / "ldscripts" / MCU
    if not (include / "msp430.h").is_file() or not (ldscripts / "periph.x").is_file():
        raise ToolMissing(f"msp430mcu ({include / 'msp430.h'})", INSTALL_HINT)
    return Toolchain(clang, lld, objcopy, include, ldscripts)
