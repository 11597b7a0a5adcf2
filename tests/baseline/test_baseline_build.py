"""The full-handshake CCS images (harness/tinydtls/ccs_full_build.py): what they link and that they fit the
F1611 — ECDHE-ECDSA too (server role only, the firmware's CCM, the compact SHA-256, -Oz); its low-power
listening variant does not, and the build says by how much."""

from __future__ import annotations

from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

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


# ECDHE-ECDSA, server role only (tinydtls_patches/0030), the firmware's record-layer CCM; no PSK code
ECC_MUST_LINK = ["dtls_handle_message", "ecc_ec_mult", "ecc_ecdsa_sign", "ecc_ecdsa_validate",
                 "dtls_ecdsa_create_sig", "dtls_ecdsa_verify_sig_hash", "esse_ccm",
                 "dtls_sha256_transform", "ccs_coaps_answer", "sixlowpan_output"]  # fmt: skip
ECC_MUST_NOT_LINK = ["dtls_connect", "dtls_connect_peer", "dtls_send_client_hello", "check_server_hello",
                     "check_server_key_exchange_ecdsa", "dtls_psk_pre_master_secret", "rijndaelEncrypt",
                     "add_auth_data", "esse_km_open", "coap_client_init"]  # fmt: skip
# RAM with the stack: static RAM + RAM_STACK_RESERVE <= 10 KB here, and test_baseline_ecc.py measures
# the stack's high-water mark over boot, the ECDHE-ECDSA handshake and a CoAP exchange (2 122 B) below it
RAM_STACK_RESERVE = 3072


@pytest.mark.parametrize("name", [n for n in FITTING if "psk" in n])
def test_full_psk_ccs_links_the_handshake_and_fits(tmp_path: Path, name: str) -> None:
    result = build_variant(name, build_root=tmp_path)
    assert 0 < result.size.flash <= FLASH_BYTES and 0 < result.size.ram <= RAM_BYTES
    symbols = defined_symbols(result.elf)
    assert [s for s in MUST_LINK if s not in symbols] == []
    assert [s for s in MUST_NOT_LINK if s in symbols] == []


@pytest.mark.parametrize("name", ["ccs-full-ecc", "ccs-full-ecc-lpl"])
def test_full_ecc_ccs_fits_server_only(tmp_path: Path, name: str) -> None:
    """Both ECDHE images fit, always-on and (since the record layer's shrink, 44 B spare on 2026-12-06)
    with low-power listening: the build itself fails with the overflow if one grows past the F1611."""
    assert name in FITTING
    result = build_variant(name, build_root=tmp_path)
    assert 0 < result.size.flash <= FLASH_BYTES
    assert 0 < result.size.ram <= RAM_BYTES - RAM_STACK_RESERVE
    symbols = defined_symbols(result.elf)
    assert [s for s in ECC_MUST_LINK if s not in symbols] == []
    assert [s for s in ECC_MUST_NOT_LINK if s in symbols] == []
