"""Importing this registers the TinyDTLS firmware with `build_all()` (`esse build`): the mote profiles,
the ccs with TinyDTLS's record cipher and the full-handshake CCS baseline. This floor registers them
because the build cannot name a package above it."""

from __future__ import annotations

from harness.build.firmware import register_firmware
from harness.tinydtls.ccs_build import build_ccs_tinydtls
from harness.tinydtls.ccs_full_build import build_ccs_full
from harness.tinydtls.profiles import build_profiles

register_firmware("tinydtls-profiles", build_profiles)  # record / psk / ecc size profiles
register_firmware("ccs-tinydtls", build_ccs_tinydtls)  # the ccs with TinyDTLS's record cipher
register_firmware("ccs-full", build_ccs_full)  # the full-handshake CCS baseline (issue 11 item 5)
