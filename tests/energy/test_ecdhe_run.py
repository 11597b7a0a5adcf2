"""run_setup("ecdhe"): the full ECDHE-ECDSA handshake (TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, raw public keys)
run by ccs-full-ecc on the emulated mote, in the network simulation like kind psk: the host TinyDTLS
client on the simulation's clock reaches the mote through the border router's serial line and the
radio, so the CCS's radio (TX, listening, frames, 6LoWPAN fragments) is measured, not modelled."""

from __future__ import annotations

import json

import pytest

from harness.energy import report
from harness.energy.phases import SetupRun
from harness.energy.setup_run import _group_flights, run_setup

# the runs: the mote's P-256 work is ~870 s of simulated time, a few seconds of wall time each
slow = pytest.mark.slow
FLIGHTS = [
    ("peer", "ClientHello"),
    ("mote", "HelloVerifyRequest"),
    ("peer", "ClientHello"),
    ("mote", "ServerHello"),
    ("peer", "Certificate"),
    ("mote", "ChangeCipherSpec"),
]


@pytest.fixture(scope="module")
def ecdhe_runs() -> tuple[SetupRun, SetupRun]:
    return run_setup("ecdhe", seed=1, exchanges=1), run_setup("ecdhe", seed=1, exchanges=1)


@slow
def test_same_seed_gives_the_same_setup_run(ecdhe_runs):
    a, b = ecdhe_runs
    assert json.dumps(a.to_json(), sort_keys=True) == json.dumps(b.to_json(), sort_keys=True)


@slow
def test_the_mote_runs_the_whole_handshake_in_the_network(ecdhe_runs):
    run, _ = ecdhe_runs
    assert run.params["apps"] == ["border_router", "ccs-full-ecc"] and "note" not in run.params
    assert [p.name for p in run.phases] == [f"flight {i}" for i in range(1, 7)] + ["exchange 1"]
    assert [(p.sender, p.messages[0]) for p in run.phases[:6]] == FLIGHTS
    f4, f5, f6 = run.phases[3:6]
    assert {"Certificate", "ServerKeyExchange", "CertificateRequest", "ServerHelloDone"} <= set(f4.messages)
    assert {"ClientKeyExchange", "CertificateVerify", "ChangeCipherSpec", "Finished"} <= {
        m for m in f5.messages if not m.endswith("*")}
    assert f6.messages == ("ChangeCipherSpec", "Finished")
    # the P-256 work is in flights 4 (key generation, signing) and 5 (verifying the client's
    # CertificateVerify, ECDH): minutes each, far more CPU than everything else together
    rest = sum(p.cpu_ns for p in run.phases if p not in (f4, f5))
    assert f4.cpu_ns > 60e9 and f5.cpu_ns > 60e9 and min(f4.cpu_ns, f5.cpu_ns) > 100 * rest
    # the client repeats flight 5 while the mote computes (TinyDTLS's timer on simulated time)
    assert any(m.endswith("*") for m in f5.messages)


@slow
def test_the_radio_is_measured(ecdhe_runs):
    run, _ = ecdhe_runs
    for p in run.phases:
        assert p.cpu_ns + p.lpm_ns == p.time_ns  # the tracker of the mote, all of its time
        assert p.tx_ns > 0 and p.listen_ns > 0 and p.frames > 0 and p.bytes > 0
    # the server's flight 4 (certificate, signed key exchange) does not fit 127-byte frames
    assert run.phases[3].fragments > 0
    # exchange 1: a CoAP GET and its 2.05 Content over the record layer, one frame each way
    assert run.phases[6].frames == 2 and run.phases[6].messages == ("ApplicationData", "ApplicationData")


@slow
def test_the_report_has_no_modelled_note(ecdhe_runs, tmp_path):
    from tests.report.runs import esse_run

    rep = report.EnergyReport({"seed": 1, "exchanges": 1}, (report.KindResult("esse", esse_run(n=1)),
                                                             report.KindResult("ecdhe", ecdhe_runs[0])))
    text = report.text_report(rep)
    assert "ecdhe  (seed 1)" in text and "modelled" not in text


def d(direction: str, *messages: str, start: int | None = None, arrival: int = 0) -> dict:
    return {"dir": direction, "messages": messages, "bytes": 10, "start": start, "arrival": arrival}


def test_repeats_join_the_flight_in_progress():
    flights = _group_flights([
        d("c>s", "ClientHello"), d("s>c", "HelloVerifyRequest", start=1, arrival=2),
        d("c>s", "ClientHello"), d("s>c", "ServerHello", start=3, arrival=4),
        d("s>c", "ServerHelloDone", start=5, arrival=6),
        d("c>s", "ClientKeyExchange", "ChangeCipherSpec", "Finished"),
        d("s>c", "ServerHello*", start=7, arrival=8),  # the mote's overdue retransmission
        d("c>s", "ClientKeyExchange*", "ChangeCipherSpec*", "Finished*"),  # the client's
        d("s>c", "ChangeCipherSpec", "Finished", start=9, arrival=10),
    ])
    assert [(f["dir"], f["end"]) for f in flights] == [
        ("c>s", 1), ("s>c", 2), ("c>s", 3), ("s>c", 6), ("c>s", 9), ("s>c", 10)]
    assert flights[4]["messages"] == ("ClientKeyExchange", "ChangeCipherSpec", "Finished", "ServerHello*",
                                      "ClientKeyExchange*", "ChangeCipherSpec*", "Finished*")
