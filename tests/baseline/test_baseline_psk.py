"""The baseline ESSE is compared against (issue 11 item 5): the CCS with the full TinyDTLS handshake on the
mote (ccs-full-psk), reached over 6LoWPAN through the same border router and bridge as the ESSE CCS. A real
client (coap-client-openssl, PSK) handshakes with the mote itself and gets the CoAP answer; tshark reads the
radio capture: the flights on the CCS's hop are RFC 6347's (with the cookie exchange) and RFC 4279's PSK
key exchange, and the big ones go out as 6LoWPAN fragments."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from harness.paths import COOJA_CONFIGS_DIR
from harness.proc import run
from harness.tinydtls.ccs_full_build import DTLS_PORT, PSK_IDENTITY, PSK_KEY
from harness.up import PREFIX, BaselineSystem, load_system
from tests.esse.esse_fixtures import temperature_text
from tests.ssm.harness_fixtures import need, run_tool

pytestmark = pytest.mark.slow
# always-on radio, and low-power listening (8 Hz channel checks, strobed sends) on both motes
SCENARIOS = ["baseline_psk.toml", "baseline_psk_lpl.toml"]
MOTE = 2
# RFC 5246 §7.4 handshake types; RFC 6347 §4.2.2 adds HelloVerifyRequest (3)
HANDSHAKE = {1: "ClientHello", 2: "ServerHello", 3: "HelloVerifyRequest", 12: "ServerKeyExchange",
             14: "ServerHelloDone", 16: "ClientKeyExchange"}  # fmt: skip


def tshark_layers(pcap: Path) -> list[dict[str, Any]]:
    """tshark's JSON layers of every radio frame (6LoWPAN context 0 = the bridge's prefix, DTLS on
    the baseline's port)."""
    argv = ["tshark", "-r", str(pcap), "-n", "-T", "json", "--no-duplicate-keys",
            "-o", f"6lowpan.context0:{PREFIX}", "-d", f"udp.port=={DTLS_PORT},dtls"]  # fmt: skip
    return [p["_source"]["layers"] for p in json.loads(run(argv, timeout=120).stdout)]


def as_list(v: Any) -> list[Any]:
    """tshark gives one value or a list of them."""
    return v if isinstance(v, list) else [v]


def record_labels(dtls: Any) -> list[str]:
    """One label per DTLS record of a datagram: the handshake type, ChangeCipherSpec, Finished (the
    encrypted handshake message of epoch 1), ApplicationData or Alert."""
    labels = []
    for layer in as_list(dtls):
        for rec in as_list(layer.get("dtls.record", [])):
            ctype, epoch = int(rec["dtls.record.content_type"]), int(rec["dtls.record.epoch"])
            if ctype == 20:
                labels.append("ChangeCipherSpec")
            elif ctype == 21:
                labels.append("Alert")
            elif ctype == 23:
                labels.append("ApplicationData")
            elif epoch > 0:
                labels.append("Finished")
            else:
                hs = rec["dtls.handshake"]
                labels.append(HANDSHAKE.get(int(as_list(hs)[0]["dtls.handshake.type"]), "?"))
    return labels


def flights(layers: list[dict[str, Any]]) -> list[tuple[str, list[str], int, int]]:
    """The DTLS exchange on the CCS's hop grouped into flights: (direction 'to mote'/'from mote', record
    labels, datagrams, radio frames incl. 6LoWPAN fragments). A datagram repeated at once (a
    retransmission) counts once."""
    out: list[tuple[str, list[str], int, int]] = []
    last: dict[str, str] = {}
    pending = 0  # fragments seen before the frame that completes their datagram (one sender at a time)
    for lay in layers:
        udp = lay.get("udp", {})
        if not udp:
            pending += 1 if "6lowpan" in lay and "ipv6" not in lay else 0
            continue
        frames, pending = pending + 1, 0
        if DTLS_PORT not in (int(udp["udp.srcport"]), int(udp["udp.dstport"])) or "dtls" not in lay:
            continue
        direction = "from mote" if int(udp["udp.srcport"]) == DTLS_PORT else "to mote"
        payload = udp.get("udp.payload", "")
        if last.get(direction) == payload:
            continue
        last[direction] = payload
        labels = record_labels(lay["dtls"])
        if out and out[-1][0] == direction:
            d, lab, n, f = out[-1]
            out[-1] = (d, lab + labels, n + 1, f + frames)
        else:
            out.append((direction, labels, 1, frames))
    return out


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_coap_client_openssl_full_psk_handshake_with_the_mote(tmp_path: Path, scenario: str) -> None:
    tool = need("coap-client-openssl", "libcoap3-bin")
    need("tshark", "tshark")
    data = load_system(COOJA_CONFIGS_DIR / "scenarios" / scenario)
    answers: dict[str, tuple[int, str]] = {}

    async def go() -> BaselineSystem:
        async with BaselineSystem(data, tmp_path / "sim") as system:
            for path in ("sensors/temperature", ".well-known/core"):
                url = f"coaps://127.0.0.1:{system.dtls_port(MOTE)}/{path}"
                argv = [tool, "-B", "30", "-u", PSK_IDENTITY.decode(), "-k", PSK_KEY.decode(), url]
                rc, out, err = await run_tool(*argv, timeout=60)
                answers[path] = (rc, out.decode().strip() or err.decode()[-500:])
            return system

    system = asyncio.run(go())
    adc = int(data["motes"][MOTE - 1]["adc"]["temperature"])
    assert answers["sensors/temperature"] == (0, temperature_text(adc))
    rc, links = answers[".well-known/core"]
    assert rc == 0 and "</sensors/temperature>" in links and "</actuators/leds>" in links, links
    done = [line for line in system.mote_lines(MOTE) if "handshake done" in line]
    assert len(done) == 2, system.mote_lines(MOTE)  # one full handshake per client run, on the mote

    got = flights(tshark_layers(tmp_path / "sim" / "radio.pcap"))
    for d, lab, datagrams, frames in got[:6]:  # the report's figures: datagrams and frames per flight
        print(f"{d:9} {', '.join(lab):50} datagrams {datagrams} frames {frames}")
    hs = [(d, lab) for d, lab, _, _ in got][:6]
    assert hs == [
        ("to mote", ["ClientHello"]),
        ("from mote", ["HelloVerifyRequest"]),
        ("to mote", ["ClientHello"]),
        ("from mote", ["ServerHello", "ServerHelloDone"]),
        ("to mote", ["ClientKeyExchange", "ChangeCipherSpec", "Finished"]),
        ("from mote", ["ChangeCipherSpec", "Finished"]),
    ]
    # openssl's ClientHello does not fit one 802.15.4 frame: 6LoWPAN fragments it (RFC 4944 §5.3)
    assert got[0][3] > 1 and got[2][3] > 1
    # then the CoAP exchanges: one record each way per request, the second client run handshakes anew
    assert [lab for _, lab, _, _ in got[6:8]] == [["ApplicationData"], ["ApplicationData"]]
    assert sum(lab == ["ClientHello"] for _, lab, _, _ in got) == 4
