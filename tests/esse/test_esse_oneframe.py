"""Issue 10 item 3 on the real path: in an `esse up` session (harness/up.py EsseSystem: emulated border
router and CCS motes, bridge, SSM) a real client (coap-client-openssl, PSK) makes the SSM hand a session
to mote 2; the KEY_MATERIAL the SSM sent and the KEY_ACK the mote answered each cross the last hop
(border router 1 <-> CCS 2) as exactly one 802.15.4 frame, no RFC 4944 fragment: 96 -> 113 bytes and
25 -> 42 bytes (docs/protocol.md, "Size on the air"), as tshark dissects the run's radio.pcap.

That the frames are the real messages, not look-alikes: the KEY_MATERIAL on the air opens under mote 2's
PSK_DN (AES-128-CCM, `cryptography`, nonce and AAD as docs/protocol.md defines them) and names the session
the KEY_ACK on the air acknowledges, with the counter the KEY_ACK echoes.
"""

from __future__ import annotations

import asyncio

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESCCM
from oneframe import assert_one_udp_frame, frame_for, tshark_layers, udp_payload

from harness.bridge.ipv6 import parse_prefix
from harness.up import PREFIX, SSM_PORT
from tests.esse.esse_fixtures import (
    ALICE,
    ALICE_KEY,
    both_backends,
    demo_data,
    demo_system,
    libcoap,
    scenario_adc,
    temperature_text,
)
from tests.ssm.harness_fixtures import need, run_tool

pytestmark = pytest.mark.slow
BR, CCS = 1, 2
SSM_SIDE_PORT = 61616  # the SSM's port as the CCS sees it (the bridge maps it into 0xF0Bx)
KEY_MATERIAL, KEY_ACK = 0x01, 0x02  # message types (docs/protocol.md, Messages)
KM_LEN, ACK_LEN, KEYSTATE_LEN = 96, 25, 75


@both_backends
def test_key_material_and_key_ack_are_one_frame_each_in_an_esse_up_session(tmp_path, backend):
    tool = need("coap-client-openssl", "libcoap3-bin")
    need("tshark", "tshark")
    prefix = parse_prefix(PREFIX)

    async def go():  # noqa: ANN202
        # one KEY_MATERIAL only: no SSM retransmission (every 1 s by default) on a slow shared machine
        async with demo_system(tmp_path / "up", backend, ack_timeout=8.0) as system:
            rc, out, err = await run_tool(
                *libcoap(tool, ALICE, ALICE_KEY, system.client_port(4), "sensors/temperature"), timeout=60
            )
            assert (rc, out.decode().strip()) == (0, temperature_text(scenario_adc(CCS))), err.decode()
            assert system.delegator is not None
            assert (system.delegator.stats["handoffs"], system.delegator.stats["acks"]) == (1, 1)
            await asyncio.sleep(0.5)  # the close_notify exchange
        return system.files["pcap"]

    layers = tshark_layers(asyncio.run(go()), prefix)
    km_frame = assert_one_udp_frame(
        layers, BR, CCS, SSM_SIDE_PORT, SSM_PORT, frame_for(KM_LEN), prefix, first_byte=KEY_MATERIAL
    )
    ack_frame = assert_one_udp_frame(
        layers, CCS, BR, SSM_PORT, SSM_SIDE_PORT, frame_for(ACK_LEN), prefix, first_byte=KEY_ACK
    )
    km, ack = udp_payload(km_frame), udp_payload(ack_frame)
    assert (len(km), len(ack)) == (KM_LEN, ACK_LEN)

    psk_dn = bytes.fromhex(demo_data()["motes"][CCS - 1]["psk_dn"])
    counter = km[1:5]
    nonce = b"ES" + b"\x00" + bytes(6) + counter  # sender 0x00 = the SSM
    keystate = AESCCM(psk_dn, tag_length=16).decrypt(nonce, km[5:], km[:5])
    assert len(keystate) == KEYSTATE_LEN
    session_id = keystate[:8]
    assert (ack[5:9], ack[9:17]) == (counter, session_id)  # acked SSM counter, session id
    ack_nonce = b"ES" + b"\x01" + bytes(6) + ack[1:5]  # sender 0x01 = the CCS; MAC only: all AAD
    AESCCM(psk_dn, tag_length=8).decrypt(ack_nonce, ack[17:], ack[:17])
