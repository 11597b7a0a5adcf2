"""The ECDHE-ECDSA baseline in the network (issue 11 item 5): ccs-full-ecc, reached through the border
router and the radio, does the whole TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 handshake (raw public keys, RFC
7250) with real DTLS clients and answers CoAP inside the session:
- TinyDTLS on the host, on the simulation's clock; the stack the handshake needs is measured there (RAM
  painted before the handshake, read back after);
- coap-client-gnutls (libcoap + GnuTLS, another implementation) with the client key in a PEM file, over
  `esse up`'s bridge (harness.up.BaselineSystem). The mote's P-256 work takes minutes of simulated time;
  the emulation runs unpaced (~130x real time here), and libfaketime slows the client's clock tenfold,
  so its wall-clock DTLS timers (1 s retransmission, a few seconds in all) cover those minutes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiocoap
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from harness.energy import setup_run as sr
from harness.energy.simpeers import CCS_ADC, SimNetwork
from harness.paths import COOJA_CONFIGS_DIR
from harness.tinydtls.ccs_full_build import CLIENT_PRIVATE, CLIENT_PUBLIC_X, SENSOR_PUBLIC_X
from harness.up import BaselineSystem, load_system
from tests.baseline.test_baseline_build import RAM_STACK_RESERVE
from tests.esse.esse_fixtures import temperature_text
from tests.ssm.harness_fixtures import need, run_tool

pytestmark = pytest.mark.slow  # ~870 s of simulated time, a few seconds of wall time each
PAINT = 0xA5
MOTE = 2
CLIENT_CLOCK_RATE = "x0.1"  # libfaketime: the client's clock at a tenth of real time


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


def client_pem(path: Path) -> Path:
    """The client key the mote accepts (ccs_full.h) as the PEM file libcoap's -M takes."""
    key = ec.derive_private_key(int(CLIENT_PRIVATE, 16), ec.SECP256R1())
    assert key.public_key().public_numbers().x == int(CLIENT_PUBLIC_X, 16)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.TraditionalOpenSSL,
                                       serialization.NoEncryption()))
    return path


def test_coap_client_gnutls_raw_public_key_ecdhe_handshake_with_the_mote(tmp_path: Path) -> None:
    tool = need("coap-client-gnutls", "libcoap3-bin")
    faketime = need("faketime", "faketime")
    pem = client_pem(tmp_path / "client.pem")
    data = load_system(COOJA_CONFIGS_DIR / "scenarios" / "baseline_ecc.toml")
    got: list[tuple[int, str]] = []

    async def go() -> BaselineSystem:
        async with BaselineSystem(data, tmp_path / "sim", speed=1e6) as system:  # unpaced
            url = f"coaps://127.0.0.1:{system.dtls_port(MOTE)}/sensors/temperature"
            rc, out, err = await run_tool(faketime, "-f", f"+0 {CLIENT_CLOCK_RATE}", tool, "-B", "60",
                                          "-M", str(pem), url, timeout=400)
            got.append((rc, out.decode().strip() or err.decode()[-800:]))
            return system

    system = asyncio.run(go())
    adc = int(data["motes"][MOTE - 1]["adc"]["temperature"])
    assert got == [(0, temperature_text(adc))]
    done = [line for line in system.mote_lines(MOTE) if "handshake done" in line]
    assert len(done) == 1, system.mote_lines(MOTE)
