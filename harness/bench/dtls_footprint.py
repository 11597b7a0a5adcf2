"""ROM of the DTLS code on the CCS as linked (`invoke dtls-footprint`), issue #15 item 3's figure.

"DTLS code" is what the CCS links from firmware/dtls_record (record layer, CCM, replay window, key state,
AES backend), firmware/ssm_client (the SSM messages) and, in the SAES build, the CC2420 stand-alone AES
driver (firmware/dev/cc2420_saes.c): text + rodata + data of each object, from the app's lld map file,
so only what `--gc-sections` kept counts. The goal is <= 4 096 B with the block cipher on the radio
(`ccs_saes`); `ccs` (software AES) is shown next to it.
"""

from __future__ import annotations

from pathlib import Path

from harness import paths
from harness.bench.net_footprint import Footprint, linked_footprints

GOAL_ROM = 4096  # bytes, issue #15 item 3, for ccs_saes
PARTS = (("dtls_record", "dtls_record"), ("ssm_client", "ssm_client"), ("dev", "SAES driver"))


def dtls_parts(map_file: Path) -> dict[str, dict[str, Footprint]]:
    """Per part (dtls_record, ssm_client, SAES driver), each linked source's footprint."""
    out: dict[str, dict[str, Footprint]] = {}
    for folder, part in PARTS:
        linked = linked_footprints(map_file, folder)
        if folder == "dev":  # the radio driver itself is not DTLS code
            linked = {stem: fp for stem, fp in linked.items() if stem == "cc2420_saes"}
        out[part] = linked
    return out


def report(apps: tuple[str, ...] = ("ccs_saes", "ccs")) -> str:
    """The DTLS code's ROM per part and source for each app whose map file exists, as a text table."""
    lines = ["DTLS code on the CCS (linked: text + rodata + data, bytes)"]
    for app in apps:
        app_map = paths.build_dir() / app / f"{app}.map"
        if not app_map.is_file():
            lines.append(f"{app}: no map file ({app_map}); build it first (esse build {app})")
            continue
        parts = dtls_parts(app_map)
        total = sum(fp.rom for linked in parts.values() for fp in linked.values())
        goal = f" (goal {GOAL_ROM}: {'met' if total <= GOAL_ROM else 'not met'})" if app == "ccs_saes" else ""
        lines.append(f"{app}: {total}{goal}")
        for part, linked in parts.items():
            if not linked:
                continue
            lines.append(f"  {part:<14}{sum(fp.rom for fp in linked.values()):>6}")
            for stem, fp in sorted(linked.items(), key=lambda kv: -kv[1].rom):
                lines.append(f"    {stem:<18}{fp.rom:>6}")
    return "\n".join(lines)
