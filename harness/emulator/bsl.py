"""Behavioural model of the MSP430F1611 ROM bootstrap loader (BSL) and of the Telos/Sky BSL entry.

The model follows TI's SLAU319 ("MSP430 Programming With the Bootloader", 1xx/2xx/4xx protocol) as a
host sees it on the wire, not the ROM code:

* UART 9600 baud, 8 data bits, even parity; the host syncs each command with 0x80, the BSL answers
  DATA_ACK 0x90. A frame is HDR 0x80, CMD, L1, L2 (L1 == L2, even, <= 250), AL, AH, LL, LH, data,
  CKL, CKH; the checksum is the inverted XOR of the frame's 16-bit little-endian words. A frame the
  BSL rejects (bad header, L1 != L2, bad checksum, unknown or locked command, failed write) is
  answered DATA_NAK 0xA0.
* The BSL starts locked. RX password (0x10, the 32 bytes at 0xFFE0-0xFFFF) and mass erase (0x18)
  work locked; everything else needs the password first. A wrong password is NAKed and the BSL
  stays locked (1xx BSLs do not erase on a wrong password; that is the 2xx BSL 2.x behaviour).
* Flash writes program bits 1 -> 0 only (new = old AND data) and are read back: a block that does not
  read back (flash not erased, BSL ROM, unimplemented memory) is NAKed.
* F1611 memory: information flash 0x1000-0x10FF (2 x 128 B segments), main flash 0x4000-0xFFFF
  (512 B segments), RAM 0x1100-0x38FF (2 KB mirrored at 0x0200-0x09FF), BSL ROM 0x0C00-0x0FFF with the
  device id 0xF16C at 0x0FF0 and the BSL version 1.60 at 0x0FFA (TX BSL version answers these 16 bytes).

The Telos (TelosB / Tmote Sky) drives RST/NMI and TCK through an ADG715 I2C switch whose SDA and SCL
are the USB UART's DTR and RTS (asserted line = low level). A set bit x in the switch's command byte
closes switch Sx and pulls its pin to ground: S0 -> RST/NMI, S1 -> TCK. The BSL starts when RST/NMI
rises while TCK is low after TCK fell at least twice while RST/NMI was low (SLAU319's entry sequence for
devices whose JTAG pins are shared: the TEST pattern, inverted, on TCK); RST/NMI rising otherwise is a
normal reset that runs the program in flash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

SYNC = 0x80
HDR = 0x80
DATA_ACK = 0x90
DATA_NAK = 0xA0

CMD_RX_PASSWORD = 0x10
CMD_RX_BLOCK = 0x12
CMD_TX_BLOCK = 0x14
CMD_ERASE_SEGMENT = 0x16
CMD_MASS_ERASE = 0x18
CMD_LOAD_PC = 0x1A
CMD_ERASE_CHECK = 0x1C
CMD_TX_VERSION = 0x1E
CMD_CHANGE_BAUD = 0x20
COMMAND_NAMES = {
    CMD_RX_PASSWORD: "RX password",
    CMD_RX_BLOCK: "RX data block",
    CMD_TX_BLOCK: "TX data block",
    CMD_ERASE_SEGMENT: "erase segment",
    CMD_MASS_ERASE: "mass erase",
    CMD_LOAD_PC: "load PC",
    CMD_ERASE_CHECK: "erase check",
    CMD_TX_VERSION: "TX BSL version",
    CMD_CHANGE_BAUD: "change baud rate",
}
UNPROTECTED = {CMD_RX_PASSWORD, CMD_MASS_ERASE}
MAX_FRAME_DATA = 250  # L1: bytes from AL to the last data byte
BAUD_RATES = {0: 9600, 1: 19200, 2: 38400}  # change baud rate, D3
FCTL_KEY = 0xA5
FCTL1_ERASE = 0x02
FCTL1_MERAS = 0x04

INFO_FLASH = range(0x1000, 0x1100)
MAIN_FLASH = range(0x4000, 0x10000)
RAM = range(0x1100, 0x3900)
RAM_MIRROR = range(0x0200, 0x0A00)
BSL_ROM = range(0x0C00, 0x1000)
PERIPHERALS = range(0x0000, 0x0200)
VECTORS = 0xFFE0
WDTCTL = 0x0120
WDTHOLD = 0x80
DEVICE_ID = 0xF16C
BSL_VERSION = 0x0160


def checksum(frame: bytes) -> int:
    """SLAU319 frame checksum: inverted XOR of the 16-bit little-endian words (CKL in the low byte)."""
    if len(frame) % 2:
        raise ValueError("a BSL frame has an even number of bytes before its checksum")
    acc = 0
    for i in range(0, len(frame), 2):
        acc ^= frame[i] | frame[i + 1] << 8
    return acc ^ 0xFFFF


def frame(cmd: int, address: int, length_field: int, data: bytes = b"") -> bytes:
    """A host -> BSL frame with its checksum (what a BSL client sends after the sync byte)."""
    body = bytes([address & 0xFF, address >> 8, length_field & 0xFF, length_field >> 8]) + data
    head = bytes([HDR, cmd, len(body), len(body)]) + body
    return head + checksum(head).to_bytes(2, "little")


def segment_of(address: int) -> range | None:
    """The flash segment that holds `address` (info: 128 B, main: 512 B), None outside flash."""
    if address in INFO_FLASH:
        start = address & ~0x7F
        return range(start, start + 128)
    if address in MAIN_FLASH:
        start = address & ~0x1FF
        return range(start, start + 512)
    return None


class Memory(Protocol):
    """The mote's 64 KB address space as the BSL sees it (harness.emulator.mote.Mote has these)."""

    def read_bytes(self, addr: int, n: int) -> bytes:
        """`n` bytes from `addr`."""
        ...

    def write_bytes(self, addr: int, data: bytes) -> None:
        """Store `data` from `addr`."""
        ...


def blank_flash(memory: Memory) -> None:
    """Erase every flash segment (a factory-fresh F1611) and put the BSL ROM's id bytes in place."""
    memory.write_bytes(INFO_FLASH.start, b"\xff" * len(INFO_FLASH))
    memory.write_bytes(MAIN_FLASH.start, b"\xff" * len(MAIN_FLASH))
    install_rom(memory)


def install_rom(memory: Memory) -> None:
    """The 16 bytes at 0x0FF0 the TX BSL version command returns: device id and BSL version."""
    rom = bytearray(b"\xff" * 16)
    rom[0:2] = DEVICE_ID.to_bytes(2, "big")
    rom[10:12] = BSL_VERSION.to_bytes(2, "big")
    memory.write_bytes(0x0FF0, bytes(rom))


@dataclass
class BslEvent:
    """Something the BSL did or refused, with the text a user reads."""

    kind: str  # "ack", "nak", "noise", "lost", "start", "baud"
    message: str


@dataclass
class BootstrapLoader:
    """The BSL of one mote: feed it the host's bytes, collect what it answers.

    `memory` is the mote's address space; `start_program(pc)` is called when the host ends the BSL
    (load PC, or a watchdog write that resets the chip; pc None = reset vector)."""

    memory: Memory
    start_program: Callable[[int | None], None] = lambda pc: None
    flash_changed: Callable[[], None] = lambda: None  # the program in flash is no longer the one loaded
    baud: int = 9600
    locked: bool = True
    events: list[BslEvent] = field(default_factory=list)
    on_event: Callable[[BslEvent], None] | None = None
    _synced: bool = False
    _frame: bytearray = field(default_factory=bytearray)
    _out: bytearray = field(default_factory=bytearray)
    blocks_written: int = 0

    # ------------------------------------------------------------------ host side
    def feed(self, data: bytes, baud: int = 9600, parity: str = "E", bytesize: int = 8) -> None:
        """Bytes from the host at its line settings; a mismatch garbles them (framing/parity errors)."""
        if (baud, parity, bytesize) != (self.baud, "E", 8):
            if data:
                self._event("noise", f"{len(data)} byte(s) at {baud} baud {bytesize}{parity} ignored: "
                            f"the BSL listens at {self.baud} baud 8E1")
            return
        for byte in data:
            self._byte(byte)

    def take_output(self) -> bytes:
        """Bytes the BSL sent since the last call."""
        out, self._out = bytes(self._out), bytearray()
        return out

    def host_lost(self) -> None:
        """The host went away (port closed or vanished): drop a partial frame, stay in the BSL."""
        if self._frame:
            cmd = self._frame[1] if len(self._frame) > 1 else None
            name = COMMAND_NAMES.get(cmd, f"command {cmd:#04x}") if cmd is not None else "a frame"
            want = self._frame_len() or 0
            self._event(
                "lost",
                f"host lost in the middle of {name} ({len(self._frame)} of {want or '?'} bytes): frame "
                f"dropped; flash keeps the {self.blocks_written} block(s) written before; the mote stays "
                f"in the bootstrap loader ({'locked' if self.locked else 'unlocked'})",
            )
        self._frame.clear()
        self._synced = False

    # ------------------------------------------------------------------ framing
    def _event(self, kind: str, message: str) -> None:
        ev = BslEvent(kind, message)
        self.events.append(ev)
        if self.on_event is not None:
            self.on_event(ev)

    def _frame_len(self) -> int | None:
        return 4 + self._frame[2] + 2 if len(self._frame) >= 3 else None

    def _byte(self, byte: int) -> None:
        if not self._synced:
            if byte == SYNC:
                self._synced = True
                self._out.append(DATA_ACK)
            return  # anything else before a sync is ignored, as the ROM BSL does
        self._frame.append(byte)
        f = self._frame
        if len(f) == 1 and byte != HDR:
            return self._reject(f"frame header {byte:#04x}, expected {HDR:#04x}")
        if len(f) == 4:
            if f[2] != f[3]:
                return self._reject(f"length bytes differ (L1={f[2]}, L2={f[3]})")
            if f[2] % 2 or f[2] < 4 or f[2] > MAX_FRAME_DATA:
                return self._reject(f"frame length {f[2]} (must be even, 4..{MAX_FRAME_DATA})")
        want = self._frame_len()
        if want is not None and len(f) == want:
            frame_bytes = bytes(f)
            f.clear()
            self._synced = False
            got = int.from_bytes(frame_bytes[-2:], "little")
            if checksum(frame_bytes[:-2]) != got:
                return self._nak(f"checksum error in {self._name(frame_bytes[1])} frame "
                                 f"(got {got:#06x}, computed {checksum(frame_bytes[:-2]):#06x})")
            self._command(frame_bytes[1], frame_bytes[4:-2])

    def _reject(self, why: str) -> None:
        self._frame.clear()
        self._synced = False
        self._nak(why)

    @staticmethod
    def _name(cmd: int) -> str:
        return COMMAND_NAMES.get(cmd, f"command {cmd:#04x}")

    def _nak(self, why: str) -> None:
        self._out.append(DATA_NAK)
        self._event("nak", why)

    def _ack(self, what: str) -> None:
        self._out.append(DATA_ACK)
        self._event("ack", what)

    def _respond(self, data: bytes, what: str) -> None:
        head = bytes([HDR, 0x00, len(data), len(data)]) + data
        self._out += head + checksum(head).to_bytes(2, "little")
        self._event("ack", what)

    # ------------------------------------------------------------------ commands
    def _command(self, cmd: int, body: bytes) -> None:
        a = body[0] | body[1] << 8
        length = body[2] | body[3] << 8
        data = body[4:]
        if cmd not in COMMAND_NAMES:
            return self._nak(f"unknown command {cmd:#04x}")
        if self.locked and cmd not in UNPROTECTED:
            return self._nak(f"{self._name(cmd)} refused: the BSL is locked (send the password first)")
        if cmd == CMD_RX_PASSWORD:
            vectors = self.memory.read_bytes(VECTORS, 32)
            if len(data) != 32 or data != vectors:
                self.locked = True
                return self._nak("wrong password (it is the 32 bytes of the interrupt vectors "
                                 "0xFFE0-0xFFFF); the BSL stays locked")
            self.locked = False
            return self._ack("password accepted: BSL unlocked")
        if cmd == CMD_MASS_ERASE:
            if length != (FCTL_KEY << 8 | FCTL1_MERAS | FCTL1_ERASE):
                return self._nak(f"mass erase with FCTL1 value {length:#06x} (expected 0xa506)")
            self._erase(INFO_FLASH)
            self._erase(MAIN_FLASH)
            return self._ack("mass erase: main and information flash erased")
        if cmd == CMD_ERASE_SEGMENT:
            return self._erase_cmd(a, length)
        if cmd == CMD_RX_BLOCK:
            return self._rx_block(a, data)
        if cmd == CMD_TX_BLOCK:
            if length % 2 or not 0 < length <= MAX_FRAME_DATA or a + length > 0x10000:
                return self._nak(f"TX data block of {length} bytes at {a:#06x}")
            return self._respond(self.memory.read_bytes(a, length), f"read {length} bytes at {a:#06x}")
        if cmd == CMD_TX_VERSION:
            return self._respond(self.memory.read_bytes(0x0FF0, 16), "BSL version sent")
        if cmd == CMD_ERASE_CHECK:
            if a + length > 0x10000 or self.memory.read_bytes(a, length) != b"\xff" * length:
                return self._nak(f"erase check: {a:#06x}+{length} is not erased")
            return self._ack(f"erase check {a:#06x}+{length}: erased")
        if cmd == CMD_CHANGE_BAUD:
            rate = BAUD_RATES.get(body[2])
            if rate is None:
                return self._nak(f"change baud rate: unknown rate index {body[2]}")
            self._ack(f"baud rate now {rate}")
            self.baud = rate
            self._event("baud", f"BSL now at {rate} baud")
            return None
        # load PC
        self._ack(f"load PC {a:#06x}: program starts")
        self._event("start", f"program started at {a:#06x} by load PC")
        self.start_program(a)
        return None

    def _erase(self, where: range) -> None:
        self.memory.write_bytes(where.start, b"\xff" * len(where))
        self.flash_changed()

    def _erase_cmd(self, a: int, fctl1: int) -> None:
        if fctl1 >> 8 != FCTL_KEY:
            return self._nak(f"erase with a bad flash key ({fctl1:#06x})")
        seg = segment_of(a)
        if seg is None:
            return self._nak(f"erase at {a:#06x}: not flash")
        if fctl1 & 0xFF == FCTL1_ERASE:
            self._erase(seg)
            return self._ack(f"segment {seg.start:#06x}-{seg.stop - 1:#06x} erased")
        if fctl1 & 0xFF == FCTL1_MERAS:
            self._erase(INFO_FLASH if a in INFO_FLASH else MAIN_FLASH)
            return self._ack(f"{'information' if a in INFO_FLASH else 'main'} flash erased")
        return self._nak(f"erase with FCTL1 value {fctl1:#06x}")

    def _rx_block(self, a: int, data: bytes) -> None:
        end = a + len(data)
        if a % 2 or not data or end > 0x10000:
            return self._nak(f"RX data block of {len(data)} bytes at {a:#06x} (word aligned, inside 64 KB)")
        if a <= WDTCTL < end and end - WDTCTL >= 2:
            value = data[WDTCTL - a] | data[WDTCTL - a + 1] << 8
            if value >> 8 != 0x5A or not value & WDTHOLD:
                # a wrong key resets at once; a running watchdog resets soon: either way the chip restarts
                self._ack(f"write {value:#06x} to WDTCTL: the watchdog resets the chip")
                self._event("start", "program started by a watchdog reset")
                self.start_program(None)
                return None
        if any(addr in INFO_FLASH or addr in MAIN_FLASH for addr in (a, end - 1)):
            self.flash_changed()
        for addr, byte in zip(range(a, end), data, strict=True):
            if not self._write(addr, byte):
                return self._nak(self._why_not(addr, byte))
        self.blocks_written += 1
        return self._ack(f"wrote {len(data)} bytes at {a:#06x}")

    def _write(self, addr: int, byte: int) -> bool:
        if addr in INFO_FLASH or addr in MAIN_FLASH:
            old = self.memory.read_bytes(addr, 1)[0]
            self.memory.write_bytes(addr, bytes([old & byte]))
            return old & byte == byte
        if addr in RAM:
            self.memory.write_bytes(addr, bytes([byte]))
            return True
        if addr in RAM_MIRROR:
            self.memory.write_bytes(RAM.start + addr - RAM_MIRROR.start, bytes([byte]))
            return True
        return addr in PERIPHERALS  # peripheral writes land (or not) without a read-back

    def _why_not(self, addr: int, byte: int) -> str:
        if addr in INFO_FLASH or addr in MAIN_FLASH:
            old = self.memory.read_bytes(addr, 1)[0]
            return (f"flash at {addr:#06x} reads {old:#04x} after writing {byte:#04x}: "
                    "not erased (erase before programming)")
        if addr in BSL_ROM:
            return f"write to the BSL ROM at {addr:#06x}"
        return (f"no memory at {addr:#06x} on the MSP430F1611 (flash 0x4000-0xFFFF and 0x1000-0x10FF, "
                "RAM 0x1100-0x38FF): the image does not fit")


class TelosBslSwitch:
    """The Telos ADG715 I2C switch on DTR (SDA) and RTS (SCL), decoded into RST/NMI and TCK levels.

    `on_pins(rst_high, tck_high)` is called after every command byte written to the switch."""

    ADDRESS_WRITE = 0x90

    def __init__(self, on_pins: Callable[[bool, bool], None]) -> None:
        self._on_pins = on_pins
        self._sda = True
        self._scl = True
        self._bits: list[int] = []
        self._bytes: list[int] = []
        self._active = False
        self.switches = 0  # power-on: every switch open
        self.commands: list[int] = []

    def set_lines(self, dtr: bool, rts: bool) -> None:
        """New DTR/RTS states of the USB UART (asserted = line driven low)."""
        sda, scl = not dtr, not rts
        if scl and self._scl and sda != self._sda:
            if not sda:  # SDA falls while SCL is high: START
                self._active, self._bits, self._bytes = True, [], []
            else:  # SDA rises while SCL is high: STOP
                self._active = False
        elif scl and not self._scl and self._active:  # SCL rising edge: sample SDA
            self._bits.append(int(sda))
            if len(self._bits) == 9:  # 8 data bits and the acknowledge clock
                value = 0
                for bit in self._bits[:8]:
                    value = value << 1 | bit
                self._bits = []
                self._bytes.append(value)
                if len(self._bytes) == 2 and self._bytes[0] == self.ADDRESS_WRITE:
                    self.switches = value
                    self.commands.append(value)
                    self._on_pins(not value & 1, not value & 2)
        self._sda, self._scl = sda, scl


class BslEntryDetector:
    """Tells a normal reset from the BSL entry sequence on RST/NMI and TCK.

    `on_reset(state)`: "held" (RST/NMI went low), "bsl" (entry sequence seen), "run" (normal reset)."""

    def __init__(self, on_reset: Callable[[str], None]) -> None:
        self._on_reset = on_reset
        self._rst = True
        self._tck = True
        self._tck_falls = 0

    def pins(self, rst_high: bool, tck_high: bool) -> None:
        """New levels of RST/NMI and TCK."""
        if not rst_high and self._rst:
            self._tck_falls = 0
            self._on_reset("held")
        elif not rst_high and not self._rst and self._tck and not tck_high:
            self._tck_falls += 1
        elif rst_high and not self._rst:
            enter = not tck_high and self._tck_falls >= 2
            self._on_reset("bsl" if enter else "run")
        self._rst, self._tck = rst_high, tck_high
