"""CC2420 model, lazy RXFIFO: while the MCU sleeps, received bytes that change no pin get no event of
their own (dev_cc2420.c rx_lazy_plan) and are pushed when something looks. Whatever looks, and at
whatever cycle, must see exactly the bytes an event per byte would have pushed: the host between two
runs, an SPI transfer completing in the very cycle a byte arrives, the CPU waking mid-frame."""

from __future__ import annotations

import pytest
from emu_helpers import CC2420_RX_ON, CC2420_SPI_ROUTINES, CC2420_SPI_SETUP

from harness.emulator.mote import Mote, lib
from harness.emulator.radio import BYTE_NS, Radio
from harness.wire.ieee802154 import with_fcs

K = 20  # the received byte (RXFIFO slot, RAM 0x080 + K after a flush) the SPI read lands on
# broadcast data frame (address recognition is on after reset, decided after byte 7), 40 payload bytes
PSDU = with_fcs(bytes([0x41, 0x08, 7, 0xFF, 0xFF, 0xFF, 0xFF]) + bytes(range(0xA0, 0xC8)))
SHR_NS = 5 * BYTE_NS


def program(ubr: int) -> str:
    """Radio on (RX), then an SPI RAM read of RXFIFO slot K whose data byte is shifted while the CPU
    sleeps in LPM0 (UBR `ubr`: 8 x ubr SMCLK cycles); USART0's RX interrupt wakes it with the byte."""
    setup = CC2420_SPI_SETUP.replace("mov.b #2, &0x74", f"mov.b #{ubr}, &0x74")
    assert "mov.b #2, &0x74" in CC2420_SPI_SETUP
    return f"""
        .text
        .globl _start
_start: mov #0x5a80, &0x0120
        mov #0x3900, r1
{setup}{CC2420_RX_ON}rx_on:  call #wait                  ; time for the host to put a frame on the air
        call #cs_low
        mov.b #{0x80 | K}, r12      ; RAM access, address 0x080 + K: bank 1
        call #spi
        mov.b #0x60, r12            ; bank 1, read
        call #spi
        bis.b #0x40, &0x00          ; IE1.URXIE0
arm:    mov.b #0, &0x77
        bis #0x18, r2               ; LPM0 with GIE
        mov.b r13, &res
done:   jmp done
isr:    mov.b &0x76, r13
        bic #0x10, 0(r1)
        reti
{CC2420_SPI_ROUTINES}
        .data
res:    .byte 0xee
        .section .vectors,"ax"
        .word 0, 0, 0, 0, 0, 0, 0, 0, 0, isr, 0, 0, 0, 0, 0, _start
"""


def ns_of_cycle(mote: Mote, cycle: int) -> int:
    """The earliest time (ns) whose first cycle at or after it is `cycle`."""
    ns = lib.clk_cycle_to_ns(mote.ptr, cycle) - 1_000
    while lib.clk_cycle_at_ns(mote.ptr, ns) < cycle:
        ns += 1
    assert lib.clk_cycle_at_ns(mote.ptr, ns) == cycle
    return ns


def read_completion_cycle(asm_mote, ubr: int) -> int:
    """Cycle at which the SPI data byte completes (the ISR is entered 6 cycles after it, the CPU being
    asleep until then), from a run without a frame: the program's timing does not depend on one."""
    dry = asm_mote(program(ubr))
    Radio(dry)
    assert dry.run_until_pc("isr", 50_000_000).reason == "stop"
    return dry.now - 6


@pytest.mark.parametrize("ubr", [2, 60])
@pytest.mark.parametrize("shift", [-1, 0, 1])
def test_spi_read_landing_on_a_byte_arrival_sees_what_eager_bytes_do(asm_mote, ubr: int, shift: int) -> None:
    done = read_completion_cycle(asm_mote, ubr)
    mote = asm_mote(program(ubr))
    radio = Radio(mote)
    assert mote.run_until_pc("rx_on", 50_000_000).reason == "stop"
    # byte K arrives `shift` cycles after the SPI byte completes (0: in the same cycle)
    arrival_ns = ns_of_cycle(mote, done + shift)
    start = arrival_ns - (K + 1) * BYTE_NS - SHR_NS
    assert start >= radio.now_ns
    radio.receive(PSDU, channel=11, start_ns=start, rssi_dbm=-40)
    assert mote.run_until_pc("done", 50_000_000).reason == "stop"
    assert mote.now - 6 - 5 > done  # the ISR ran after the completion (accept 6 + reti 5 + ...)
    got = mote.read_bytes(mote.symbol("res"), 1)[0]
    # ubr 60: the CPU sleeps through ~20 byte times before the read completes (lazy bytes before it).
    # In one cycle, the event queued first fires first: byte K's (queued when byte K - 1 arrived)
    # before a short transfer's completion, a transfer longer than a byte time's before byte K.
    byte_first = shift < 0 or (shift == 0 and ubr == 2)
    assert got == (PSDU[K - 1] if byte_first else 0x00), (ubr, shift, hex(got))
    # the rest of the frame arrives as usual
    mote.run(20_000)
    assert radio.stats()["rx_frames"] == 1 and radio.rxfifo_count == 1 + len(PSDU)


@pytest.mark.parametrize("mid_frame", [False, True])
def test_host_sees_each_byte_from_its_arrival_cycle_while_the_cpu_sleeps(asm_mote, mid_frame: bool) -> None:
    """UBR 255: the CPU sleeps (LPM0) for ~2.7 ms, the whole frame long; mid_frame: it goes to sleep
    with 10 of the frame's bytes in (the bytes from there on go lazy at its SR write)."""
    mote = asm_mote(program(255))
    radio = Radio(mote)
    if mid_frame:
        assert mote.run_until_pc("rx_on", 50_000_000).reason == "stop"
        dry = asm_mote(program(255))
        Radio(dry)
        assert dry.run_until_pc("arm", 50_000_000).reason == "stop"
        sfd = lib.clk_cycle_to_ns(mote.ptr, dry.now) - 10 * BYTE_NS + 7_000
    else:
        assert mote.run_until_pc("arm", 50_000_000).reason == "stop"
        mote.run(10)
        assert lib.cc2420_rxfifo_count(radio._r) == 0 and radio.state == "rx_search"
        sfd = radio.now_ns + 300_000 + SHR_NS
    radio.receive(PSDU, channel=11, start_ns=sfd - SHR_NS, rssi_dbm=-40)
    if mid_frame:
        assert mote.run_until_pc("arm", 50_000_000).reason == "stop"
        mote.run(10)
        assert mote.reg(2) & 0x10 and radio.rxfifo_count == 10
    fifo = bytes([len(PSDU)]) + PSDU[:-2]  # length byte and MPDU (then RSSI and CRC-OK/correlation)
    for k in range(radio.rxfifo_count, 1 + len(PSDU)):
        at = lib.clk_cycle_at_ns(mote.ptr, sfd + (k + 1) * BYTE_NS)
        mote.run_until_cycle(at - 1)
        assert radio.rxfifo_count == k, (k, "early")
        assert radio.ram(0x080 + k) == b"\x00"  # not written yet
        mote.run_until_cycle(at)
        assert radio.rxfifo_count == k + 1, (k, "late")
        if k < len(fifo):
            assert radio.ram(0x080 + k) == fifo[k : k + 1], k
    assert radio.stats()["rx_frames"] == 1
    assert mote.reg(2) & 0x10  # still asleep: every byte above arrived while the CPU slept


def test_cpu_waking_mid_frame_in_a_byte_arrival_cycle(asm_mote) -> None:
    """A host-scheduled interrupt (USART0 RX line, not queued when the bytes were planned) wakes the CPU
    in the cycle byte 12 arrives: from then on the bytes get events again, with the same timing."""
    mote = asm_mote(program(255))
    radio = Radio(mote)
    assert mote.run_until_pc("arm", 50_000_000).reason == "stop"
    mote.run(10)
    sfd = radio.now_ns + 300_000 + SHR_NS
    radio.receive(PSDU, channel=11, start_ns=sfd - SHR_NS, rssi_dbm=-40)
    wake = lib.clk_cycle_at_ns(mote.ptr, sfd + 13 * BYTE_NS)  # byte 12's arrival
    mote.run_until_cycle(wake - 50)  # past byte 10: the bytes up to the frame's end are planned lazily
    lib.mote_schedule_irq(mote.ptr, 9, 1, wake)
    assert mote.run_until_pc("isr", 10_000).reason == "stop"
    assert mote.now == wake + 6 and radio.rxfifo_count == 13
    lib.mote_schedule_irq(mote.ptr, 9, 0, mote.now)
    for k in range(13, 1 + len(PSDU)):
        at = lib.clk_cycle_at_ns(mote.ptr, sfd + (k + 1) * BYTE_NS)
        mote.run_until_cycle(at - 1)
        assert radio.rxfifo_count == k, (k, "early")
        mote.run_until_cycle(at)
        assert radio.rxfifo_count == k + 1, (k, "late")
    assert radio.stats()["rx_frames"] == 1


def wake_program() -> str:
    """Radio on (RX), sleep in LPM0 until the host's interrupt (USART0 RX line), then pull RESETn low."""
    head = program(2).split("rx_on:")[0]
    return (
        head
        + """rx_on:  call #wait
        bis #0x18, r2               ; LPM0 with GIE until the host's interrupt
        nop
reset_it: bic.b #0x40, &0x1d        ; RESETn low: the radio resets (RXFIFO flushed, RAM kept)
done:   jmp done
isr:    bic #0x10, 0(r1)
        reti
"""
        + program(2).split("reti\n", 1)[1]
    )


def test_cpu_write_after_a_mid_frame_wake_sees_bytes_as_of_its_instruction(asm_mote) -> None:
    """The CPU woke mid-frame (the host raised an interrupt line: no event of the mote's queue, so bytes
    were planned past it); an instruction starting at cycle T writes RESETn low at T + 5 (its
    result write), and byte K arrives at T + 2: the byte's event would fire after that instruction,
    so the reset cancels it and RXFIFO slot K stays as it was (0) while slot K - 1 holds its byte."""
    dry = asm_mote(wake_program())
    Radio(dry)
    assert dry.run_until_pc("rx_on", 50_000_000).reason == "stop"
    wake = dry.now + 20_000  # past the `wait` loop: asleep
    dry.run_until_cycle(wake)
    dry.irq_set(9, True)  # no queued event: the lazy bytes may run up to the frame's end
    assert dry.run_until_pc("reset_it", 100_000).reason == "stop"
    t = dry.now
    mote = asm_mote(wake_program())
    radio = Radio(mote)
    assert mote.run_until_pc("rx_on", 50_000_000).reason == "stop"
    arrival_ns = ns_of_cycle(mote, t + 2)
    sfd = arrival_ns - (K + 1) * BYTE_NS
    assert lib.clk_cycle_at_ns(mote.ptr, sfd + 9 * BYTE_NS) < wake - 100  # asleep past byte 8: lazy bytes
    radio.receive(PSDU, channel=11, start_ns=sfd - SHR_NS, rssi_dbm=-40)
    mote.run_until_cycle(wake)
    mote.irq_set(9, True)
    assert mote.run_until_pc("reset_it", 100_000).reason == "stop"
    assert mote.now == t
    mote.step()
    assert radio.state == "power_down" and radio.rxfifo_count == 0
    fifo = bytes([len(PSDU)]) + PSDU[:-2]
    assert radio.ram(0x080 + K - 1) == fifo[K - 1 : K] and radio.ram(0x080 + K) == b"\x00"
