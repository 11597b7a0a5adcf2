"""Whole exchange (C device, Python controller and AS) and every refusal: distinct error, nothing stored."""

from __future__ import annotations

import asyncio
import random

import pytest

from harness.bootstrap import messages as m
from harness.bootstrap.controller import Controller
from harness.bootstrap.device import CDevice, DeviceError, load
from harness.bootstrap.repository import Repository
from harness.bootstrap.server import AuthServer
from harness.bootstrap.udp import serve_as, serve_controller

from .conftest import AS_ADDR, CTL_ID, IK, NODE, SK_CS, Clock, Wire

RN_D = bytes.fromhex("0102030405060708")


def bootstrap(wire: Wire, dev: CDevice, rn_d: bytes = RN_D) -> bytes:
    """Run one exchange to the end; return the device's PSK_DN."""
    (resp,) = wire.to_controller(dev.request(rn_d))
    psk, confirm = dev.accept(resp)
    expected = dev.expect_ack(psk, resp)
    (ack,) = wire.to_controller(confirm)
    assert ack == expected and dev.ack_match(expected, ack) == 0
    return psk


def test_device_controller_and_as_agree_on_psk(wire: Wire, repo: Repository) -> None:
    dev = CDevice(IK, NODE)
    psk = bootstrap(wire, dev)
    issued = repo.issued(NODE)
    assert issued is not None and issued.psk == psk
    assert wire.ctl.installed == {NODE: psk}
    assert not dev.pending
    # the PSK is the SP 800-108 one for this transaction's context (cryptography's KBKDFCMAC)
    req = m.AsRequest.decode(wire.as_requests[0])
    ctx = m.kdf_context(NODE, CTL_ID, req.tid, req.ts, RN_D, req.rn_c)
    assert psk == m.derive_psk(IK, ctx)
    assert psk not in (IK, SK_CS)
    assert repo.device_key(NODE) == IK  # IK_d kept for a later re-bootstrap


def test_rebootstrap_with_fresh_rn_replaces_psk(wire: Wire, repo: Repository, clock: Clock) -> None:
    dev = CDevice(IK, NODE)
    first = bootstrap(wire, dev)
    clock.t += 5
    second = bootstrap(wire, dev, bytes(8))
    assert first != second and repo.issued(NODE).psk == second == wire.ctl.installed[NODE]


def refused(wire: Wire, repo: Repository, data: bytes, code: str, at: str = "as") -> None:
    """`data` sent to the controller is refused with `code` and changes neither repository nor SSM table."""
    before, installed = repo.snapshot(), dict(wire.ctl.installed)
    n_as, n_ctl = len(wire.server.refusals), len(wire.ctl.refusals)
    to_device = wire.to_controller(data)
    who = wire.server if at == "as" else wire.ctl
    new = who.refusals[n_as:] if at == "as" else who.refusals[n_ctl:]
    assert [e.code for e in new][:1] == [code], new
    assert repo.snapshot() == before
    assert wire.ctl.installed == installed
    if at == "as":  # the device hears an advisory BOOT_ERROR naming the cause
        assert to_device == [m.boot_error(int.from_bytes(data[1:3], "big"), code)]
    elif data[0] == m.BOOT_CONFIRM and new[-1].code == "unknown_tid":  # lost: the device starts over
        assert to_device == [m.boot_error(int.from_bytes(data[1:3], "big"), "unknown_tid")]
    else:  # a forged confirmation is not answered: the genuine one may still come
        assert to_device == []


def test_replayed_as_request(wire: Wire, repo: Repository) -> None:
    bootstrap(wire, CDevice(IK, NODE))
    before = repo.snapshot()
    reply = wire.server.handle(wire.as_requests[0])
    assert reply == m.as_error(CTL_ID, m.AsRequest.decode(wire.as_requests[0]).tid, "replay")
    assert wire.server.refusals[-1].code == "replay"
    assert repo.snapshot() == before


def test_replayed_boot_request_is_a_reused_rn(wire: Wire, repo: Repository) -> None:
    dev = CDevice(IK, NODE)
    bootstrap(wire, dev)
    refused(wire, repo, dev.request(RN_D), "rn_reused")


def test_reused_rn_c(repo: Repository, clock: Clock) -> None:
    ctl = Controller(CTL_ID, SK_CS, AS_ADDR, now=clock, rng=lambda n: b"\x42" * n)
    wire = Wire(ctl, AuthServer(repo, now=clock))
    bootstrap(wire, CDevice(IK, NODE))
    refused(wire, repo, CDevice(IK, NODE).request(bytes(8)), "rn_reused")
    assert "RN_c" in str(wire.server.refusals[-1])


def test_stale_ts(repo: Repository, clock: Clock) -> None:
    behind = Clock(clock.t - 31)  # the controller's clock lags the AS's by more than the 30 s window
    wire = Wire(
        Controller(CTL_ID, SK_CS, AS_ADDR, now=behind, rng=random.Random(2).randbytes),
        AuthServer(repo, now=clock),
    )
    dev = CDevice(IK, NODE)
    refused(wire, repo, dev.request(RN_D), "stale_ts")
    assert dev.pending and repo.issued(NODE) is None
    behind.t = clock.t - 29  # inside the window: accepted
    bootstrap(wire, dev, bytes(8))
    assert repo.issued(NODE) is not None


def test_wrong_ik(wire: Wire, repo: Repository) -> None:
    refused(wire, repo, CDevice(bytes(16), NODE).request(RN_D), "device_auth")
    assert repo.issued(NODE) is None


def test_device_not_in_repository(wire: Wire, repo: Repository) -> None:
    refused(wire, repo, CDevice(IK, 99).request(RN_D), "unknown_device")


def test_forged_tid_at_the_as(wire: Wire, repo: Repository) -> None:
    bootstrap(wire, CDevice(IK, NODE))
    used = m.AsRequest.decode(wire.as_requests[0])
    fresh = m.BootRequest.build(IK, NODE, bytes(8)).encode()
    # a TID already used (sealed with SK_cs, so not a tag failure) and one below the last
    for tid in (used.tid, 0):
        forged = m.AsRequest(CTL_ID, tid, used.ts, b"\x77" * 8, fresh).sealed(SK_CS).encode()
        before = repo.snapshot()
        assert wire.server.handle(forged) == m.as_error(CTL_ID, tid, "tid")
        assert repo.snapshot() == before


def test_forged_tid_at_the_controller(wire: Wire, repo: Repository) -> None:
    dev = CDevice(IK, NODE)
    (resp,) = wire.to_controller(dev.request(RN_D))
    tid = m.BootResponse.decode(resp).tid
    forged = bytearray(resp)
    forged[5:9] = (tid + 1).to_bytes(4, "big")
    with pytest.raises(DeviceError) as err:  # the device: a TID changed on the way fails the IK_d tag
        dev.accept(bytes(forged))
    assert err.value.code == load()[1].ESSE_BOOT_ERR_TAG and dev.pending
    psk, confirm = dev.accept(resp)
    # the controller: a confirmation naming a TID with no pending transaction
    bad = m.BootConfirm(NODE, tid + 1).sealed(psk, b"\x00" * 8).encode()
    refused(wire, repo, bad, "unknown_tid", at="controller")
    # and an AS answer for a TID it never asked about
    refused(
        wire,
        repo,
        wire.as_replies[0][:3] + (tid + 5).to_bytes(4, "big") + wire.as_replies[0][7:],
        "unknown_tid",
        at="controller",
    )
    assert len(wire.to_controller(confirm)) == 1 and wire.ctl.installed == {NODE: psk}


def test_confirm_under_another_key_installs_nothing(wire: Wire, repo: Repository) -> None:
    dev = CDevice(IK, NODE)
    (resp,) = wire.to_controller(dev.request(RN_D))
    r = m.BootResponse.decode(resp)
    refused(
        wire, repo, m.BootConfirm(NODE, r.tid).sealed(bytes(16), r.rn_c).encode(), "confirm", at="controller"
    )
    assert wire.ctl.installed == {}


def test_device_refusals(wire: Wire) -> None:
    ffi, lib = load()
    dev = CDevice(IK, NODE)
    with pytest.raises(DeviceError) as err:
        dev.accept(bytes(m.RESPONSE_LEN))
    assert err.value.code == lib.ESSE_BOOT_ERR_TYPE
    (resp,) = wire.to_controller(dev.request(RN_D))
    other = CDevice(IK, NODE + 1)
    other.request(RN_D)
    for bad, code in ((resp[:-1], lib.ESSE_BOOT_ERR_LENGTH),):
        with pytest.raises(DeviceError) as err:
            dev.accept(bad)
        assert err.value.code == code
    with pytest.raises(DeviceError) as err:
        other.accept(resp)
    assert err.value.code == lib.ESSE_BOOT_ERR_NODE
    dev.accept(resp)
    with pytest.raises(DeviceError) as err:  # the same response again: nothing pending
        dev.accept(resp)
    assert err.value.code == lib.ESSE_BOOT_ERR_STATE


def test_timeout_drops_the_transaction(wire: Wire, repo: Repository, clock: Clock) -> None:
    dev = CDevice(IK, NODE)
    (resp,) = wire.to_controller(dev.request(RN_D))
    _, confirm = dev.accept(resp)
    clock.t += 11
    refused(wire, repo, confirm, "as_timeout", at="controller")
    assert wire.ctl.installed == {}


def test_over_udp(repo: Repository) -> None:
    """Real sockets (port 0): the C device talks to the controller, which talks to the AS."""

    async def run() -> bytes:
        loop = asyncio.get_running_loop()
        as_t = await serve_as(AuthServer(repo))
        installed: dict[int, bytes] = {}
        ctl = Controller(
            CTL_ID,
            SK_CS,
            as_t.get_extra_info("sockname")[:2],
            on_psk=lambda d, k: installed.__setitem__(d, k),
        )
        ctl_t = await serve_controller(ctl)
        got: asyncio.Queue[bytes] = asyncio.Queue()

        class Mote(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
                got.put_nowait(data)

        mote_t, _ = await loop.create_datagram_endpoint(Mote, local_addr=("127.0.0.1", 0))
        dev = CDevice(IK, NODE)
        ctl_addr = ctl_t.get_extra_info("sockname")[:2]
        mote_t.sendto(dev.request(RN_D), ctl_addr)
        psk, confirm = dev.accept(await asyncio.wait_for(got.get(), 10))
        mote_t.sendto(confirm, ctl_addr)
        for _ in range(200):
            if NODE in installed:
                break
            await asyncio.sleep(0.01)
        for t in (mote_t, ctl_t, as_t):
            t.close()
        assert installed == {NODE: psk}
        return psk

    psk = asyncio.run(run())
    assert repo.issued(NODE).psk == psk


def test_retransmissions_are_answered_without_asking_the_as_again(
    wire: Wire, repo: Repository, clock: Clock
) -> None:
    dev = CDevice(IK, NODE)
    request = dev.request(RN_D)
    (resp,) = wire.to_controller(request)
    assert wire.to_controller(request) == [resp]  # BOOT_RESPONSE lost: the same answer, no new AS_REQUEST
    assert len(wire.as_requests) == 1
    psk, confirm = dev.accept(resp)
    (ack,) = wire.to_controller(confirm)
    n = len(wire.ctl.refusals)
    # BOOT_ACK lost: the retransmitted confirmation is no refusal, it is acknowledged again, also
    # long after the transaction's timeout
    assert wire.to_controller(confirm) == [ack]
    clock.t += 3600
    assert wire.to_controller(confirm) == [ack]
    assert len(wire.ctl.refusals) == n and wire.ctl.installed == {NODE: psk}
    assert dev.ack_match(dev.expect_ack(psk, resp), ack) == 0


def test_boot_ack_byte_by_byte(wire: Wire, repo: Repository) -> None:
    """BOOT_ACK = 0x28 | ID_d | TID | CCM-MAC (M = 8) under PSK_DN, nonce 0x28 | RN_c | TID, AAD bytes
    0-6: rebuilt here with `cryptography`'s AES-CCM, independent of both the C and the controller."""
    from cryptography.hazmat.primitives.ciphers.aead import AESCCM

    dev = CDevice(IK, NODE)
    (resp,) = wire.to_controller(dev.request(RN_D))
    r = m.BootResponse.decode(resp)
    psk, confirm = dev.accept(resp)
    (ack,) = wire.to_controller(confirm)
    head = bytes([0x28]) + NODE.to_bytes(2, "big") + r.tid.to_bytes(4, "big")
    nonce = bytes([0x28]) + r.rn_c + r.tid.to_bytes(4, "big")
    assert ack == head + AESCCM(psk, tag_length=8).encrypt(nonce, b"", head) and len(ack) == 15
    assert dev.expect_ack(psk, resp) == ack


def test_device_refuses_a_wrong_boot_ack(wire: Wire, repo: Repository) -> None:
    """Each wrong BOOT_ACK has its own device error; the device keeps confirming (nothing changes)."""
    _, lib = load()
    dev = CDevice(IK, NODE)
    (resp,) = wire.to_controller(dev.request(RN_D))
    r = m.BootResponse.decode(resp)
    psk, confirm = dev.accept(resp)
    expected = dev.expect_ack(psk, resp)
    other_tid = m.BootAck(NODE, r.tid + 1).sealed(psk, r.rn_c).encode()
    cases = {
        "length": (expected[:-1], lib.ESSE_BOOT_ERR_LENGTH),
        "type": (bytes([m.BOOT_CONFIRM]) + expected[1:], lib.ESSE_BOOT_ERR_TYPE),
        "other device": (m.BootAck(NODE + 1, r.tid).sealed(psk, r.rn_c).encode(), lib.ESSE_BOOT_ERR_NODE),
        "forged TID": (other_tid, lib.ESSE_BOOT_ERR_TID),
        "wrong key": (m.BootAck(NODE, r.tid).sealed(bytes(16), r.rn_c).encode(), lib.ESSE_BOOT_ERR_TAG),
        "wrong RN_c": (m.BootAck(NODE, r.tid).sealed(psk, bytes(8)).encode(), lib.ESSE_BOOT_ERR_TAG),
    }
    codes = {name: dev.ack_match(expected, bad) for name, (bad, _) in cases.items()}
    assert codes == {name: code for name, (_, code) in cases.items()}
    assert len(set(codes.values())) == 5
    (ack,) = wire.to_controller(confirm)
    assert dev.ack_match(expected, ack) == 0


def test_confirm_the_controller_lost_gets_boot_error(wire: Wire, repo: Repository, clock: Clock) -> None:
    """A confirmation for a transaction the controller no longer has (timed out, or a restart) is
    refused as unknown_tid and answered with BOOT_ERROR, so the device starts over; nothing installed."""
    dev = CDevice(IK, NODE)
    (resp,) = wire.to_controller(dev.request(RN_D))
    _, confirm = dev.accept(resp)
    clock.t += 11
    assert wire.to_controller(confirm) == [m.boot_error(NODE, "unknown_tid")]
    assert wire.ctl.installed == {}
    bootstrap(wire, dev, bytes(range(8)))  # the fresh start succeeds
