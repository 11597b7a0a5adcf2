"""The emulator's host API refuses what would corrupt it (issue 9, item 8): memory accesses beyond
0xFFFF, a second CC2420 or simulation bookkeeping on one mote, registrations into full or taken
slots (checked in C: periph_c/test_registration.c), and serial output lost to a full buffer."""

from __future__ import annotations

import pytest
from emu_helpers import uart1_elf, uart_flood_source
from test_periph_c import DRIVER, build_driver

from harness.emulator.mote import Mote, ffi, lib
from harness.emulator.radio import Radio
from harness.emulator.simmote import SkySimMote
from harness.proc import run
from harness.target import SerialOverflow

REGISTRATION_DRIVER = DRIVER.parent / "test_registration.c"


def test_registration_functions_fail_loudly_in_c() -> None:
    result = run([build_driver(REGISTRATION_DRIVER)], check=False, timeout=120)
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 failures" in result.stdout


def test_memory_access_beyond_0xffff_raises_and_leaves_the_emulator_intact() -> None:
    m = Mote()
    vectors = bytes(range(14)) + b"\x00\x40"  # the last 16 bytes, reset vector -> 0x4000: fine
    m.write_bytes(0x4000, b"\xff\x3f")  # jmp $
    m.write_bytes(0xFFF0, vectors)
    assert m.read_bytes(0xFFF0, 16) == vectors
    for addr, n in ((0xFFFC, 16), (0x10000, 1), (-1, 2)):
        with pytest.raises(ValueError, match="outside the address space"):
            m.write_bytes(addr, bytes(n))
        with pytest.raises(ValueError, match="outside the address space"):
            m.read_bytes(addr, n)
    for fn in (m.read8, m.read16):
        with pytest.raises(ValueError):
            fn(0x10000)
    with pytest.raises(ValueError):
        m.write16(0x1_0000, 1)
    assert m.read_bytes(0xFFF0, 16) == vectors  # nothing written by the refused calls
    m.reset()
    m.run(1000)  # the I/O hook table after the memory is untouched: the core still runs
    assert m.pc == 0x4000


def test_a_second_cc2420_on_one_mote_is_refused() -> None:
    m = Mote()
    Radio(m)
    radio_exists = "cc2420_attach failed: mote_component_register: a component \"radio\" exists already"
    with pytest.raises(RuntimeError, match=radio_exists):
        Radio(m)
    assert m.components().count("radio") == 1


def test_second_simulation_bookkeeping_and_duplicate_group_member_are_refused() -> None:
    m = Mote()
    first = lib.simm_attach(m.ptr)
    assert first != ffi.NULL
    assert lib.simm_attach(m.ptr) == ffi.NULL
    assert "USART1 already has a TX listener" in ffi.string(lib.mote_setup_error()).decode()
    g = lib.simg_create(192_000)
    assert lib.simg_add(g, first) == 0
    assert lib.simg_add(g, first) == -1
    assert "already a member" in ffi.string(lib.mote_setup_error()).decode()
    lib.simg_free(g)
    lib.simm_free(first)


def test_serial_output_lost_to_a_full_buffer_raises() -> None:
    elf = uart1_elf(uart_flood_source)
    m = Mote(elf)
    m.run_for(0.5)  # ~5700 bytes at 115200 baud: within the core's 8 KB buffer
    out = m.read_serial()
    assert len(out) > 5000 and set(out) == {0x41}
    m.run_for(1.0)  # ~11500 more without draining: the buffer overflows
    with pytest.raises(SerialOverflow, match=r"UART1: \d+ byte\(s\) of serial output lost"):
        m.read_serial()
    assert len(m.read_serial()) == 8192  # what the buffer kept; the loss was reported once

    sim = SkySimMote(elf, mote_id=3, with_radio=False)
    sim.run_until(200_000)
    assert len(sim.drain_uart_tx()) > 2000
    sim.run_until(800_000)  # ~6900 bytes, more than the 4096 the simulation keeps between takes
    with pytest.raises(SerialOverflow, match="mote 3: .* UART1 output lost"):
        sim.drain_uart_tx()
    assert len(sim.drain_uart_tx()) == 4096


def test_serial_input_beyond_the_receive_queue_raises() -> None:
    m = Mote(uart1_elf(uart_flood_source))
    m.write_serial(b"x" * 4096)
    with pytest.raises(SerialOverflow, match="UART1 receive queue full: 1 of 1 byte"):
        m.write_serial(b"y")
