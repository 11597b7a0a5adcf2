"""Negative paths of the delegator and the CCS: forged/replayed key material, unknown sessions, a CCS
that is gone, handshakes that never finish, a flood of half-open handshakes, lost final flights."""

from __future__ import annotations

import asyncio
import random
import socket

import pytest

from harness.clock import SimClock
from harness.ssm import protocol
from harness.ssm.delegator import Delegator
from harness.standin.ccs import StandinCcsServer
from harness.tinydtls.udp import DtlsClient
from tests.ssm.harness_fixtures import (
    CLIENT_ID,
    CLIENT_KEY,
    PSK_DN,
    coap_decode,
    coap_get,
    config,
    get_temperature,
    need,
    run_tool,
    ssm_and_ccs,
    wait_until,
)

pytestmark = pytest.mark.slow

GET_TEMP = get_temperature()


async def psk_client(d: Delegator, **kw) -> tuple[DtlsClient, tuple[str, int]]:
    """A PSK DTLS client for the delegator's IPv4 listener, and that listener's address."""
    from harness.tinydtls.binding import PskStore

    psk = PskStore({CLIENT_ID.encode(): CLIENT_KEY.encode()}, identity=CLIENT_ID.encode())
    return await DtlsClient.create(psk=psk, **kw), ("127.0.0.1", d.client_port(4))


def capture_ccs_frames(d: Delegator) -> list[bytes]:
    frames: list[bytes] = []
    send = d.ccs_transport.send

    def spy(addr, frame):
        frames.append(bytes(frame))
        send(addr, frame)

    d.ccs_transport.send = spy  # type: ignore[method-assign]
    return frames


def test_forged_and_replayed_key_material_rejected_by_ccs(tmp_path, rec, tinydtls):
    async def go():
        # simulated time stands still: no KEY_MATERIAL retransmission (ack_timeout) adds to the count
        async with ssm_and_ccs(tmp_path, clock=SimClock()) as (d, ccs):
            frames = capture_ccs_frames(d)
            for _ in range(2):
                c, server = await psk_client(d)
                await c.connect(server)
                c.close()
            await wait_until(lambda: d.stats["acks"] == 2)
            kms = [f for f in frames if f[0] == protocol.MSG_KEY_MATERIAL]
            assert len(kms) == 2 and ccs.ccs.stats["km_installed"] == 2
            attacker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                forged = bytearray(kms[1])
                forged[50] ^= 0x40
                attacker.sendto(bytes(forged), ccs.address)
                attacker.sendto(kms[0], ccs.address)  # an accepted counter, its session still held
                await wait_until(
                    lambda: ccs.ccs.stats["km_rejected_tag"] == 1 and ccs.ccs.stats["km_duplicate"] == 1
                )
                # only acknowledged again (as for a lost KEY_ACK): nothing installed, no record sequence
                # restarted
                assert ccs.ccs.stats["km_installed"] == 2
                # once the sessions are closed, a replay of their key material is refused outright
                assert d.revoke_client(CLIENT_ID.encode()) == 2
                await wait_until(lambda: ccs.ccs.stats[f"ssm_error_{protocol.ECODE_SESSION_CLOSED}"] == 2)
                attacker.sendto(kms[0], ccs.address)
                attacker.sendto(kms[1], ccs.address)
                await wait_until(lambda: ccs.ccs.stats["km_rejected_replay"] == 2)
                assert ccs.ccs.stats["km_installed"] == 2
            finally:
                attacker.close()

    asyncio.run(go())


def test_unknown_session_id_dropped_and_counted(tmp_path, rec, tinydtls):
    async def go():
        async with ssm_and_ccs(tmp_path) as (d, ccs):
            ccs.send(
                d.ccs_address,
                protocol.build_relay(protocol.MSG_RELAY, random.randbytes(8), b"\x17\xfe\xfd" + bytes(30)),
            )
            await wait_until(lambda: d.stats["unknown_session"] == 1)
            # the CCS is told (authenticated error) so it can free its side too
            await wait_until(lambda: ccs.ccs.stats["ssm_error_1"] == 1)
            assert d.stats["relayed_to_client"] == 0
            # frames from an address that is no configured CCS are not even parsed
            stranger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            relay = protocol.build_relay(protocol.MSG_RELAY, random.randbytes(8), b"x")
            stranger.sendto(relay, d.ccs_address)
            stranger.close()
            await wait_until(lambda: d.stats["frames_from_unknown_ccs"] == 1)

    asyncio.run(go())


def test_ccs_gone_session_freed(tmp_path, rec, tinydtls, caplog):
    """KEY_MATERIAL to a CCS that never answers is sent again each ack_timeout, then given up: driven by
    simulated time, so the figures are exact and nothing waits for a timer."""
    dead = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dead.bind(("127.0.0.1", 0))
    dead_addr = dead.getsockname()
    dead.close()  # nobody listens there any more

    async def go():
        clock = SimClock()
        cfg = config(tmp_path / "relay.sqlite", dead_addr, ack_timeout=1.0, ack_retries=2)
        async with Delegator(cfg, clock=clock) as d:
            c, server = await psk_client(d)
            try:
                await c.connect(server)
                await wait_until(lambda: d.stats["handoffs"] == 1)  # at simulated time 0
                clock.advance_to(0.5)
                assert d.stats["key_material_retransmits"] == 0 and len(d._pending_acks) == 1
                clock.advance_to(1.5)
                assert d.stats["key_material_retransmits"] == 1
                clock.advance_to(2.5)
                assert d.stats["key_material_retransmits"] == 2 and d.stats["ccs_gone"] == 0
                clock.advance_to(3.5)
                assert d.stats["ccs_gone"] == 1 and d.stats["key_material_retransmits"] == 2
                assert len(d.sessions()) == 0 and not d._pending_acks and d.tinydtls_peers() == 0
                # a record of the freed session goes nowhere; the client's new handshake, which the
                # delegator reads after it from the same socket, shows it was read (no wall-clock wait)
                c.send(server, GET_TEMP)
                c.restart_context()
                await c.connect(server)
                await wait_until(lambda: d.stats["handoffs"] == 2)
                assert c.received.empty() and d.stats["relayed_to_ccs"] == 0
            finally:
                c.close()

    with caplog.at_level("WARNING", logger="harness.ssm.delegator"):
        asyncio.run(go())
    assert any("did not acknowledge the key material" in r.message for r in caplog.records)


def test_idle_session_expires_on_simulated_clock(tmp_path, rec, tinydtls):
    """A relay session unused for idle_timeout is freed and the CCS told (ERROR session closed); one in
    use is kept. Simulated time: a day of idleness takes no wall time."""

    async def go():
        clock = SimClock(start=1_000.0)
        async with ssm_and_ccs(tmp_path, clock=clock, idle_timeout=3600.0) as (d, ccs):
            c, server = await psk_client(d)
            try:
                await c.connect(server)
                await wait_until(lambda: d.stats["acks"] == 1)
                clock.advance(3000.0)
                assert coap_decode(await c.request(server, GET_TEMP)).payload == b"22.5 C"  # touches it
                clock.advance(3000.0)  # 6000 s since the hand-off, 3000 s since last use
                assert len(d.sessions()) == 1 and d.stats["idle_expired"] == 0
                clock.advance(601.0)
                assert len(d.sessions()) == 0 and d.stats["idle_expired"] == 1
                await wait_until(lambda: ccs.ccs.stats["ssm_error_5"] == 1 and not ccs.ccs.sessions)
            finally:
                c.close()

    asyncio.run(go())


async def half_open(server: tuple, count: int) -> list[socket.socket]:
    """`count` clients that pass the cookie exchange (so the server keeps state) and then go silent."""
    from harness.tinydtls import binding

    socks = []
    loop = asyncio.get_running_loop()
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        s.setblocking(False)
        out: list[bytes] = []
        ctx = binding.DtlsContext(
            lambda a, dgram, out=out: out.append(dgram),  # type: ignore[misc]
            psk=binding.PskStore({b"alice": b"secretPSK"}, identity=b"alice"),
        )
        ctx.connect(server)
        s.sendto(out.pop(), server)
        hvr = await asyncio.wait_for(loop.sock_recv(s, 2048), 2)
        ctx.handle_message(server, hvr)
        s.sendto(out.pop(), server)  # ClientHello with the cookie; then silence
        ctx.free()
        socks.append(s)
    return socks


def test_handshake_that_never_finishes_is_freed(tmp_path, rec, tinydtls):
    async def go():
        clock = SimClock()
        async with ssm_and_ccs(tmp_path, clock=clock, handshake_timeout=5.0) as (d, _):
            socks = await half_open(("127.0.0.1", d.client_port(4)), 1)
            await wait_until(lambda: d.handshakes_in_progress() == 1 and d.tinydtls_peers() == 1)
            clock.advance_to(4.5)
            assert d.handshakes_in_progress() == 1 and d.stats["handshake_timeouts"] == 0
            clock.advance_to(5.5)
            assert d.handshakes_in_progress() == 0 and d.tinydtls_peers() == 0
            assert d.stats["handshake_timeouts"] == 1
            for s in socks:
                s.close()

    asyncio.run(go())


def test_thousand_half_open_handshakes_bounded_and_client_still_served(tmp_path, rec, tinydtls):
    need("coap-client-openssl", "libcoap3-bin")

    async def go():
        async with ssm_and_ccs(tmp_path, max_handshakes=128, hello_rate_per_source=1e6) as (d, _):
            socks = await half_open(("127.0.0.1", d.client_port(4)), 1000)
            try:
                await wait_until(lambda: d.stats["handshakes_started"] == 1000, 10)
                assert d.handshakes_in_progress() <= 128 and d.tinydtls_peers() <= 128
                assert d.stats["handshakes_evicted"] >= 1000 - 128
                rc, out, err = await run_tool(*coap_get("coap-client-openssl", "127.0.0.1", d.client_port(4)))
                assert (rc, out.strip()) == (0, b"22.5 C"), err.decode()
            finally:
                for s in socks:
                    s.close()

    asyncio.run(go())


def test_lost_final_flight_client_finished_handed_back(tmp_path, rec, tinydtls):
    """The delegator's CCS+Finished is lost: the client retransmits its flight; its epoch-1 Finished
    reaches the CCS, which hands it back; the delegator resends the cached (encrypted) final flight
    and never sends anything new on the handed-off session."""

    lost: list[bytes] = []

    def drop_first_final_flight(dgram: bytes) -> bool:
        if not lost and dgram[0] == 20:  # ChangeCipherSpec starts the server's final flight
            lost.append(dgram)
            return True
        return False

    async def go():
        async with ssm_and_ccs(tmp_path) as (d, ccs):
            c, server = await psk_client(d, drop=drop_first_final_flight)
            try:
                await c.connect(server, timeout=10)
                assert lost and d.stats["final_flight_resent"] >= 1
                assert ccs.ccs.stats["passback"] >= 1
                # the client may finish on the resend its epoch-0 retransmission earned, while the CCS's
                # HANDBACK of its Finished is still on its way (or in the open commit group)
                await wait_until(lambda: d.stats["handbacks"] >= 1)
                answer = coap_decode(await c.request(server, GET_TEMP))
                assert answer.payload == b"22.5 C"
            finally:
                c.close()

    asyncio.run(go())


def test_ssm_restart_relay_table_survives(tmp_path, rec, tinydtls):
    async def go():
        async with StandinCcsServer(PSK_DN) as ccs:
            cfg = config(tmp_path / "relay.sqlite", ccs.address)
            d = Delegator(cfg)
            await d.start()
            port = d.client_port(4)
            c, server = await psk_client(d)
            try:
                await c.connect(server)
                assert coap_decode(await c.request(server, GET_TEMP)).payload == b"22.5 C"
                sid = d.sessions()[0].session_id
                await d.stop()  # the SSM goes down; the client and the CCS keep their session

                cfg.listen = [("127.0.0.1", port)]
                d2 = Delegator(cfg)
                await d2.start()
                try:
                    assert [e.session_id for e in d2.sessions()] == [sid]
                    assert coap_decode(await c.request(server, GET_TEMP)).payload == b"22.5 C"
                    assert d2.stats["relayed_to_client"] == 1 and d2.stats["handoffs"] == 0
                finally:
                    await d2.stop()
            finally:
                c.close()

    asyncio.run(go())


def test_outbound_delegation(tmp_path, rec, tinydtls):
    """Paper 5.2: the CCS asks the SSM to handshake with an outside DTLS server for it, then talks to
    that server through the relay with the keys it received (role client)."""
    from harness.tinydtls import binding

    async def go():
        loop = asyncio.get_running_loop()
        got: list[bytes] = []
        holder: dict = {}

        class ServerProto(asyncio.DatagramProtocol):
            def datagram_received(self, data, addr):
                holder["ctx"].handle_message(addr, data)

        transport, _ = await loop.create_datagram_endpoint(ServerProto, local_addr=("127.0.0.1", 0))
        server_addr = transport.get_extra_info("sockname")

        def on_data(addr, data):
            got.append(data)
            holder["ctx"].write(addr, b"ack:" + data)

        holder["ctx"] = binding.DtlsContext(
            lambda a, d: transport.sendto(d, a[:2]),
            on_data=on_data,
            psk=binding.PskStore({b"sensor1": b"outboundPSK"}),
        )
        extra = {"outbound": {"web": {"identity": "sensor1", "key": "outboundPSK"}}}
        try:
            async with ssm_and_ccs(tmp_path, extra=extra) as (d, ccs):
                ccs.send(d.ccs_address, ccs.ccs.delegate_request(server_addr[0], server_addr[1], b"sensor1"))
                await wait_until(lambda: d.stats["acks"] == 1, 5)
                assert d.stats["outbound_requests"] == 1 and d.stats["handoffs"] == 1
                (sid,) = list(ccs.ccs.sessions)
                assert ccs.ccs.sessions[sid].role == 0  # the CCS is the DTLS client
                ccs.send(d.ccs_address, ccs.ccs.send_application(sid, b"reading=22.5"))
                await wait_until(
                    lambda: got == [b"reading=22.5"] and ccs.ccs.received == [b"ack:reading=22.5"]
                )
                assert not d._outbound_ctx and d.handshakes_in_progress() == 0
        finally:
            transport.close()
            holder["ctx"].free()

    asyncio.run(go())


def test_client_handshaking_again_replaces_its_session(tmp_path, rec, tinydtls):
    async def go():
        async with ssm_and_ccs(tmp_path, clock=SimClock()) as (d, ccs):  # exact counts: no retransmission
            c, server = await psk_client(d)
            try:
                await c.connect(server)
                await wait_until(lambda: d.stats["acks"] == 1)
                (first,) = [e.session_id for e in d.sessions()]
                # same address, new TinyDTLS state: a fresh ClientHello goes to TinyDTLS, not to the relay
                c.restart_context()
                await c.connect(server)
                await wait_until(lambda: d.stats["acks"] == 2 and ccs.ccs.stats["ssm_error_5"] == 1)
                (second,) = [e.session_id for e in d.sessions()]
                assert second != first and list(ccs.ccs.sessions) == [second]
                assert coap_decode(await c.request(server, GET_TEMP)).payload == b"22.5 C"
            finally:
                c.close()

    asyncio.run(go())


def test_key_material_retransmitted_after_a_later_message_is_installed(tmp_path, rec, tinydtls):
    """The hand-off replacing a session loses its KEY_MATERIAL on the way, the ERROR closing the old
    session (one counter higher) arrives: the retransmission must still be installed (the CCS's counter
    window). Before the window it was refused as a replay, the SSM gave up after its retries and the
    client's session was gone without an alert (what the SIGKILL test caught after restarts)."""

    async def go():
        async with ssm_and_ccs(tmp_path, ack_timeout=0.2) as (d, ccs):
            send = d.ccs_transport.send
            kms: list[bytes] = []

            def lossy(addr, frame):
                if frame[0] == protocol.MSG_KEY_MATERIAL:
                    kms.append(bytes(frame))
                    if len(kms) == 2:
                        return  # the second hand-off's first transmission is lost
                send(addr, frame)

            d.ccs_transport.send = lossy  # type: ignore[method-assign]
            c, server = await psk_client(d)
            try:
                await c.connect(server)
                await wait_until(lambda: d.stats["acks"] == 1)
                c.restart_context()
                await c.connect(server)
                await wait_until(lambda: d.stats["acks"] == 2)
                assert len(kms) >= 3 and kms[2] == kms[1]  # the same bytes again
                assert ccs.ccs.stats["ssm_error_5"] == 1 and ccs.ccs.stats["km_installed"] == 2
                assert ccs.ccs.stats["km_rejected_replay"] == 0
                assert coap_decode(await c.request(server, GET_TEMP)).payload == b"22.5 C"
            finally:
                c.close()

    asyncio.run(go())
