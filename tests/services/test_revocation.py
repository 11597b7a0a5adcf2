"""Revocation (issue 13 item 4) on real components, without the radio: the C device bootstraps over UDP with
the SSM's controller and AS (harness/services/stack.py), the stand-in CCS (the mote's C record layer and
SSM codec) serves behind the delegator with the PSK_DN it got, registers in the RD, and outside clients
read it over DTLS (TinyDTLS client of the host page, libcoap's coap-client-openssl). Then the operator
revokes through the host page's API:

- a sensor: its relay sessions are closed at the CCS (authenticated ERROR session-closed, while the key
  still holds), its PSK_DN is forgotten (new handshakes find no route), its RD entry is gone, and the AS
  refuses to bootstrap it (BOOT_ERROR "revoked", nothing stored) until it is enrolled again; then it
  bootstraps afresh to a new PSK_DN;
- a client identity: its sessions are closed, its handshakes refused, other clients go on."""

from __future__ import annotations

import asyncio
import json
import secrets
import socket
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import aiocoap
import pytest
from aiocoap.numbers import ContentFormat

from harness.bootstrap import messages as m
from harness.bootstrap.device import CDevice
from harness.services.stack import BootstrapSetup, SsmServices
from harness.ssm.config import ClientEntry, from_dict
from harness.ssm.delegator import Delegator
from harness.standin.ccs import StandinCcsServer
from harness.tinydtls.binding import DtlsError
from tests.ssm.harness_fixtures import need, run_tool

IK = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")
DEVICE = 7
LINKS = b'</sensors/temperature>;rt="temperature-c"'


def udp_exchange(port: int, datagram: bytes, answer: bool = True) -> bytes:
    """Send one datagram to the controller on loopback; its answer (or b"" when none is expected)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(datagram, ("127.0.0.1", port))
        return s.recv(256) if answer else b""


def http(url: str, method: str = "GET") -> tuple[int, Any]:
    """(status, JSON body) of an HTTP request to the host page."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=20) as r:  # noqa: S310
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


async def register(rd_port: int, ep: str) -> None:
    """A full RFC 9176 registration of `ep` with the temperature link (aiocoap client)."""
    ctx = await aiocoap.Context.create_client_context()
    try:
        msg = aiocoap.Message(code=aiocoap.POST, payload=LINKS, uri=f"coap://127.0.0.1:{rd_port}/rd?ep={ep}&lt=300")
        msg.opt.content_format = ContentFormat.LINKFORMAT
        assert (await ctx.request(msg).response).code == aiocoap.CREATED
    finally:
        await ctx.shutdown()


async def dtls_client(identity: str, key: bytes, port: int) -> Any:
    """A TinyDTLS client with a finished handshake through the delegator (kept open by the caller)."""
    from harness.tinydtls.binding import PskStore
    from harness.tinydtls.udp import DtlsClient

    client = await DtlsClient.create(psk=PskStore({identity.encode(): key}, identity=identity.encode()))
    await client.connect(("127.0.0.1", port), timeout=10)
    return client


def close_notified(client: Any, port: int) -> bool:
    """Whether the client's TinyDTLS stack got a close_notify alert from the session with the SSM."""
    from harness.tinydtls.binding import Alert

    return any(addr[1] == port and event == Alert.CLOSE_NOTIFY for addr, event, _ in client.events)


async def get_temperature(client: Any, port: int, timeout: float = 5.0) -> str:
    """GET /sensors/temperature inside the client's session; the payload text."""
    msg = aiocoap.Message(code=aiocoap.GET, uri_path=("sensors", "temperature"))
    msg.mtype, msg.mid, msg.token = aiocoap.CON, secrets.randbelow(65536), secrets.token_bytes(2)
    answer = aiocoap.Message.decode(await client.request(("127.0.0.1", port), bytes(msg.encode()), timeout))
    return str(answer.payload.decode())


class Sensor:
    """The device's two halves: the C bootstrapping code and, once it has PSK_DN, the stand-in CCS."""

    def __init__(self) -> None:
        self.dev = CDevice(IK, DEVICE)
        self.ccs: StandinCcsServer | None = None

    async def bootstrap(self, controller_port: int) -> bytes:
        """Run the exchange over UDP; start the stand-in CCS with the new PSK_DN before confirming."""
        request = self.dev.request(secrets.token_bytes(8))
        response = await asyncio.to_thread(udp_exchange, controller_port, request)
        psk, confirm = self.dev.accept(response)
        if self.ccs is not None:
            self.ccs.close()
        self.ccs = StandinCcsServer(psk)
        await self.ccs.start()
        await asyncio.to_thread(udp_exchange, controller_port, confirm, False)
        return psk


def test_revoking_a_sensor_and_a_client_through_the_page(tmp_path: Path) -> None:
    """Sensor revocation, refusal, re-enrolment and a fresh bootstrap; client revocation."""
    tool = need("coap-client-openssl", "libcoap3-bin")

    async def run() -> None:
        sensor = Sensor()
        cfg = from_dict({"ssm": {"listen": ["127.0.0.1:0"], "db": str(tmp_path / "relay.sqlite"),
                                 "ack_timeout": 0.5}})
        for ident, key in (("host", b"hostPSK"), ("dave", b"davesPSK"), ("erin", b"erinsPSK")):
            cfg.clients[ident.encode()] = ClientEntry(ident.encode(), key, "s7")
        setup = BootstrapSetup(
            id_c=1, sk_cs=bytes(range(16)), db=tmp_path / "as.sqlite", state=tmp_path / "ctl.sqlite",
            ccs_for=lambda d: (f"s{d}", sensor.ccs.address if sensor.ccs else ("127.0.0.1", 9)),
            devices={DEVICE: IK},
        )
        async with Delegator(cfg) as d, SsmServices(d, bootstrap=setup) as services:
            assert services.web is not None and services.repo is not None
            page = f"http://127.0.0.1:{services.web.port}"
            psk1 = await sensor.bootstrap(services.controller_port)
            assert await services.wait_installed(DEVICE, 10) == "s7"
            assert d.config.ccs["s7"].psk_dn == psk1
            await register(services.rd_port, "s7")
            uri = f"coaps://127.0.0.1:{d.client_port(4)}/sensors/temperature"
            # the page reads it (TinyDTLS client, one-shot) and so does libcoap; then two lasting sessions
            status, body = await asyncio.to_thread(http, f"{page}/api/value?ep=s7&path=/sensors/temperature")
            assert (status, body) == (200, {"value": "22.5 C"})
            rc, out, err = await run_tool(tool, "-B", "10", "-u", "dave", "-k", "davesPSK", uri)
            assert (rc, out.strip()) == (0, b"22.5 C"), err
            port = d.client_port(4)
            assert sensor.ccs is not None
            lingering = len(sensor.ccs.ccs.sessions)  # one-shot clients that left without close_notify
            dave = await dtls_client("dave", b"davesPSK", port)
            erin = await dtls_client("erin", b"erinsPSK", port)
            try:
                assert await get_temperature(dave, port) == await get_temperature(erin, port) == "22.5 C"
                assert len(sensor.ccs.ccs.sessions) == lingering + 2

                # a client identity: dave's session closed at the CCS, his handshakes refused, erin goes on
                status, body = await asyncio.to_thread(http, f"{page}/api/revoke?identity=dave", "POST")
                closed = body.pop("sessions_closed")
                assert (status, body) == (200, {"kind": "client", "name": "dave",
                                                "device": None, "rd_removed": 0, "as_revoked": False})
                await asyncio.sleep(0.3)
                # dave's lasting session, and his libcoap one if the SSM still held its row
                assert closed >= 1 and len(sensor.ccs.ccs.sessions) <= lingering + 1
                # the CCS told dave's DTLS stack (close_notify in his session, relayed by the SSM)
                assert close_notified(dave, port) and not close_notified(erin, port)
                assert sensor.ccs.ccs.stats["ssm_error_5"] == closed
                with pytest.raises(DtlsError, match="no established DTLS session"):  # closed, not silent
                    await get_temperature(dave, port, timeout=1.0)
                rc, out, _ = await run_tool(tool, "-B", "4", "-u", "dave", "-k", "davesPSK", uri)
                assert out.strip() != b"22.5 C"
                assert await get_temperature(erin, port) == "22.5 C"

                # the sensor: sessions closed, RD entry gone, no new session, bootstrapping refused
                status, body = await asyncio.to_thread(http, f"{page}/api/revoke?ep=s7", "POST")
                closed_s7 = body.pop("sessions_closed")
                assert (status, body) == (200, {"kind": "ccs", "name": "s7",
                                                "device": DEVICE, "rd_removed": 1, "as_revoked": True})
                await asyncio.sleep(0.3)
                assert closed_s7 >= 1 and sensor.ccs.ccs.sessions == {}
                assert close_notified(erin, port)
                # every session the CCS still held (at least dave's and erin's lasting ones): close_notify
                assert 2 <= d.stats["revoked_close_relayed"] <= closed + closed_s7
                assert sensor.ccs.ccs.stats["ssm_error_5"] == closed + closed_s7
                assert d.sessions() == [] and "s7" not in d.config.ccs
                with pytest.raises(DtlsError, match="no established DTLS session"):
                    await get_temperature(erin, port, timeout=1.0)
            finally:
                dave.close()
                erin.close()
            assert (await asyncio.to_thread(http, f"{page}/api/sensors")) == (200, [])
            rc, out, _ = await run_tool(tool, "-B", "4", "-u", "erin", "-k", "erinsPSK", uri)
            assert out.strip() != b"22.5 C" and d.stats["no_route"] >= 1
            before = services.repo.snapshot()
            refused = await asyncio.to_thread(
                udp_exchange, services.controller_port, sensor.dev.request(secrets.token_bytes(8))
            )
            assert refused == m.boot_error(DEVICE, "revoked")
            after = services.repo.snapshot()
            assert after == before  # nothing stored for a refused device
            # unknown names and bad queries are told apart
            assert (await asyncio.to_thread(http, f"{page}/api/revoke?ep=s7", "POST"))[0] == 404
            assert (await asyncio.to_thread(http, f"{page}/api/revoke?identity=nobody", "POST"))[0] == 404
            assert (await asyncio.to_thread(http, f"{page}/api/revoke", "POST"))[0] == 400

            # enrolled again by the operator: a fresh bootstrap, a new PSK_DN, served again
            services.repo.add_device(DEVICE, IK)
            psk2 = await sensor.bootstrap(services.controller_port)
            assert psk2 != psk1 and await services.wait_installed(DEVICE, 10) == "s7"
            rc, out, err = await run_tool(tool, "-B", "10", "-u", "erin", "-k", "erinsPSK", uri)
            assert (rc, out.strip()) == (0, b"22.5 C"), err
            # the operator's command line: `esse ssm revoke` talks to the running SSM's page
            esse = (sys.executable, "-m", "harness.cli", "ssm", "revoke")
            rc, out, err = await run_tool(*esse, "client", "erin", "--page", page)
            assert rc == 0 and out.startswith(b"client erin revoked: "), err
            rc, out, _ = await run_tool(tool, "-B", "4", "-u", "erin", "-k", "erinsPSK", uri)
            assert out.strip() != b"22.5 C"
            rc, out, err = await run_tool(*esse, "ccs", "nosuch", "--page", page)
            assert (rc, err.strip()) == (1, b"esse ssm revoke: no CCS named 'nosuch'")
            sensor.ccs.close()

    asyncio.run(run())


def test_openssl_client_sees_the_close_notify_of_a_revoked_session(tmp_path: Path) -> None:
    """A real outside DTLS stack (openssl s_client) in a lasting session: revoking its identity through
    the page makes the CCS's close_notify reach it (s_client -msg prints the alert it read)."""
    tool = need("openssl", "openssl")
    psk_dn = bytes(range(16))

    async def run() -> None:
        async with StandinCcsServer(psk_dn) as ccs:
            cfg = from_dict({
                "ssm": {"listen": ["127.0.0.1:0"], "db": str(tmp_path / "relay.sqlite"),
                        "cipher_suites": ["PSK_AES_128_CCM_8"]},
                "ccs": {"s1": {"address": f"{ccs.address[0]}:{ccs.address[1]}", "psk_dn": psk_dn.hex()}},
                "clients": {"oscar": {"key": "oscarsPSK", "ccs": "s1"}},
            })
            async with Delegator(cfg) as d, SsmServices(d) as services:
                assert services.web is not None
                port = d.client_port(4)
                proc = await asyncio.create_subprocess_exec(
                    tool, "s_client", "-dtls1_2", "-connect", f"127.0.0.1:{port}", "-psk_identity", "oscar",
                    "-psk", b"oscarsPSK".hex(), "-cipher", "PSK-AES128-CCM8", "-msg", "-quiet",
                    stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.STDOUT)
                assert proc.stdin is not None and proc.stdout is not None
                seen: list[bytes] = []

                async def read_until(marker: bytes) -> None:
                    while not any(marker in line for line in seen):
                        line = await proc.stdout.readline()  # type: ignore[union-attr]
                        if not line:
                            raise AssertionError(f"s_client ended before {marker!r}: {seen!r}")
                        seen.append(line)

                try:
                    # the hand-off is done when the CCS holds the session (s_client then waits on stdin)
                    await asyncio.wait_for(_until(lambda: len(ccs.ccs.sessions) == 1), 15)
                    page = f"http://127.0.0.1:{services.web.port}"
                    status, body = await asyncio.to_thread(http, f"{page}/api/revoke?identity=oscar", "POST")
                    assert (status, body["sessions_closed"]) == (200, 1)
                    # OpenSSL 3's -msg prints DTLS records as "Not TLS data": read the decrypted record
                    # s_client received (<<<) of content type 21 (alert) and its body 01 00 = warning,
                    # close_notify (RFC 5246 7.2)
                    alert = (b"<<< Not TLS data or unknown version (version=65277, content_type=21) "
                             b"[length 0002]")
                    await asyncio.wait_for(read_until(alert), 10)
                    i = next(i for i, line in enumerate(seen) if alert in line)
                    if len(seen) == i + 1:
                        seen.append(await asyncio.wait_for(proc.stdout.readline(), 5))
                    assert seen[i + 1].split() == [b"01", b"00"], seen[i:]
                    assert ccs.ccs.sessions == {} and d.sessions() == []
                finally:
                    if proc.returncode is None:
                        proc.kill()
                    await proc.wait()

    asyncio.run(run())


async def _until(cond: Any, step: float = 0.05) -> None:
    """Poll cond() until true (the caller bounds it with wait_for)."""
    while not cond():
        await asyncio.sleep(step)
