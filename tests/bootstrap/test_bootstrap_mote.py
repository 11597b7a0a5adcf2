"""The device side on the emulated MSP430 (crypto_kat command 'b', firmware/apps/crypto_kat/kat_boot.c):
the mote's BOOT_REQUEST is the one the Python AS accepts, it checks the controller's BOOT_RESPONSE, derives
the PSK_DN the AS issued, its BOOT_CONFIRM makes the controller install that key, and its segment-B image
decodes with harness.wire.infomem. Cycles per step are in the reply (see docs/bootstrap.md)."""

from __future__ import annotations

import pytest

from harness.bench.crypto_kat import KatMote, build_kat
from harness.bootstrap import messages as m
from harness.bootstrap.repository import Repository
from harness.wire.infomem import Identity

from .conftest import IK, NODE, Wire

RN_D = bytes.fromhex("a1a2a3a4a5a6a7a8")
SEG_B = Identity(node_id=NODE, ik=IK).encode_segment_b()


@pytest.fixture(scope="module")
def kat(tmp_path_factory: pytest.TempPathFactory) -> KatMote:
    return KatMote(build_kat("record", build_root=tmp_path_factory.mktemp("crypto_kat_boot")))


def payload(response: bytes, ik: bytes = IK) -> bytes:
    return ik + NODE.to_bytes(2, "big") + RN_D + SEG_B + response


def test_mote_bootstraps_against_the_python_as(kat: KatMote, wire: Wire, repo: Repository) -> None:
    request = m.BootRequest.build(IK, NODE, RN_D).encode()
    (response,) = wire.to_controller(request)
    reply = kat.request("b", payload(response))
    assert reply.ok, f"mote answered err {reply.error}"
    req, confirm = reply.data[:19], reply.data[19:34]
    psk, seg = reply.data[34:50], reply.data[50:]
    assert req == request
    issued = repo.issued(NODE)
    assert issued is not None and psk == issued.psk
    (ack,) = wire.to_controller(confirm)
    assert ack[0] == m.BOOT_ACK and wire.ctl.installed == {NODE: psk}
    assert Identity.decode(seg) == Identity(node_id=NODE, psk_dn=psk, ik=IK)
    assert len(reply.spans) == 4 and all(s > 0 for s in reply.spans)
    print("bootstrap cycles on the MSP430 (key schedule, request, accept, segment B):", reply.spans)


def test_mote_refuses_a_forged_response(kat: KatMote, wire: Wire, repo: Repository) -> None:
    (response,) = wire.to_controller(m.BootRequest.build(IK, NODE, RN_D).encode())
    forged = bytearray(response)
    forged[8] ^= 1  # the TID's last byte
    reply = kat.request("b", payload(bytes(forged)))
    assert (reply.ok, reply.error) == (False, 2)
    # the genuine response under another IK_d does not authenticate either
    reply = kat.request("b", payload(response, ik=bytes(16)))
    assert (reply.ok, reply.error) == (False, 2)
    assert wire.ctl.installed == {}
