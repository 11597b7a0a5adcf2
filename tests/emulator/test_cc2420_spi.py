"""CC2420 model, SPI level: a hand-written MSP430 program talks to the radio over USART0 (no driver),
checking the protocol corners the firmware driver does not exercise."""

from __future__ import annotations

import subprocess
from pathlib import Path

from emu_helpers import CC2420_RX_ON, CC2420_SPI_ROUTINES, CC2420_SPI_SETUP
from requirements import require_tool

from harness.emulator.mote import lib
from harness.emulator.radio import Radio
from harness.wire.ieee802154 import with_fcs

# USART0: U0CTL 0x70, U0TCTL 0x71, U0MCTL 0x73, U0BR0 0x74, U0BR1 0x75, U0RXBUF 0x76, U0TXBUF 0x77;
# ME1 0x04 (USPIE0 0x40), IFG1 0x02 (URXIFG0 0x40); P4OUT 0x1D, P4DIR 0x1E (CSn 0x04, VREG 0x20, RESETn 0x40)
PROGRAM = """
        .text
        .globl _start
_start: mov #0x5a80, &0x0120
        mov #0x3900, r1
""" + CC2420_SPI_SETUP + """        mov #res, r10
        ; status before the oscillator, then SXOSCON
        call #cs_low
        mov.b #0x01, r12
        call #spi
        mov.b r12, 0(r10)
        call #cs_high
        call #wait
        call #cs_low
        mov.b #0x00, r12
        call #spi
        mov.b r12, 1(r10)           ; status: oscillator stable
        call #cs_high
        ; register read MANFIDL (0x1E): MSB then LSB
        call #cs_low
        mov.b #0x5e, r12
        call #spi
        mov.b #0, r12
        call #spi
        mov.b r12, 2(r10)
        mov.b #0, r12
        call #spi
        mov.b r12, 3(r10)
        call #cs_high
        ; RAM write 0x16A (bank 2, address 0x6A) = 34 12, read back
        call #cs_low
        mov.b #0xea, r12
        call #spi
        mov.b #0x80, r12
        call #spi
        mov.b #0x34, r12
        call #spi
        mov.b #0x12, r12
        call #spi
        call #cs_high
        call #cs_low
        mov.b #0xea, r12
        call #spi
        mov.b #0xa0, r12            ; bank 2, read
        call #spi
        mov.b #0, r12
        call #spi
        mov.b r12, 4(r10)
        mov.b #0, r12
        call #spi
        mov.b r12, 5(r10)
        call #cs_high
        ; TXFIFO: length 10 but only two data bytes, then STXON: underflow
        call #cs_low
        mov.b #0x3e, r12
        call #spi
        mov.b #10, r12
        call #spi
        mov.b #0xaa, r12
        call #spi
        mov.b #0xbb, r12
        call #spi
        mov.b #0x04, r12            ; STXON in the same transaction is a FIFO byte, not a strobe
        call #spi
        call #cs_high
        call #cs_low
        mov.b #0x04, r12            ; STXON
        call #spi
        call #cs_high
        call #wait
        call #cs_low
        mov.b #0x00, r12
        call #spi
        mov.b r12, 6(r10)           ; status after the failed transmission
        mov.b #0x09, r12            ; SFLUSHTX, then SNOP in the same transaction
        call #spi
        mov.b #0x00, r12
        call #spi
        mov.b r12, 7(r10)
        call #cs_high
        ; two strobes in one transaction: SRXON then SRFOFF -> idle
        call #cs_low
        mov.b #0x03, r12
        call #spi
        mov.b #0x06, r12
        call #spi
        call #cs_high
done:   jmp done

""" + CC2420_SPI_ROUTINES + """
        .data
res:    .fill 16, 1, 0xee
"""


def test_spi_protocol_registers_ram_underflow_and_strobes(asm_mote) -> None:
    mote = asm_mote(PROGRAM)
    radio = Radio(mote)
    assert mote.run_until_pc("done", 50_000_000).reason == "stop"
    res = mote.read_bytes(mote.symbol("res"), 8)
    assert res[0] & 0x40 == 0  # before SXOSCON: oscillator not running
    assert res[1] & 0x40  # XOSC16M_STABLE after the start-up time
    assert (res[2], res[3]) == (0x23, 0x3D)  # MANFIDL, MSB first
    assert (res[4], res[5]) == (0x34, 0x12) and radio.ram(0x16A, 2) == b"\x34\x12"
    assert res[6] & 0x20 and not res[6] & 0x08  # TX_UNDERFLOW, no longer TX_ACTIVE
    assert not res[7] & 0x20  # SFLUSHTX cleared it
    assert radio.stats()["tx_underflows"] == 1 and radio.transmitted == []
    assert radio.state == "idle"
    # the underflowed attempt: 12 symbols + SHR + length byte + the 3 bytes there were, then RX until SRFOFF
    expected = (192 + (5 + 1 + 3) * 32) * 1e-6 * mote.mclk_hz
    modes = radio.mode_cycles()
    assert abs(modes["transmit"] - expected) <= 3 and modes["listen"] > 0


DCO_PROGRAM = (
    PROGRAM.split("        mov #res, r10")[0]
    + CC2420_RX_ON
    + """rx_on:  mov #120, r15
3:      dec r15
        jnz 3b
        mov.b #0x87, &0x57          ; BCSCTL1: RSEL 7
        mov.b #0xe0, &0x56          ; DCOCTL: DCO 7 -> MCLK several times faster, mid-frame
done:   jmp done
"""
    + PROGRAM.split("done:   jmp done")[1]
)


def test_reception_timing_is_exact_across_a_dco_change(asm_mote) -> None:
    mote = asm_mote(DCO_PROGRAM)
    radio = Radio(mote)
    assert mote.run_until_pc("rx_on", 50_000_000).reason == "stop"
    assert radio.state == "rx_search" and radio.channel == 11
    slow_hz = mote.mclk_hz
    # broadcast data frame (address recognition is on after reset): FCF, seq, PAN, dst, 11 bytes
    psdu = with_fcs(bytes([0x41, 0x08, 7, 0xFF, 0xFF, 0xFF, 0xFF]) + bytes(range(11)))
    start = radio.now_ns + 50_000
    radio.receive(psdu, channel=11, start_ns=start, rssi_dbm=-40)
    end = start + (5 + 1 + len(psdu)) * 32_000
    arrived: dict[int, int] = {}  # RXFIFO count -> first time seen
    while radio.now_ns < end + 200_000:
        mote.run(4)
        arrived.setdefault(radio.rxfifo_count, radio.now_ns)
    assert mote.mclk_hz > 3 * slow_hz  # the DCO did change while the frame was on the air
    # every byte (length byte first) lands in the RXFIFO at SFD + 32 us x (k + 1), before and after the change
    sfd = start + 5 * 32_000
    late_ns = 4 * 1e9 / slow_hz + 2_000  # one polling step at the slow clock + an instruction
    for k in range(1 + len(psdu)):
        expected = sfd + 32_000 * (k + 1)
        assert expected <= arrived[k + 1] < expected + late_ns, (k, arrived[k + 1] - expected)
    assert radio.stats()["rx_frames"] == 1 and lib.cc2420_rxfifo_count(radio._r) == 1 + len(psdu)


def test_model_c_is_warning_free() -> None:
    cc = require_tool("gcc", "build-essential")
    csrc = Path(__file__).resolve().parents[2] / "harness" / "emulator" / "csrc"
    argv = [cc, "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-fsyntax-only", "-I", str(csrc)]
    proc = subprocess.run([*argv, str(csrc / "dev_cc2420.c")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
