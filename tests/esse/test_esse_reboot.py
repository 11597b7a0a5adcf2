"""After a CCS reset nothing old is accepted and no (key, nonce) pair is used twice: the counters live
in the mote's information flash (segment A, firmware/infomem), written before the KEY_ACK that depends
on them."""

from __future__ import annotations

import asyncio

import pytest

from harness.ssm import protocol
from tests.esse.esse_fixtures import (
    ALICE,
    ALICE_KEY,
    both_backends,
    counter_log,
    demo_system,
    libcoap,
    read_segment_a,
    scenario_adc,
    temperature_text,
)
from tests.ssm.harness_fixtures import need, run_tool, wait_until

pytestmark = pytest.mark.slow
MOTE = 2


@both_backends
def test_reboot_refuses_old_key_material_and_keeps_counters_monotonic(tmp_path, backend):
    tool = need("coap-client-openssl", "libcoap3-bin")

    async def go() -> None:
        async with demo_system(tmp_path, backend) as system:
            d = system.delegator
            assert d is not None
            to_ccs: list[bytes] = []
            from_ccs: list[bytes] = []
            send, on_ack, on_error = d.ccs_transport.send, d._on_ack, d._on_ccs_error

            def spy_send(addr, frame):  # noqa: ANN001
                to_ccs.append(bytes(frame))
                send(addr, frame)

            def spy_ack(ccs, frame):  # noqa: ANN001
                from_ccs.append(bytes(frame))
                on_ack(ccs, frame)

            def spy_error(ccs, frame):  # noqa: ANN001
                from_ccs.append(bytes(frame))
                on_error(ccs, frame)

            d.ccs_transport.send = spy_send  # type: ignore[method-assign]
            d._on_ack = spy_ack  # type: ignore[method-assign]
            d._on_ccs_error = spy_error  # type: ignore[method-assign]
            port = system.client_port(4)
            expected = temperature_text(scenario_adc(MOTE))

            rc, out, err = await run_tool(*libcoap(tool, ALICE, ALICE_KEY, port, "sensors/temperature"))
            assert (rc, out.decode().strip()) == (0, expected), err.decode()
            km1 = next(f for f in to_ccs if f[0] == protocol.MSG_KEY_MATERIAL)
            c1 = int.from_bytes(km1[1:5], "big")
            rx, mark, used = counter_log(read_segment_a(system, MOTE))
            assert (rx, used) == (c1, 1) and mark > 1  # accepted counter and reserved own counters on flash

            await system.reboot(MOTE)
            await wait_until(lambda: sum("ccs: SSM port" in t for t in system.mote_lines(MOTE)) == 2, 20)
            await system.wait_for_mote(MOTE)  # its prefix (and 6LoWPAN context 0) learned again from an RA
            boot = [t for t in system.mote_lines(MOTE) if "ccs: SSM port" in t][-1]
            assert f"counters rx {c1} tx {mark}" in boot  # read back from the information flash

            # the old key material, replayed after the reset: refused, nothing acknowledged
            acks_before = sum(f[0] == protocol.MSG_KEY_ACK for f in from_ccs)
            send(d.config.ccs["mote2"].address, km1)
            try:
                await wait_until(
                    lambda: any("key material refused (-4)" in t for t in system.mote_lines(MOTE)), 10
                )
            except AssertionError:
                raise AssertionError(
                    f"no refusal; the mote printed {system.mote_lines(MOTE)[-12:]}"
                ) from None
            await asyncio.sleep(0.5)
            assert sum(f[0] == protocol.MSG_KEY_ACK for f in from_ccs) == acks_before

            # a new hand-off works; its KEY_ACK carries a counter above everything used before the reset
            rc, out, err = await run_tool(*libcoap(tool, ALICE, ALICE_KEY, port, "sensors/temperature"))
            assert (rc, out.decode().strip()) == (0, expected), err.decode()
            assert d.stats["acks"] == 2 and not any("replay" in k for k in d.stats)
            ccs_counters = [
                int.from_bytes(f[1:5], "big")
                for f in from_ccs
                if f[0] in (protocol.MSG_KEY_ACK, protocol.MSG_ERROR)
            ]
            assert ccs_counters == sorted(set(ccs_counters)), ccs_counters  # never reused, never back
            assert ccs_counters[-1] > mark, (
                ccs_counters,
                mark,
            )  # after the reset the CCS continued above the stored mark
            rx2, mark2, used2 = counter_log(read_segment_a(system, MOTE))
            assert rx2 > c1 and mark2 > mark and used2 == 2

    asyncio.run(go())
