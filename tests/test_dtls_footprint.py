"""The DTLS code linked into the CCS (record layer, SSM client, SAES driver) stays within issue #15's
4 KB with the block cipher on the radio (ccs_saes): the sum `invoke dtls-footprint` prints, read from the
app's lld map file, so only what the link kept counts."""

from __future__ import annotations

from requirements import require_tool

from harness.bench.dtls_footprint import GOAL_ROM, dtls_parts
from harness.build import build_app


def test_ccs_saes_dtls_code_fits_4k(tmp_path) -> None:
    require_tool("clang-16")
    parts = dtls_parts(build_app("ccs_saes", build_root=tmp_path).map)
    assert all(parts.values()), parts  # every part is linked and found in the map
    assert set(parts["SAES driver"]) == {"cc2420_saes"}  # the radio driver proper is not counted
    per_part = {part: sum(fp.rom for fp in linked.values()) for part, linked in parts.items()}
    assert sum(per_part.values()) <= GOAL_ROM, per_part
