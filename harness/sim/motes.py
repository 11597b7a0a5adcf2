"""The one place that turns a `.csc` mote into a running SimMote: factories keyed by mote type class.

The emulator-backed Sky mote plugs in here (`_create_sky_mote`: harness.emulator.simmote). When it
cannot be loaded (e.g. its C core fails to build), creating a Sky mote raises MoteBackendUnavailable
and `esse sim run` stops with that message: no fake runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from harness.sim.csc import SKY_MOTE_TYPE
from harness.sim.interfaces import SimMote


class MoteBackendUnavailable(RuntimeError):
    """No backend can run this kind of mote here; the message says what is missing."""


@dataclass(frozen=True)
class MoteRequest:
    """A mote the simulation asks for: its id, Cooja mote type and firmware."""

    mote_id: int
    type_class: str  # e.g. org.contikios.cooja.mspmote.SkyMoteType
    type_identifier: str
    firmware: Path  # resolved ELF path (exists)
    adc: dict[int, int] = field(default_factory=dict)  # ADC12 channel -> input value (0..4095)
    translate: bool = False  # an emulated mote runs its flash code translated (esse sim run --translate)
    sht11: tuple[float, float] | None = None  # the SHT11's temperature (C) and humidity (%RH); None: defaults


def _create_sky_mote(req: MoteRequest) -> SimMote:
    # The simulated Sky mote is opened through the mote interface's driver (harness.target), which
    # hands back harness.emulator.simmote.SkySimMote: a SimMote (run_until / uart_rx / drain_uart_tx /
    # power / radio) over the cycle-counting Mote.
    try:
        from harness.emulator.simmote import SkySimMote
        from harness.target.drivers import open_target
        from harness.target.resources import SimulatedSky
    except (ImportError, RuntimeError) as exc:  # not importable, or its C core failed to build
        raise MoteBackendUnavailable(
            f"cannot run mote {req.mote_id} ({req.type_identifier}, {req.firmware.name}): "
            "the emulator-backed Sky mote is not available yet "
            f"(harness.emulator.simmote.SkySimMote: {exc}). "
            "To run this simulation now, use the real Cooja: esse cooja run SIM.csc --cooja JAR --contiki DIR"
        ) from None
    adc: dict[str | int, int] = {channel: value for channel, value in req.adc.items()}
    sht11 = {} if req.sht11 is None else {"temperature": req.sht11[0], "humidity": req.sht11[1]}
    mote = open_target(SimulatedSky(req.firmware, req.mote_id, adc=adc, translate=req.translate, sht11=sht11))
    assert isinstance(mote, SkySimMote)
    return mote


MOTE_FACTORIES: dict[str, Callable[[MoteRequest], SimMote]] = {
    SKY_MOTE_TYPE: _create_sky_mote,
}


def create_mote(req: MoteRequest) -> SimMote:
    """The simulated mote for a request, from the factory of its mote type class."""
    factory = MOTE_FACTORIES.get(req.type_class)
    if factory is None:
        raise MoteBackendUnavailable(
            f"mote {req.mote_id}: mote type class {req.type_class!r} is not supported "
            f"(supported: {', '.join(sorted(MOTE_FACTORIES))})"
        )
    return factory(req)
