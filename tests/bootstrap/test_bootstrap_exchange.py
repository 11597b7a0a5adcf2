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
    assert wire.to_controller(confirm) == []
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
    else:
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
    assert wire.to_controller(confirm) == [] and wire.ctl.installed == {NODE: psk}


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


def test_retransmissions_are_answered_without_asking_the_as_again(wire: Wire, repo: Repository) -> None:
    dev = CDevice(IK, NODE)
    request = dev.request(RN_D)
    (resp,) = wire.to_controller(request)
    assert wire.to_controller(request) == [resp]  # BOOT_RESPONSE lost: the same answer, no new AS_REQUEST
    assert len(wire.as_requests) == 1
    psk, confirm = dev.accept(resp)
    wire.to_controller(confirm)
    n = len(wire.ctl.refusals)
    assert wire.to_controller(confirm) == []  # a retransmitted confirmation is no refusal
    assert len(wire.ctl.refusals) == n and wire.ctl.installed == {NODE: psk}
