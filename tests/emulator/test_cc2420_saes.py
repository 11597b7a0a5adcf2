"""CC2420 model: the stand-alone AES encryption (SAES) as the datasheet (SWRS041, section 21) defines it,
driven over SPI by a hand-written MSP430 program (no firmware driver): KEY0 at RAM 0x100, KEY1 at 0x130,
SABUF at 0x120, SECCTRL0.SEC_SAKEYSEL (bit 7) selects the key, the SAES strobe (0x0E) encrypts SABUF in
place, ENC_BUSY (status bit 4) for 14 us (Table 8), strobes while busy are ignored, a RAM write outputs
the bytes it overwrites. Security data is little-endian in RAM (least significant byte first over SPI):
the FIPS-197 byte 0 of a key or block sits at the highest address. Oracle: `cryptography`."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from emu_helpers import CC2420_SPI_ROUTINES, CC2420_SPI_SETUP
from requirements import require_tool

from harness.emulator.mote import ffi, lib
from harness.emulator.radio import Radio

SAES_NS = 14_000  # datasheet Table 8: stand-alone encryption of 16 bytes
SECCTRL0_RESET = 0x0384  # RXFIFO_PROTECTION | SEC_CBC_HEAD | SEC_SAKEYSEL | SEC_M = 1
SAKEYSEL = 0x0080

# RAM access: byte 1 = 0x80 | A6..A0, byte 2 = A8..A7 in bits 7..6, bit 5 = read. The routine `ram`
# moves r13 bytes between the buffer at r14 and the radio RAM (r12 = the two address bytes, high = first).
PROGRAM = """
        .text
        .globl _start
_start: mov #0x5a80, &0x0120
        mov #0x3900, r1
        mov.b #0x87, &0x57          ; BCSCTL1 RSEL 7, DCOCTL DCO 7: a fast MCLK, so the SPI bytes
        mov.b #0xe0, &0x56          ; (SMCLK/2) are short next to the 14 us of an encryption
""" + CC2420_SPI_SETUP + """        mov.b #0x01, r12            ; SXOSCON
        call #strobe
        call #wait
        ; the keys and the plaintext, as the host laid them out in this program's buffers
        mov #0x8080, r12            ; KEY0 = 0x100, write
        mov #key0, r14
        mov #16, r13
        call #ram
        mov #0xb080, r12            ; KEY1 = 0x130, write
        mov #key1, r14
        mov #16, r13
        call #ram
        mov #0xa080, r12            ; SABUF = 0x120, write
        mov #plain, r14
        mov #16, r13
        call #ram
        cmp #0, &secctrl            ; 0: keep SECCTRL0's reset value
        jeq 1f
        call #cs_low
        mov.b #0x19, r12            ; SECCTRL0 write, MSB first
        call #spi
        mov.b &secctrl+1, r12
        call #spi
        mov.b &secctrl, r12
        call #spi
        call #cs_high
1:      call #cs_low
        mov.b #0x0e, r12            ; SAES
        call #spi
strobed:
        mov.b #0x00, r12            ; SNOP in the same transaction: the status one byte later
        call #spi
        mov.b r12, &first_status
        call #cs_high
        clr r11                     ; SNOPs until ENC_BUSY clears
2:      inc r11
        mov.b #0x00, r12            ; SNOP: the status byte
        call #strobe
        bit.b #0x10, r12
        jnz 2b
        mov r11, &polls
        ; write the second plaintext: the write shifts out the ciphertext it overwrites
        mov #0xa080, r12
        mov #plain2, r14
        mov #16, r13
        call #ram_swap
        ; SAES twice in a row: the second comes while the engine is busy and is ignored
        call #cs_low
        mov.b #0x0e, r12
        call #spi
        mov.b #0x0e, r12
        call #spi
        call #cs_high
4:      call #cs_low
        mov.b #0x00, r12
        call #spi
        call #cs_high
        bit.b #0x10, r12
        jnz 4b
        mov #0xa0a0, r12            ; SABUF, read
        mov #cipher2, r14
        mov #16, r13
        call #ram
done:   jmp done

; r12 = address bytes (first in the high byte), r14 = buffer, r13 = count: write (bit 5 of the
; second byte clear) sends the buffer, read (set) fills it
ram:    push r12
        call #cs_low
        swpb r12
        call #spi
        pop r12
        push r12
        call #spi
        pop r12
        bit #0x20, r12
        jnz 6f
5:      mov.b @r14+, r12
        call #spi
        dec r13
        jnz 5b
        jmp 7f
6:      mov.b #0, r12
        call #spi
        mov.b r12, 0(r14)
        inc r14
        dec r13
        jnz 6b
7:      call #cs_high
        ret

; a RAM write that also keeps what SO shifts out (the old bytes) in `swapped`
ram_swap:
        push r12
        call #cs_low
        swpb r12
        call #spi
        pop r12
        call #spi
        mov #swapped, r15
8:      mov.b @r14+, r12
        push r15
        call #spi
        pop r15
        mov.b r12, 0(r15)
        inc r15
        dec r13
        jnz 8b
        call #cs_high
        ret

""" + CC2420_SPI_ROUTINES + """
        .data
secctrl: .word 0
polls:  .word 0
first_status: .byte 0
        .byte 0
key0:   .fill 16, 1, 0
key1:   .fill 16, 1, 0
plain:  .fill 16, 1, 0
plain2: .fill 16, 1, 0
swapped: .fill 16, 1, 0
cipher2: .fill 16, 1, 0
"""


def aes(key: bytes, block: bytes) -> bytes:
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return enc.update(block) + enc.finalize()


def run_program(asm_mote, secctrl: int, key0: bytes, key1: bytes, plain: bytes, plain2: bytes):
    """The mote and its radio after the program loaded the inputs in RAM order (reversed) and ran."""
    mote = asm_mote(PROGRAM)
    radio = Radio(mote)
    for name, value in (("key0", key0), ("key1", key1), ("plain", plain), ("plain2", plain2)):
        mote.write_bytes(mote.symbol(name), value[::-1])  # FIPS-197 byte 0 at the highest address
    mote.write16(mote.symbol("secctrl"), secctrl)
    assert mote.run_until_pc("done", 50_000_000).reason == "stop"
    return mote, radio


@pytest.mark.parametrize("secctrl", [0, SECCTRL0_RESET & ~SAKEYSEL, SECCTRL0_RESET],
                         ids=["reset-value-selects-key1", "sakeysel0-key0", "sakeysel1-key1"])
def test_saes_encrypts_sabuf_in_place_with_the_selected_key(asm_mote, secctrl) -> None:
    rng = random.Random(f"saes-{secctrl}")
    key0, key1, plain, plain2 = (rng.randbytes(16) for _ in range(4))
    mote, radio = run_program(asm_mote, secctrl, key0, key1, plain, plain2)
    assert radio.reg(0x19) == (secctrl or SECCTRL0_RESET)
    key = key0 if secctrl and not secctrl & SAKEYSEL else key1
    # the key RAM holds what the program wrote, in SPI order
    assert radio.ram(0x100, 16) == key0[::-1] and radio.ram(0x130, 16) == key1[::-1]
    # the first ciphertext came out of the write of the second plaintext, least significant byte first
    swapped = mote.read_bytes(mote.symbol("swapped"), 16)
    assert swapped[::-1] == aes(key, plain)
    cipher2 = mote.read_bytes(mote.symbol("cipher2"), 16)
    assert cipher2[::-1] == aes(key, plain2)  # encrypted once: the strobe during ENC_BUSY was ignored
    assert radio.ram(0x120, 16) == cipher2
    stats = radio.stats()
    assert stats["saes_blocks"] == 2 and stats["saes_ignored"] == 1
    status = mote.read8(mote.symbol("first_status"))
    assert status & 0x10 and status & 0x40  # ENC_BUSY right after the strobe, oscillator running


def test_fips197_appendix_c1_through_the_radio_ram(asm_mote) -> None:
    key = bytes.fromhex("000102030405060708090a0b0c0d0e0f")
    plain = bytes.fromhex("00112233445566778899aabbccddeeff")
    mote, radio = run_program(asm_mote, SECCTRL0_RESET & ~SAKEYSEL, key, bytes(16), plain, plain)
    expected = bytes.fromhex("69c4e0d86a7b0430d8cdb78070b4c55a")
    assert mote.read_bytes(mote.symbol("swapped"), 16) == expected[::-1]
    assert radio.ram(0x120, 16) == expected[::-1]


def test_enc_busy_lasts_the_datasheet_time(asm_mote) -> None:
    mote = asm_mote(PROGRAM)
    radio = Radio(mote)
    assert mote.run_until_pc("strobed", 50_000_000).reason == "stop"
    # the strobe took effect when its last bit went in, a few instructions before this point
    t0 = radio.now_ns
    assert radio.status["enc_busy"]
    step_ns = 1e9 / mote.mclk_hz
    while radio.status["enc_busy"]:
        mote.step()
        assert radio.now_ns - t0 < 2 * SAES_NS, "ENC_BUSY never cleared"
    busy_ns = radio.now_ns - t0
    # t0 is the return from spi after the strobe; the end shows at the next instruction boundary
    assert SAES_NS - 12 * step_ns <= busy_ns <= SAES_NS + 6 * step_ns
    # the driver's polling saw it busy at least once and then done
    assert mote.run_until_pc("done", 50_000_000).reason == "stop"
    assert mote.read16(mote.symbol("polls")) >= 1


def test_saes_needs_the_oscillator_and_enc_resetn(asm_mote) -> None:
    """Before SXOSCON the strobe is ignored; with MAIN.ENC_RESETN low too; a reset pulse aborts it."""
    program = PROGRAM.replace("""        mov.b #0x01, r12            ; SXOSCON
        call #strobe
        call #wait
""", """        mov.b #0x0e, r12            ; SAES with the oscillator off
        call #strobe
        mov.b #0x01, r12            ; SXOSCON
        call #strobe
        call #wait
        call #cs_low
        mov.b #0x10, r12            ; MAIN = 0xB800: ENC_RESETN low
        call #spi
        mov.b #0xb8, r12
        call #spi
        mov.b #0x00, r12
        call #spi
        mov.b #0x0e, r12            ; SAES (same transaction): ignored
        call #spi
        mov.b #0x10, r12            ; MAIN = 0xF800 again
        call #spi
        mov.b #0xf8, r12
        call #spi
        mov.b #0x00, r12
        call #spi
        call #cs_high
""")
    program = program.replace("strobed:\n", """strobed:
        bic.b #0x40, &0x1d          ; RESETn pulse mid-encryption: the engine stops
        bis.b #0x40, &0x1d
pulsed:
""")
    mote = asm_mote(program)
    radio = Radio(mote)
    assert mote.run_until_pc("strobed", 50_000_000).reason == "stop"
    assert radio.stats()["saes_ignored"] == 2 and radio.status["enc_busy"]
    assert mote.run_until_pc("pulsed", 1000).reason == "stop"
    assert not radio.status["enc_busy"]
    mote.run(int(2 * SAES_NS * mote.mclk_hz / 1e9))
    assert radio.stats()["saes_blocks"] == 0


def test_c_cipher_matches_cryptography_on_random_vectors() -> None:
    rng = random.Random(3610)
    out = ffi.new("uint8_t[16]")
    for _ in range(200):
        key, block = rng.randbytes(16), rng.randbytes(16)
        lib.cc2420_aes128_encrypt(key, block, out)
        assert bytes(out) == aes(key, block), (key.hex(), block.hex())


def test_saes_sources_are_warning_free() -> None:
    cc = require_tool("gcc", "build-essential")
    csrc = Path(__file__).resolve().parents[2] / "harness" / "emulator" / "csrc"
    argv = [cc, "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-fsyntax-only", "-I", str(csrc)]
    for name in ("dev_cc2420.c", "dev_cc2420_aes.c"):
        proc = subprocess.run([*argv, str(csrc / name)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
