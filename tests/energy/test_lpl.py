"""Low-power listening (firmware/dev/lpl.h) on emulated hardware: host CoAP client -> bridge -> SLIP
-> border_router_lpl (always listening, strobed sends) -> CC2420 -> ccs_lpl (radio off between 8 Hz
channel checks): the sensor still answers, and its radio really sleeps between checks.
The duty figures are measured by `invoke bench-lpl` (harness/energy/lpl_bench.py)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import aiocoap
import pytest
from aiocoap.numbers.codes import Code

sys.path.insert(0, str(Path(__file__).parents[1] / "net"))  # the net tests' host runners

from ccs_oracle import assert_temperature  # noqa: E402
from e2e_helpers import PREFIX, wait_for_prefix  # noqa: E402
from simnet import EngineSession  # noqa: E402

from harness.bridge import Bridge  # noqa: E402
from harness.build import build_app  # noqa: E402
from harness.emulator.power import power_report  # noqa: E402
from harness.sim.engine import Engine  # noqa: E402
from harness.target.drivers import open_target  # noqa: E402
from harness.target.resources import SimulatedSky  # noqa: E402

pytestmark = pytest.mark.slow


def test_coap_answered_through_low_power_listening() -> None:
    br = open_target(SimulatedSky(build_app("border_router_lpl").elf, 1))
    temperature_adc = 2222
    ccs = open_target(SimulatedSky(build_app("ccs_lpl").elf, 2, adc={10: temperature_adc, 4: 333}))
    engine = Engine([br, ccs], {1: (0.0, 0.0, 0.0), 2: (10.0, 0.0, 0.0)})  # type: ignore[list-item]
    radio_modes: list[dict[str, int]] = []

    async def scenario(url: str) -> None:
        async with Bridge(url, PREFIX, base_port=0, motes=[1, 2]) as bridge:
            await wait_for_prefix(bridge, 2)
            radio_modes.append(ccs.mote.mode_ns(1))  # after the boot (radio on: DCO calibration, RS/RA)
            ctx = await aiocoap.Context.create_client_context()
            try:
                uri = f"coap://127.0.0.1:{bridge.port_of(2)}"
                for _ in range(2):
                    req = aiocoap.Message(code=aiocoap.GET, uri=f"{uri}/sensors/temperature")
                    r = await asyncio.wait_for(ctx.request(req).response, 60)
                    assert r.code == Code.CONTENT
                    assert_temperature(r.payload, temperature_adc)
            finally:
                await ctx.shutdown()
            await asyncio.sleep(1.0)  # then idle: back to channel checks only
            radio_modes.append(ccs.mote.mode_ns(1))

    with EngineSession(engine, serial_mote=1) as session:
        asyncio.run(scenario(session.url))
    # from the end of the boot over the CoAP exchanges and a second of idle, the CCS's radio spent most
    # of the time switched off (always-on ccs: never); the boot's share depends on the host's speed
    after = {k: v - radio_modes[0][k] for k, v in radio_modes[1].items()}
    assert after["idle"] + after["off"] + after["powerdown"] > after["listen"] + after["transmit"]
    # and the border router's radio never slept after its boot (DCO calibration, radio start-up)
    states = power_report(br.mote).state_ns()
    assert states["RX"] + states["TX"] > br.mote.time_ns - 600_000_000
