"""Issue 16 item 6: malformed datagrams give a bounded number of log lines with counts; the Prometheus
endpoint reports handshakes, relayed records and sessions after a real handshake and relay."""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from harness.ssm.droplog import malformed_reason
from tests.ssm.harness_fixtures import coap_get, need, run_tool, ssm_and_ccs, wait_until

FLOOD = 10_000


def _garbage(rng: random.Random, i: int) -> bytes:
    """Datagrams that are not DTLS: short, cut records, wrong version, wrong content type."""
    kind = i % 4
    if kind == 0:
        return rng.randbytes(rng.randrange(1, 13))
    body = rng.randbytes(rng.randrange(0, 40))
    if kind == 1:  # announces more than follows
        return bytes([22, 0xFE, 0xFD]) + bytes(8) + (len(body) + 5).to_bytes(2, "big") + body
    if kind == 2:  # TLS 1.2 version, not DTLS
        return bytes([22, 0x03, 0x03]) + bytes(8) + len(body).to_bytes(2, "big") + body
    return bytes([99, 0xFE, 0xFD]) + bytes(8) + len(body).to_bytes(2, "big") + body


def test_malformed_reason_oracle() -> None:
    """The classification of the four kinds, and a real ClientHello header passes."""
    rng = random.Random(1)
    assert [malformed_reason(_garbage(rng, i)) for i in range(4)] == ["short", "framing", "version", "type"]
    hello = bytes([22, 0xFE, 0xFF]) + bytes(8) + (3).to_bytes(2, "big") + b"\x01\x00\x00"
    assert malformed_reason(hello) is None


def test_flood_of_malformed_datagrams_logs_bounded_summary(tmp_path, rec, tinydtls, caplog) -> None:
    """10 000 malformed datagrams: at most a few log lines, one summary with the count and sources."""
    caplog.set_level(logging.DEBUG)
    rng = random.Random(16)

    async def go() -> None:
        async with ssm_and_ccs(tmp_path) as (d, _):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.setblocking(False)
            port = d.client_port(4)
            caplog.clear()
            for i in range(FLOOD):
                sock.sendto(_garbage(rng, i), ("127.0.0.1", port))
                if i % 200 == 0:
                    await asyncio.sleep(0)  # let the delegator read (the socket buffer is finite)
            counted = lambda: sum(v for k, v in d.stats.items() if k.startswith("malformed_"))  # noqa: E731
            await wait_until(lambda: counted() >= FLOOD * 0.9, timeout=20)
            await asyncio.sleep(0.2)
            d.summarise_drops()
            sock.close()
            lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
            summaries = [m for m in lines if m.startswith("dropped ")]
            assert len(lines) <= 5, lines
            assert len(summaries) == 1, lines
            assert f"dropped {counted()} malformed datagrams from 1 sources" in summaries[0]
            assert d.handshakes_in_progress() == 0

    asyncio.run(go())


def _scrape(host: str, port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=10) as r:
        text = r.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
    }


def test_metrics_after_real_handshake_and_relay(tmp_path, rec, tinydtls) -> None:
    """coap-client-openssl GETs through the delegator; /metrics counts it (and one garbage datagram)."""
    need("coap-client-openssl", "libcoap3-bin")

    async def go() -> None:
        async with ssm_and_ccs(tmp_path, metrics="127.0.0.1:0") as (d, _):
            host, port = d.metrics.address
            before = await asyncio.to_thread(_scrape, host, port)
            assert before[("esse_ssm_handshakes_completed_total", ())] == 0
            rc, out, err = await run_tool(*coap_get("coap-client-openssl", "127.0.0.1", d.client_port(4)))
            assert (rc, out.strip()) == (0, b"22.5 C"), err.decode()
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.sendto(b"\x00garbage", ("127.0.0.1", d.client_port(4)))
            await wait_until(lambda: d.stats["malformed_short"] == 1, timeout=5)
            m = await asyncio.to_thread(_scrape, host, port)
            assert m[("esse_ssm_handshakes_started_total", ())] >= 1
            assert m[("esse_ssm_handshakes_completed_total", ())] == 1
            assert m[("esse_ssm_relayed_records_total", (("direction", "to_ccs"),))] >= 1
            assert m[("esse_ssm_relayed_records_total", (("direction", "to_client"),))] >= 1
            assert m[("esse_ssm_handshake_failures_total", (("reason", "timeout"),))] == 0
            assert m[("esse_ssm_malformed_datagrams_total", (("reason", "short"),))] == 1
            assert m[("esse_ssm_sessions", ())] == 1
            assert m[("esse_ssm_half_open_handshakes", ())] == 0
            to_ccs = m[("esse_ssm_relayed_records_total", (("direction", "to_ccs"),))]
            assert to_ccs == d.stats["relayed_to_ccs"]

    asyncio.run(go())


def test_tinydtls_warnings_are_burst_limited(tmp_path, rec, tinydtls, caplog) -> None:
    """500 well-framed but too short handshake records (a TinyDTLS warning each): at most the burst
    reaches the log, the rest is one 'suppressed N' line."""
    from harness.ssm.delegator import TINYDTLS_LOG_BURST

    caplog.set_level(logging.DEBUG)
    n = 500

    async def go() -> None:
        async with ssm_and_ccs(tmp_path) as (d, _):
            caplog.clear()
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                for i in range(n):
                    rec_ = (
                        bytes([22, 0xFE, 0xFD, 0, 0])
                        + i.to_bytes(6, "big")
                        + (4).to_bytes(2, "big")
                        + b"\x01\x00\x00\x00"
                    )
                    s.sendto(rec_, ("127.0.0.1", d.client_port(4)))
                    if i % 50 == 0:
                        await asyncio.sleep(0)
            f = d._tinydtls_filter
            await wait_until(lambda: f.passed + f.suppressed >= n * 0.9, timeout=20)
            seen = f.passed + f.suppressed
            d.summarise_drops()
            tiny = [
                r for r in caplog.records if r.name == "harness.tinydtls" and r.levelno >= logging.WARNING
            ]
            assert len(tiny) == TINYDTLS_LOG_BURST
            assert [r.getMessage() for r in caplog.records if "suppressed" in r.getMessage()] == [
                f"suppressed {seen - TINYDTLS_LOG_BURST} TinyDTLS log lines"
            ]

    asyncio.run(go())
