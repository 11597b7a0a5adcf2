"""The ccs firmware's durable PSK_DN store (infomem_write_identity, firmware/infomem): a reset at any point of
the journalled write leaves the old or the new identity. Each intermediate state of the information flash
the sequence can be cut in (journal in segment A torn or complete, segment B intact, erased, half written
or already new) is put into an emulated mote's flash, the mote boots, and segment B is read back and
decoded by harness/wire/infomem.py (independent of the C code)."""

from __future__ import annotations

import re

import pytest

from harness.build import build_app
from harness.wire.infomem import SEGMENT_A, SEGMENT_B, SEGMENT_SIZE, Identity

IK = bytes.fromhex("0f1e2d3c4b5a69788796a5b4c3d2e1f0")
PSK = bytes.fromhex("a1b2c3d4e5f60718293a4b5c6d7e8f90")
OLD = Identity(node_id=2, ik=IK).encode_segment_b()  # as provisioned: IK_d only
NEW = Identity(node_id=2, psk_dn=PSK, ik=IK).encode_segment_b()  # after bootstrapping
ERASED = b"\xff" * SEGMENT_SIZE
BOOT = rb"ccs: (SSM port 61617[^\n]*|no PSK_DN[^\n]*)\n"


@pytest.fixture(scope="module")
def ccs_elf():  # noqa: ANN201
    """The ccs firmware (built if stale)."""
    return build_app("ccs").elf


def boot(elf, seg_b: bytes, seg_a: bytes) -> tuple[bytes, bytes, str]:  # noqa: ANN001
    """Boot a mote with this information flash; (segment B, segment A, UART text) once ccs_secure_init ran."""
    pytest.importorskip("harness.emulator.mote", reason="the emulator extension is not built")
    from harness.emulator.mote import Mote

    mote = Mote(elf, node_id=2)
    mote.write_bytes(SEGMENT_B, seg_b)
    mote.write_bytes(SEGMENT_A, seg_a)
    mote.run_until_uart(BOOT, 40_000_000)
    text = mote.uart_text()
    assert re.search(BOOT.decode(), text), text
    seg_b_now = bytes(mote.read_bytes(SEGMENT_B, SEGMENT_SIZE))
    return seg_b_now, bytes(mote.read_bytes(SEGMENT_A, SEGMENT_SIZE)), text


@pytest.mark.parametrize(
    "seg_b",
    [OLD, ERASED, NEW[:64] + ERASED[64:], NEW],
    ids=["before-erase-of-B", "B-erased", "B-half-programmed", "B-done-A-not-yet-erased"],
)
def test_a_complete_journal_is_finished_at_boot(ccs_elf, seg_b: bytes) -> None:
    """Journal complete in segment A: whatever B holds, the boot finishes the write, then erases A."""
    b, a, text = boot(ccs_elf, seg_b, NEW)
    assert Identity.decode(b) == Identity(node_id=2, psk_dn=PSK, ik=IK)
    assert a == ERASED  # the new key starts with fresh counters
    assert "finished an interrupted identity write" in text
    assert "SSM port 61617" in text  # ESSE on with the stored PSK_DN


def test_a_torn_journal_leaves_the_old_identity(ccs_elf) -> None:
    """Reset while the journal was being programmed: not a valid image, so segment B (IK_d only) stays
    and the mote bootstraps again (a fresh RN_d; the controller never got a confirmation)."""
    b, _, text = boot(ccs_elf, OLD, NEW[:100] + ERASED[100:])
    assert b == OLD and Identity.decode(b).psk_dn is None
    assert "finished an interrupted" not in text and "no PSK_DN" in text
