"""The full-handshake CCS images (harness/tinydtls/ccs_full_build.py): what they link and that they fit the
F1611 — or, for ECDHE-ECDSA, that the build says clearly by how much it does not."""

from __future__ import annotations

from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from harness.build import FirmwareTooLarge
from harness.build.toolchain import FLASH_BYTES, RAM_BYTES
from harness.tinydtls.ccs_full_build import FITTING, build_variant

# the handshake engine (server side) on the compact AES; the ccs's network stack and CoAP-over-DTLS
MUST_LINK = ["dtls_handle_message", "dtls_prf", "dtls_check_retransmit", "esse_aes128_encrypt",
             "rijndael_encrypt", "ccs_coaps_answer", "sixlowpan_output", "radio_cc2420_poll"]  # fmt: skip
# trimmed: T-table AES, SSM client, information flash, CoAP client, plain CoAP server, ECC
MUST_NOT_LINK = ["rijndaelEncrypt", "esse_km_open", "infomem_read_identity", "coap_client_init",
                 "coap_server_init", "ecc_ec_mult"]  # fmt: skip


def defined_symbols(elf: Path) -> set[str]:
    """Names the ELF defines."""
    with elf.open("rb") as f:
        symtab = ELFFile(f).get_section_by_name(".symtab")
        return {s.name for s in symtab.iter_symbols() if s["st_shndx"] != "SHN_UNDEF"}


@pytest.mark.parametrize("name", FITTING)
def test_full_psk_ccs_links_the_handshake_and_fits(tmp_path: Path, name: str) -> None:
    result = build_variant(name, build_root=tmp_path)
    assert 0 < result.size.flash <= FLASH_BYTES and 0 < result.size.ram <= RAM_BYTES
    symbols = defined_symbols(result.elf)
    assert [s for s in MUST_LINK if s not in symbols] == []
    assert [s for s in MUST_NOT_LINK if s in symbols] == []


def test_full_ecc_ccs_does_not_fit_and_says_by_how_much(tmp_path: Path) -> None:
    with pytest.raises(
        FirmwareTooLarge, match=r"ccs-full-ecc.*flash \(49152 bytes\) overflowed by \d+ bytes"
    ):
        build_variant("ccs-full-ecc", build_root=tmp_path)
