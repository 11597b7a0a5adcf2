"""GnuTLS with raw public keys (RFC 7250, ECDHE-ECDSA) through the SSM to an emulated CCS mote: the
SSM's TinyDTLS runs the ECC handshake, the mote only ever sees the record keys."""

from __future__ import annotations

import asyncio

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from harness.up import EsseSystem
from tests.esse.esse_fixtures import both_backends, demo_data, scenario_adc, temperature_text
from tests.ssm.harness_fixtures import need, run_tool

pytestmark = pytest.mark.slow


def p256() -> tuple[ec.EllipticCurvePrivateKey, str, str, str]:
    """A P-256 key and its private scalar, x, y as hex."""
    key = ec.generate_private_key(ec.SECP256R1())
    pub = key.public_key().public_numbers()
    return key, f"{key.private_numbers().private_value:064x}", f"{pub.x:064x}", f"{pub.y:064x}"


@both_backends
def test_coap_client_gnutls_raw_public_keys(tmp_path, backend):
    tool = need("coap-client-gnutls", "libcoap3-bin")
    _, priv, x, y = p256()
    client_key, _, cx, cy = p256()
    pem = tmp_path / "client-rpk.pem"
    pem.write_bytes(
        client_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    data = demo_data(backend)
    data["ecdsa"] = {
        "private": priv,
        "public_x": x,
        "public_y": y,
        "clients": [{"public_x": cx, "public_y": cy, "mote": 3}],
    }

    async def go() -> None:
        async with EsseSystem(data, tmp_path / "sim") as system:
            url = f"coaps://127.0.0.1:{system.client_port(4)}/sensors/temperature"
            rc, out, err = await run_tool(tool, "-B", "20", "-M", str(pem), url)
            assert (rc, out.decode().strip()) == (0, temperature_text(scenario_adc(3))), err.decode()
            d = system.delegator
            assert d is not None and d.stats["handoffs"] == 1
            assert d.stats["suite_C0AE"] + d.stats["suite_C0AC"] == 1  # ECDHE-ECDSA with CCM_8 or CCM

    asyncio.run(go())
