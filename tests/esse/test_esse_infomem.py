"""The identity and the counters in the MSP430F1611's information flash: build provisioning writes
segment B into the ELF's `.infomem` section (its own PT_LOAD segment at 0x1000), the ccs firmware reads
it with the CRC check, and reads segment A's counter log written by the layout of
firmware/infomem/infomem.h (encoded here independently)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from elftools.elf.elffile import ELFFile

from harness.build import build_app
from harness.build.provision import ProvisionError, provision_elf, read_identity
from harness.wire.infomem import INFO_START, SEGMENT_A, Identity, crc16_ccitt
from tests.esse.esse_fixtures import LOG_ENTRIES, LOG_ENTRY, counter_log

PSK = bytes.fromhex("00112233445566778899aabbccddeeff")
BOOT = rb"ccs: (SSM port 61617, counters rx \d+ tx \d+|no PSK_DN[^\n]*)"


def log_entry(rx: int, mark: int) -> bytes:
    body = rx.to_bytes(4, "little") + mark.to_bytes(4, "little")
    return body + crc16_ccitt(body).to_bytes(2, "little")


@pytest.fixture(scope="module")
def ccs_elf():
    return build_app("ccs").elf


def boot_line(elf, segment_a: bytes | None = None) -> bytes:  # noqa: ANN001
    pytest.importorskip("harness.emulator.mote", reason="the emulator extension is not built")
    from harness.emulator.mote import Mote

    mote = Mote(elf, node_id=2)
    if segment_a is not None:
        mote.write_bytes(SEGMENT_A, segment_a)
    mote.run_until_uart(BOOT + rb"[^\n]*\n", 40_000_000)
    m = re.search(BOOT, mote.uart_output())
    assert m, mote.uart_text()
    return m.group(0)


def test_provisioned_elf_carries_the_identity_in_a_load_segment(ccs_elf, tmp_path):
    out = provision_elf(ccs_elf, Identity(node_id=7, psk_dn=PSK), tmp_path / "ccs-7.sky")
    assert read_identity(out) == Identity(node_id=7, psk_dn=PSK)
    with open(out, "rb") as f:
        segs = [
            s for s in ELFFile(f).iter_segments() if s["p_type"] == "PT_LOAD" and s["p_paddr"] == INFO_START
        ]
        assert len(segs) == 1 and segs[0]["p_filesz"] == 256
        assert segs[0].data() == Identity(node_id=7, psk_dn=PSK).encode()
    assert out.with_suffix(".hex").read_text().count(":") > 10  # Intel HEX for a flasher


def test_firmware_reads_identity_and_counters(ccs_elf, tmp_path):
    assert b"no PSK_DN" in boot_line(ccs_elf)  # the unprovisioned image: DTLS off, plain CoAP only
    elf = provision_elf(ccs_elf, Identity(node_id=2, psk_dn=PSK), tmp_path / "ccs-2.sky")
    assert boot_line(elf) == b"ccs: SSM port 61617, counters rx 0 tx 0"
    # a log with a torn last entry (bad CRC): the firmware keeps the last good one
    log = log_entry(5, 65) + log_entry(9, 130) + log_entry(12, 195)[:8] + b"\x00\x00"
    seg_a = log + b"\xff" * (128 - len(log))
    assert counter_log(seg_a) == (9, 130, 3)
    assert boot_line(elf, seg_a) == b"ccs: SSM port 61617, counters rx 9 tx 130"
    full = b"".join(log_entry(i, 64 * i) for i in range(1, LOG_ENTRIES + 1))
    assert boot_line(elf, full + b"\xff" * (128 - LOG_ENTRY * LOG_ENTRIES)).endswith(b"rx 12 tx 768")


def test_a_corrupted_identity_is_refused(ccs_elf, tmp_path):
    elf = provision_elf(ccs_elf, Identity(node_id=2, psk_dn=PSK), tmp_path / "ccs-2.sky")
    from harness.build.provision import infomem_offset

    offset, _ = infomem_offset(elf)
    data = bytearray(elf.read_bytes())
    data[offset + 9] ^= 1  # one PSK_DN bit: the CRC no longer holds
    elf.write_bytes(bytes(data))
    assert boot_line(elf) == b"ccs: no PSK_DN in information flash (-3): DTLS off"


def test_provisioning_errors_are_clear(tmp_path):
    hello = build_app("hello").elf
    with pytest.raises(ProvisionError, match="no .infomem section"):
        provision_elf(hello, Identity(psk_dn=PSK), tmp_path / "x.sky")
    res = subprocess.run(
        [sys.executable, "-m", "harness.cli", "build", "ccs", "--psk-dn", "00zz"],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 1 and "--psk-dn must be hex" in res.stderr and "Traceback" not in res.stderr
