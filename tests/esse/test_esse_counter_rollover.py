"""The durable counters survive a reset at every instruction of a log roll-over.

firmware/apps/emutest_counters writes growing counter states through firmware/infomem forever and
records in RAM the last state whose write returned (what the CCS may have acknowledged). A reference
run steps it instruction by instruction and finds each segment erase (a roll-over); then, for every
instruction boundary from just before the erase until the state written after it is acknowledged, a
fresh mote runs to that boundary, is reset (power loss, watchdog) and boots again: the counters it
reads back must be at least the last acknowledged state. The emulator erases a segment at the start
of the erase and holds the CPU (which executes from flash) until the controller's 4819 timing-
generator cycles have passed (harness/emulator/csrc/periph_flash.c), so a reset N cycles into the
erase lands on the instruction boundary after it: instruction granularity covers every N."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.build import build_app
from harness.build.provision import provision_elf
from harness.emulator.mote import Mote
from harness.wire.infomem import SEGMENT_A, SEGMENT_B, SEGMENT_SIZE, Identity, crc16_ccitt

BANK_M, BANK_M_SIZE = 0xFC00, 512  # firmware/infomem/infomem.h INFOMEM_BANK_M
BOOT = re.compile(rb"boot rx (\d+) tx (\d+) left (\d+) key (\d+)\n")
# roll-overs: A (12 entries) full -> bank M erased; M (51) full -> A erased; A full -> M erased again
ROLLS = 3
WRITES = 12 + 51 + 12 + 2


def acked(mote: Mote) -> tuple[int, int]:
    """The last (rx_counter, tx_mark) whose write returned, from the firmware's RAM."""
    raw = mote.read_bytes(mote.symbol("emutest_acked"), 8)
    return int.from_bytes(raw[:4], "little"), int.from_bytes(raw[4:], "little")


def erases(mote: Mote) -> int:
    """Segment erases the firmware did since reset (infomem_stats())."""
    return mote.read16(mote.read16(mote.symbol("emutest_stats")) + 2)


def booted(elf: Path) -> Mote:
    """A mote with the erased image, past its first boot line."""
    mote = Mote(elf)
    assert mote.run_until_uart(BOOT, 20_000_000).reason == "uart", mote.uart_text()
    return mote


def roll_windows(elf: Path) -> list[list[int]]:
    """For each roll-over: the cycle counts of the instruction boundaries from shortly before its
    erase until the state written after it is acknowledged."""
    mote = booted(elf)
    boundaries: list[int] = []
    windows: list[list[int]] = []
    seen, start, ack_before = 0, -1, (0, 0)
    while len(windows) < ROLLS:
        assert acked(mote)[0] <= WRITES, "fewer roll-overs than the log layout promises"
        boundaries.append(mote.now)
        a = acked(mote)
        mote.step()
        if start < 0 and erases(mote) > seen:
            seen = erases(mote)
            start, ack_before = len(boundaries) - 1, a
        elif start >= 0 and acked(mote) != ack_before:
            windows.append(boundaries[max(0, start - 40) :] + [mote.now])
            start = -1
        if start < 0 and len(boundaries) > 64:
            del boundaries[:-64]
    return windows


def reset_at(elf: Path, cycle: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """Run a fresh mote to `cycle`, reset it: (acknowledged before, counters read back after)."""
    mote = booted(elf)
    mote.run_until_cycle(cycle)
    before = acked(mote)
    assert mote.read16(mote.symbol("emutest_failures")) == 0
    mote.reset()
    twice = re.compile(BOOT.pattern + rb"(?s:.*)" + BOOT.pattern)
    run = mote.run_until_uart(twice, 20_000_000)
    assert run.reason == "uart" and run.match is not None, mote.uart_text()
    rx, tx = (int(g) for g in run.match.groups()[4:6])
    return before, (rx, tx)


@pytest.fixture(scope="module")
def elf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test firmware, built into the test's own directory."""
    return build_app("emutest_counters", build_root=tmp_path_factory.mktemp("build")).elf


def test_a_reset_anywhere_in_a_roll_over_keeps_the_acknowledged_counters(elf: Path) -> None:
    windows = roll_windows(elf)
    assert len(windows) == ROLLS
    for window in windows:
        assert len(window) > 50  # the erase, five word writes, the read-back
        for cycle in window:
            (ack_rx, ack_tx), (rx, tx) = reset_at(elf, cycle)
            assert rx >= ack_rx and tx >= ack_tx, (
                f"reset at cycle {cycle}: acknowledged rx {ack_rx} tx {ack_tx}, read back rx {rx} tx {tx}"
            )
            # nothing beyond the write in flight: the state is what was written, not made up
            assert rx <= ack_rx + 1 and tx <= ack_tx + 4, (cycle, ack_rx, ack_tx, rx, tx)


# ---- the ccs firmware reading both banks (and the identity journal clearing them) ----

PSK = bytes.fromhex("00112233445566778899aabbccddeeff")
NEW_PSK = bytes.fromhex("a1b2c3d4e5f60718293a4b5c6d7e8f90")
CCS_BOOT = re.compile(rb"ccs: SSM port 61617, counters rx (\d+) tx (\d+),")


def entry(rx: int, mark: int) -> bytes:
    """One log entry in the layout of firmware/infomem/infomem.h, encoded independently."""
    body = rx.to_bytes(4, "little") + mark.to_bytes(4, "little")
    return body + crc16_ccitt(body).to_bytes(2, "little")


def bank(entries: bytes, size: int) -> bytes:
    """A bank image: the entries, then erased bytes."""
    return entries + b"\xff" * (size - len(entries))


def ccs_boot(elf: Path, seg_a: bytes, bank_m: bytes, seg_b: bytes | None = None) -> tuple[Mote, int, int]:
    """Boot the provisioned ccs with these banks: (mote, rx counter, tx mark) it printed."""
    mote = Mote(elf, node_id=2)
    if seg_b is not None:
        mote.write_bytes(SEGMENT_B, seg_b)
    mote.write_bytes(SEGMENT_A, seg_a)
    mote.write_bytes(BANK_M, bank_m)
    run = mote.run_until_uart(CCS_BOOT, 40_000_000)
    assert run.reason == "uart" and run.match is not None, mote.uart_text()
    return mote, int(run.match.group(1)), int(run.match.group(2))


@pytest.fixture(scope="module")
def ccs_elf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ccs firmware provisioned with node 2 and a PSK_DN."""
    return provision_elf(
        build_app("ccs").elf, Identity(node_id=2, psk_dn=PSK), tmp_path_factory.mktemp("p") / "c.sky"
    )


def test_the_ccs_reads_the_newest_state_of_either_bank(ccs_elf: Path) -> None:
    full_a = bank(b"".join(entry(i, 64 * i) for i in range(1, 13)), SEGMENT_SIZE)
    # A full and older, M in use: the state is M's newest entry, a torn last one passed over
    m = bank(entry(13, 832) + entry(14, 896) + entry(15, 960)[:8] + b"\0\0", BANK_M_SIZE)
    assert ccs_boot(ccs_elf, full_a, m)[1:] == (14, 896)
    # the roll into M cut after its erase (M erased) or in its entry 0 (torn): A still holds the state
    assert ccs_boot(ccs_elf, full_a, bank(b"", BANK_M_SIZE))[1:] == (12, 768)
    assert ccs_boot(ccs_elf, full_a, bank(entry(13, 832)[:6] + b"\0" * 4, BANK_M_SIZE))[1:] == (12, 768)
    # M full, the roll back into A cut after A's erase: M holds the state
    full_m = bank(b"".join(entry(i, 64 * i) for i in range(13, 64)), BANK_M_SIZE)
    assert ccs_boot(ccs_elf, bank(b"", SEGMENT_SIZE), full_m)[1:] == (63, 63 * 64)


def test_a_finished_identity_journal_clears_both_banks(ccs_elf: Path) -> None:
    """The journal of a new identity (new PSK_DN) is complete in segment A: the boot finishes it and the
    new key starts with fresh counters, the old key's counters in bank M erased too."""
    new = Identity(node_id=2, psk_dn=NEW_PSK).encode_segment_b()
    old_m = bank(entry(40, 2560), BANK_M_SIZE)
    mote, rx, tx = ccs_boot(ccs_elf, new, old_m)
    assert (rx, tx) == (0, 0)
    assert mote.read_bytes(BANK_M, BANK_M_SIZE) == b"\xff" * BANK_M_SIZE
    assert Identity.decode(mote.read_bytes(SEGMENT_B, SEGMENT_SIZE)).psk_dn == NEW_PSK


def test_a_torn_identity_journal_keeps_the_old_keys_counters_in_bank_m(ccs_elf: Path) -> None:
    """A reset while the journal was programmed into segment A: the old identity stays, and its
    counters (copied into bank M before the journal overwrote A) are read back."""
    new = Identity(node_id=2, psk_dn=NEW_PSK).encode_segment_b()
    torn = new[:70] + b"\xff" * (SEGMENT_SIZE - 70)
    mote, rx, tx = ccs_boot(ccs_elf, torn, bank(entry(40, 2560), BANK_M_SIZE))
    assert (rx, tx) == (40, 2560)
    assert Identity.decode(mote.read_bytes(SEGMENT_B, SEGMENT_SIZE)).psk_dn == PSK


def flash_states(mote: Mote, steps_max: int) -> list[int]:
    """Step until `emutest_rekeyed`; the instruction boundaries right after each change of the
    information flash or bank M (a reset between two flash operations finds the flash as after the
    first, so these boundaries cover every state a reset can leave), with the first boundary."""

    def image() -> bytes:
        return mote.read_bytes(SEGMENT_B, 2 * SEGMENT_SIZE) + mote.read_bytes(BANK_M, BANK_M_SIZE)

    points, last = [mote.now], image()
    for _ in range(steps_max):
        if mote.read8(mote.symbol("emutest_rekeyed")):
            return points
        mote.step()
        now = image()
        if now != last:
            points.append(mote.now)
            last = now
    raise AssertionError("infomem_write_identity did not return")


@pytest.mark.parametrize("after", [5, 20], ids=["newest-state-in-A", "newest-state-in-M"])
def test_a_reset_anywhere_in_an_identity_write_keeps_the_old_keys_counters(
    tmp_path: Path, elf: Path, after: int
) -> None:
    """A new identity (new PSK_DN) written while the old key's counters are in use: a reset at any
    point boots either the old key with its counters at least the acknowledged ones, or the new key
    (fresh counters); once infomem_write_identity returned, always the new key."""
    prov = provision_elf(elf, Identity(node_id=2, psk_dn=PSK), tmp_path / "e.sky")

    def started() -> Mote:
        mote = booted(prov)
        mote.write8(mote.symbol("emutest_rekey_after"), after)
        return mote

    ref = started()
    while acked(ref)[0] < after:  # up to the write before the identity write
        ref.step()
    points = flash_states(ref, 2_000_000)
    assert len(points) > 20  # the journal and segment B word by word (0xFFFF words change nothing)
    for cycle in points + [ref.now]:
        mote = started()
        mote.run_until_cycle(cycle)
        ack, rekeyed = acked(mote), mote.read8(mote.symbol("emutest_rekeyed"))
        mote.reset()
        run = mote.run_until_uart(re.compile(BOOT.pattern + rb"(?s:.*)" + BOOT.pattern), 20_000_000)
        assert run.reason == "uart" and run.match is not None, mote.uart_text()
        rx, tx, key = (int(run.match.group(i)) for i in (5, 6, 8))
        assert key in (PSK[0], PSK[0] ^ 0x5A), key
        if key == PSK[0]:
            assert not rekeyed, f"reset at cycle {cycle}: the identity write had returned, old key back"
            assert rx >= ack[0] and tx >= ack[1], f"reset at cycle {cycle}: old key, {ack} -> {(rx, tx)}"
