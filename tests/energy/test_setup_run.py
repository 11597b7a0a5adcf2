"""run_setup("esse"): the SSM and an outside TinyDTLS client on the simulation's clock, in process,
against the emulated border router + CCS; phases from the CCS's per-mode nanosecond tracker."""

from __future__ import annotations

import pytest

from harness.energy.phases import SetupRun
from harness.energy.setup_run import SetupRunError, SetupRunner, run_setup
from harness.wire.ssm import ACK_LEN, KM_LEN

FLIGHTS = [
    ("peer", ("ClientHello",)),
    ("ssm", ("HelloVerifyRequest",)),
    ("peer", ("ClientHello",)),
    ("ssm", ("ServerHello", "ServerHelloDone")),
    ("peer", ("ClientKeyExchange", "ChangeCipherSpec", "Finished")),
    ("ssm", ("ChangeCipherSpec", "Finished")),
]


@pytest.fixture(scope="module")
def esse_run() -> tuple[SetupRun, list[str]]:
    runner = SetupRunner("esse", seed=3, exchanges=2)
    return runner.run(), list(runner.log)


DEVICE = ["BOOT_REQUEST", "BOOT_RESPONSE", "BOOT_CONFIRM", "BOOT_ACK", "RD POST", "RD 2.01"]


def test_esse_phases_follow_the_protocol(esse_run):
    run, _ = esse_run
    device = [p for p in run.phases if p.group in ("bootstrap", "RD registration")]
    assert [p.name for p in device] == DEVICE
    run = SetupRun(run.kind, run.seed, run.params, tuple(p for p in run.phases if p not in device))
    names = [p.name for p in run.phases]
    hand_off = ["KEY_MATERIAL", "KEY_ACK", "exchange 1", "exchange 2"]
    assert names == [f"flight {i}" for i in range(1, 7)] + hand_off
    assert [(p.sender, p.messages) for p in run.phases[:6]] == FLIGHTS
    # the CCS takes no part in a flight: nothing on its hop, no CPU beyond its idle timer ticks
    for p in run.phases[:6]:
        assert p.frames == 0 and p.tx_ns == 0
        assert p.time_ns == pytest.approx(5_000_000, abs=1_000)  # one Internet hop (CLIENT_DELAY_S)
    km, ack = run.phases[6], run.phases[7]
    assert (km.bytes, km.frames, ack.bytes, ack.frames) == (KM_LEN, 1, ACK_LEN, 1)
    # opening the key material (AES-CCM on the MSP430) costs the CCS real CPU time
    assert km.cpu_ns > 5 * ack.cpu_ns > 0
    for p in run.phases[8:]:
        assert p.frames == 2 and p.fragments == 0 and p.cpu_ns > 0 and p.tx_ns > 0
        assert p.messages == ("ApplicationData", "ApplicationData")
    # the states add up to the phase's time: CPU + LPM is all of it (the tracker is exact)
    for p in run.phases + tuple(device):
        assert p.cpu_ns + p.lpm_ns == p.time_ns
        assert p.listen_ns <= p.time_ns
    assert SetupRun.from_json(run.to_json()) == run


def test_a_fresh_ccs_bootstraps_then_registers_as_phases_of_their_own(esse_run):
    from harness.bootstrap.messages import ACK_LEN, CONFIRM_LEN, REQUEST_LEN, RESPONSE_LEN

    run, log = esse_run
    by = {p.name: p for p in run.phases}
    assert [by[n].group for n in DEVICE] == ["bootstrap"] * 4 + ["RD registration"] * 2
    assert [by[n].sender for n in DEVICE] == ["mote", "peer", "mote", "peer", "mote", "peer"]
    # the real controller asked the real AS (SQLite repository) on the way: both messages are named
    assert by["BOOT_RESPONSE"].messages == ("AS_REQUEST", "AS_RESPONSE", "BOOT_RESPONSE")
    sizes = [by[n].bytes for n in DEVICE[:4]]
    assert sizes == [REQUEST_LEN, RESPONSE_LEN, CONFIRM_LEN, ACK_LEN]  # docs/bootstrap.md, one frame each
    assert all(by[n].frames == 1 and by[n].fragments == 0 for n in DEVICE)
    # checking BOOT_RESPONSE, deriving PSK_DN and writing it to information flash: the confirmation's
    # phase holds the mote's most CPU of the six
    assert by["BOOT_CONFIRM"].cpu_ns == max(by[n].cpu_ns for n in DEVICE)
    # the hand-off worked with the PSK_DN the mote bootstrapped (nothing provisioned it)
    assert by["KEY_ACK"].frames == 1
    assert any("service mote>host BOOT_CONFIRM" in line for line in log)


def test_same_seed_same_log_and_phases_however_slow_the_host(esse_run):
    run, log = esse_run
    slow = SetupRunner("esse", seed=3, exchanges=2, host_delay_s=0.02)
    assert slow.run() == run
    assert slow.log == log
    assert any("inet c>s" in line for line in log) and any("radio tx 2" in line for line in log)


def test_another_seed_gives_another_log(esse_run):
    _, log = esse_run
    other = SetupRunner("esse", seed=4, exchanges=2)
    other.run()
    assert other.log != log


def test_bad_arguments_are_named():
    with pytest.raises(SetupRunError, match="kind 'tls'"):
        run_setup("tls")
    with pytest.raises(SetupRunError, match="channel_check_hz=4"):
        run_setup("esse", channel_check_hz=4)
    with pytest.raises(SetupRunError, match="loss=1.5"):
        run_setup("esse", loss=1.5)


@pytest.mark.slow
def test_low_power_listening_and_loss_still_complete():
    seen: list[tuple[int, int]] = []
    run = run_setup("esse", seed=2, exchanges=1, loss=0.2, channel_check_hz=8,
                    progress=lambda done, total: seen.append((done, total)))
    assert [p.name for p in run.phases][-1] == "exchange 1"
    assert seen[-1] == (15, 15)  # 6 bootstrap and RD phases, 6 flights, 2 hand-off, 1 exchange
    assert run.params["apps"] == ["border_router_lpl", "ccs_lpl"]


@pytest.mark.slow
def test_ecdhe_with_low_power_listening_completes():
    """ccs-full-ecc-lpl fits since the record layer's shrink: the whole ECDHE-ECDSA handshake and an
    exchange complete with the duty-cycled radio, with the same P-256 work as always on. (It listens
    about as long: the channel check runs from the main loop, which waits while P-256 computes:
    docs/energy.md.)"""
    lpl = run_setup("ecdhe", seed=1, exchanges=1, channel_check_hz=8)
    on = run_setup("ecdhe", seed=1, exchanges=1)
    assert lpl.params["apps"] == ["border_router_lpl", "ccs-full-ecc-lpl"]
    assert [p.name for p in lpl.phases] == [p.name for p in on.phases] and lpl.phases[-1].name == "exchange 1"
    cpu = [sum(p.cpu_ns for p in r.phases) for r in (lpl, on)]
    assert abs(cpu[0] - cpu[1]) < 0.02 * cpu[1], cpu


PSK_FLIGHTS = [
    ("peer", ("ClientHello",)),
    ("mote", ("HelloVerifyRequest",)),
    ("peer", ("ClientHello",)),
    ("mote", ("ServerHello", "ServerHelloDone")),
]


def test_psk_baseline_handshakes_with_the_mote_over_its_hop():
    """The full PSK handshake on the mote (baseline room's ccs-full-psk): every flight crosses the
    CCS's hop, and the flight the mote derives its keys in costs far more CPU than ESSE's hand-off."""
    run = run_setup("psk", seed=1, exchanges=1)
    names = [p.name for p in run.phases]
    assert names == [f"flight {i}" for i in range(1, 7)] + ["exchange 1"]
    assert [(p.sender, p.messages) for p in run.phases[:4]] == PSK_FLIGHTS
    assert run.phases[4].messages[:3] == ("ClientKeyExchange", "ChangeCipherSpec", "Finished")
    assert run.phases[5].messages == ("ChangeCipherSpec", "Finished")
    for p in run.phases:
        assert p.frames >= 1 and p.cpu_ns + p.lpm_ns == p.time_ns
    esse = run_setup("esse", seed=1, exchanges=1)
    assert run.total_mj("handshake") > 5 * esse.total_mj("handshake") + esse.total_mj("hand-off")


def test_sessions_follow_one_another_with_their_own_phases():
    run = run_setup("esse", seed=1, exchanges=1, sessions=2)
    names = [p.name for p in run.phases][len(DEVICE):]  # the device's one-offs come once, first
    assert names[:9] == [f"flight {i}" for i in range(1, 7)] + ["KEY_MATERIAL", "KEY_ACK", "exchange 1"]
    assert names[9:] == [f"session 2: {n}" for n in names[:9]]
    assert run.params["sessions"] == 2
