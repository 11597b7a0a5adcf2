"""run_setup("ecdhe"): the full ECDHE-ECDSA handshake on the tinydtls-ecc mote (CPU/LPM measured on the
emulated MCU, the host TinyDTLS server on the mote's simulated time), the radio modelled per phase."""

from __future__ import annotations

import csv
import json

import pytest

from harness.energy import report
from harness.energy.ecdhe_run import RADIO_NOTE, radio_cost
from harness.energy.phases import SetupRun
from harness.energy.setup_run import run_setup
from harness.wire.ieee802154 import SHORT_DATA_HEADER_BYTES, TURNAROUND_US
from harness.wire.lowpan import IPHC_LINK_LOCAL, UDP_NHC_SHORT_PORTS, datagram_frames

FLIGHTS = [
    ("mote", "ClientHello"),
    ("peer", "HelloVerifyRequest"),
    ("mote", "ClientHello"),
    ("peer", "ServerHello"),
    ("mote", "Certificate"),
    ("peer", "ChangeCipherSpec"),
]


@pytest.fixture(scope="module")
def ecdhe_runs() -> tuple[SetupRun, SetupRun]:
    return run_setup("ecdhe", seed=1, exchanges=1), run_setup("ecdhe", seed=1, exchanges=1)


def test_same_seed_gives_the_same_setup_run(ecdhe_runs):
    a, b = ecdhe_runs
    assert json.dumps(a.to_json(), sort_keys=True) == json.dumps(b.to_json(), sort_keys=True)


def test_phases_are_the_six_flights_then_the_exchange(ecdhe_runs):
    run, _ = ecdhe_runs
    assert [p.name for p in run.phases] == [f"flight {i}" for i in range(1, 7)] + ["exchange 1"]
    assert [(p.sender, p.messages[0]) for p in run.phases[:6]] == FLIGHTS
    f4, f5 = run.phases[3], run.phases[4]
    assert {"Certificate", "ServerKeyExchange", "CertificateRequest", "ServerHelloDone"} <= set(f4.messages)
    assert {"ClientKeyExchange", "CertificateVerify", "ChangeCipherSpec", "Finished"} <= set(f5.messages)
    # the P-256 work (verify, ECDH, sign) is in flights 4 and 5: far more CPU than the rest together
    rest = sum(p.cpu_ns for p in run.phases if p not in (f4, f5))
    assert f4.cpu_ns > 100 * rest and f5.cpu_ns > 100 * rest
    assert run.params["note"] == RADIO_NOTE and run.params["apps"] == ["tinydtls-ecc"]


def test_radio_is_the_datagrams_arithmetic(ecdhe_runs):
    run, _ = ecdhe_runs
    for p in run.phases:
        assert p.tx_ns + p.listen_ns == p.time_ns  # an always-on radio: listening whenever not sending
        assert p.cpu_ns + p.lpm_ns <= p.time_ns
        assert p.frames > 0 and p.bytes > 0
    # the server's certificate flight does not fit one 127-byte frame: 6LoWPAN fragments
    assert run.phases[3].fragments > 0


def test_radio_cost_by_hand():
    # 10 bytes of UDP payload from the mote: one frame (MAC header + FCS, IPHC, UDP NHC, payload)
    psdu = SHORT_DATA_HEADER_BYTES + 2 + IPHC_LINK_LOCAL + UDP_NHC_SHORT_PORTS + 10
    air = (6 + psdu) * 32  # SHR + PHR, 32 µs a byte at 250 kb/s
    got = radio_cost([(True, 10)], 10**9)
    assert got == {"tx_ns": (TURNAROUND_US + air) * 1000, "listen_ns": 10**9 - (TURNAROUND_US + air) * 1000,
                   "frames": 1, "fragments": 0}
    # 300 bytes from the peer: fragments; the mote sends one 5-byte acknowledgement per fragment
    n = len(datagram_frames(300))
    got = radio_cost([(False, 300)], 10**9)
    assert n > 1 and got["frames"] == got["fragments"] == n
    assert got["tx_ns"] == n * (TURNAROUND_US + (6 + 5) * 32) * 1000


def test_every_report_output_says_the_radio_is_modelled(ecdhe_runs, tmp_path):
    from tests.report.runs import esse_run

    rep = report.EnergyReport({"seed": 1, "exchanges": 1}, (report.KindResult("esse", esse_run(n=1)),
                                                             report.KindResult("ecdhe", ecdhe_runs[0])))
    text = report.text_report(rep)
    assert f"ecdhe  (seed 1)  [{RADIO_NOTE}]" in text
    assert any(line.strip().startswith("ecdhe set-up") and RADIO_NOTE in line for line in text.splitlines())
    report.write_outputs(rep, tmp_path, plots=True)
    with (tmp_path / "report.csv").open() as fh:
        rows = [r for r in csv.DictReader(fh) if r["kind"] == "ecdhe"]
    assert rows and all(r["note"] == RADIO_NOTE for r in rows)
    assert RADIO_NOTE in (tmp_path / "figure11.svg").read_text()
    kinds = json.loads((tmp_path / "report.json").read_text())["kinds"]
    assert kinds[1]["run"]["params"]["note"] == RADIO_NOTE
