"""Shared pieces of the ESSE end-to-end tests: the demo system (simulation + bridge + SSM, harness/up.py)
and the expected answers, computed from the datasheet rather than copied from the firmware."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from harness.paths import COOJA_CONFIGS_DIR
from harness.up import EsseSystem, load_system
from harness.wire.infomem import SEGMENT_A, SEGMENT_SIZE, crc16_ccitt

SCENARIO = COOJA_CONFIGS_DIR / "scenarios" / "esse_demo.toml"
ALICE, ALICE_KEY, BOB, BOB_KEY = "alice", "secretPSK", "bob", "bobsPSK"
LOG_ENTRY, LOG_ENTRIES = 10, 12  # firmware/infomem/infomem.h


# the record backends of the CCS firmware: our dtls_record, TinyDTLS's CCM (ccs-tinydtls), and ours with
# the AES blocks on the CC2420's stand-alone AES (ccs_saes)
BACKENDS = {"dtls_record": "ccs", "tinydtls": "ccs-tinydtls", "saes": "ccs_saes"}
# issue 10 item 1: both record-layer backends pass every end-to-end test
both_backends = pytest.mark.parametrize("backend", ["dtls_record", "tinydtls"])


def demo_data(backend: str = "dtls_record", **ssm: Any) -> dict[str, Any]:
    """The demo scenario as a dict with the CCS firmware of `backend` and [ssm] options added."""
    data = load_system(SCENARIO)
    data["ssm"] = {**data.get("ssm", {}), **ssm}
    for m in data["motes"]:
        if m["app"] == "ccs":
            m["app"] = BACKENDS[backend]
    return data


@contextlib.asynccontextmanager
async def demo_system(out_dir: Path, backend: str = "dtls_record", **ssm: Any) -> AsyncIterator[EsseSystem]:
    """The demo network with its SSM, up and pinged; stopped (pcap written) when the block ends."""
    pytest.importorskip("harness.emulator.simmote", reason="the emulator extension is not built")
    async with EsseSystem(demo_data(backend, **ssm), out_dir) as system:
        yield system


def temperature_text(adc: int) -> str:
    """MSP430F161x datasheet: V = 0.986 V + 3.55 mV/degC x T, ADC = V / 1.5 V x 4095; one decimal."""
    t = (adc * 1.5 / 4095 - 0.986) / 0.00355
    return f"{round(t, 1):.1f} C"


def scenario_adc(mote: int) -> int:
    """The temperature ADC value the scenario gives a mote."""
    return int(load_system(SCENARIO)["motes"][mote - 1]["adc"]["temperature"])


def libcoap(tool: str, identity: str, key: str, port: int, path: str, *extra: str) -> list[str]:
    """argv of a libcoap client request through the SSM with a PSK."""
    return [tool, "-B", "20", "-u", identity, "-k", key, *extra, f"coaps://127.0.0.1:{port}/{path}"]


def counter_log(segment_a: bytes) -> tuple[int, int, int]:
    """Decode the counter store (layout in firmware/infomem/infomem.h): (rx counter, tx mark, entries)."""
    assert len(segment_a) == SEGMENT_SIZE
    rx = mark = used = 0
    for i in range(LOG_ENTRIES):
        e = segment_a[i * LOG_ENTRY : (i + 1) * LOG_ENTRY]
        if e == b"\xff" * LOG_ENTRY:
            break
        used += 1
        if crc16_ccitt(e[:8]) == int.from_bytes(e[8:], "little"):
            rx, mark = int.from_bytes(e[:4], "little"), int.from_bytes(e[4:8], "little")
    return rx, mark, used


def read_segment_a(system: EsseSystem, mote_id: int) -> bytes:
    """The mote's information flash segment A, read from the emulated memory."""
    assert system.engine is not None
    return system.engine.by_id[mote_id].mote.read_bytes(SEGMENT_A, SEGMENT_SIZE)
