"""The ECDHE-ECDSA baseline in the network (issue 11 item 5): ccs-full-ecc, reached through the border
router and the radio, does the whole TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 handshake (raw public keys) with a
real DTLS client (TinyDTLS on the host, on the simulation's clock: the mote's P-256 work takes minutes of
simulated time, which a wall-clock client would not wait for) and answers CoAP inside the session. The
stack the handshake needs is measured: RAM painted before the handshake, read back after."""

from __future__ import annotations

import aiocoap
import pytest

from harness.energy import setup_run as sr
from harness.energy.simpeers import CCS_ADC, SimNetwork
from harness.tinydtls.ccs_full_build import SENSOR_PUBLIC_X
from tests.baseline.test_baseline_build import RAM_STACK_RESERVE
from tests.esse.esse_fixtures import temperature_text

pytestmark = pytest.mark.slow  # ~870 s of simulated time, a few seconds of wall time
PAINT = 0xA5


def test_tinydtls_client_full_ecdhe_handshake_and_coap_with_the_mote() -> None:
    net = SimNetwork(seed=3, apps=sr._apps("ecdhe", None))
    try:
        net.boot()
        mote = net.ccs_mote.mote
        # paint the free RAM between the end of .bss/.noinit and (below) the current stack pointer
        low, sp = mote.symbol("_end"), mote.reg(1)
        mote.write_bytes(low, bytes([PAINT]) * (sp - 64 - low))
        replies: list[bytes] = []
        own, x, y = sr._ecdsa_credentials()
        assert x == bytes.fromhex(SENSOR_PUBLIC_X)
        client = net.dtls_client(b"", b"", to_mote=True, on_data=replies.append, ecdsa=(own, x, y))
        client.connect()
        net.wait_for(lambda: client.connected, "the ECDHE-ECDSA handshake with the mote", 3000)
        assert [ln for ln in net.log if "mote2 ccs-full ecc: handshake done" in ln]
        request = aiocoap.Message(code=aiocoap.GET, uri_path=("sensors", "temperature"))
        request.mid, request.token, request.mtype = 7, b"\x07", aiocoap.CON
        client.write(request.encode())
        net.wait_for(lambda: bool(replies), "the CoAP answer", 30)
        answer = aiocoap.Message.decode(replies[0])
        assert answer.code == aiocoap.CONTENT
        assert answer.payload.decode() == temperature_text(int(CCS_ADC["temperature"]))
        # the deepest the stack went during boot, handshake and exchange: painted bytes left untouched
        ram = mote.read_bytes(low, sp - 64 - low)
        untouched = next((i for i, b in enumerate(ram) if b != PAINT), len(ram))
        used = mote.symbol("__stack") - (low + untouched)
        print(f"ccs-full-ecc stack high-water mark: {used} B (static RAM ends at {low:#x})")
        assert used <= RAM_STACK_RESERVE, used
        client.close()
    finally:
        net.close()
