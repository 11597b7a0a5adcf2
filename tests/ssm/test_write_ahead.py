"""Issue 16 item 4, deterministic parts: a hand-off is durable before anything that depends on it leaves
(the SSM's final flight, the KEY_MATERIAL), and a restarted SSM resends the stored KEY_MATERIAL, byte for
byte, so a session whose key material never left before the crash still relays afterwards."""

from __future__ import annotations

import asyncio
import socket

import pytest

from harness.ssm import protocol
from harness.ssm.delegator import Delegator
from harness.ssm.relay_table import RelayTable
from harness.standin.ccs import StandinCcsServer
from harness.wire.dtls import split_records
from tests.ssm.harness_fixtures import CLIENT_ID, CLIENT_KEY, PSK_DN, coap_decode, config, get_temperature

pytestmark = pytest.mark.slow
CT_CCS = 20  # ChangeCipherSpec


def has_change_cipher_spec(datagram: bytes) -> bool:
    return any(r.content_type == CT_CCS for r in split_records(datagram))


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("workers", [0, 2])
def test_key_material_lost_in_a_crash_is_resent_and_the_session_relays(
    tmp_path, rec, tinydtls, workers: int
) -> None:
    """In-process and with handshake workers alike."""
    from harness.tinydtls.binding import PskStore
    from harness.tinydtls.udp import DtlsClient

    async def go() -> None:
        port = free_udp_port()
        async with StandinCcsServer(PSK_DN) as ccs:
            cfg = config(tmp_path / "relay.sqlite", ccs.address)
            cfg.listen = [("127.0.0.1", port)]
            cfg.workers = workers
            server = ("127.0.0.1", port)
            sent_before_commit: list[int] = []
            d1 = Delegator(cfg)
            await d1.start()
            client_out = d1._sendto_client
            to_client: list[bytes] = []

            def client_spy(a, data, **kw):  # noqa: ANN001, ANN202, ANN003
                to_client.append(data)
                client_out(a, data, **kw)

            d1._sendto_client = client_spy  # type: ignore[method-assign]
            add = d1.table.add  # type: ignore[union-attr]

            def add_spy(entry, key_material=None):  # noqa: ANN001, ANN202
                sent_before_commit.append(len(to_client))
                add(entry, key_material)

            d1.table.add = add_spy  # type: ignore[union-attr, method-assign]
            # the crash: nothing reaches the CCS after the commit
            d1.ccs_transport.send = lambda addr, frame: None  # type: ignore[method-assign]
            psk = PskStore({CLIENT_ID.encode(): CLIENT_KEY.encode()}, identity=CLIENT_ID.encode())
            client = await DtlsClient.create(psk=psk)
            await client.connect(server, timeout=5)
            # the commit came before our last flight (ChangeCipherSpec + Finished) left
            assert len(sent_before_commit) == 1
            ccs_at = [i for i, dg in enumerate(to_client) if has_change_cipher_spec(dg)]
            assert ccs_at and min(ccs_at) >= sent_before_commit[0], (ccs_at, sent_before_commit)
            sid = d1.sessions()[0].session_id
            stored = RelayTable(tmp_path / "relay.sqlite").pending_key_material()
            assert [(s, c) for s, c, _ in stored] == [(sid, 1)]
            await d1.stop()
            assert ccs.ccs.stats["km_installed"] == 0

            async with Delegator(cfg) as d2:  # the restart resends what was stored
                answer = coap_decode(await client.request(server, get_temperature(), timeout=5))
                assert answer.payload == b"22.5 C"
                assert d2.stats["key_material_resumed"] == 1 and ccs.ccs.stats["km_installed"] == 1
                assert d2.table is not None and d2.table.pending_key_material() == []
                assert stored[0][2][0] == protocol.MSG_KEY_MATERIAL
            client.close()

    asyncio.run(go())
