"""The key export patch: TinyDTLS server and client in-process; the exported state drives the C
record layer against TinyDTLS itself; retiring wipes the peer and sends nothing."""

from __future__ import annotations

import hashlib

import pytest

from harness.ssm import handshake

SERVER, CLIENT = ("127.0.0.1", 5684), ("127.0.0.1", 40000)


class Pair:
    def __init__(self, binding, suite):
        self.b = binding
        self.wire: list[tuple[str, bytes]] = []
        self.server_sent: list[bytes] = []
        self.got: dict[str, list[bytes]] = {"server": [], "client": []}
        self.connected: set[str] = set()
        psk = {b"alice": b"secretPSK"}
        self.server = binding.DtlsContext(
            lambda a, d: self._out("client", d),
            psk=binding.PskStore(psk),
            on_data=lambda a, d: self.got["server"].append(d),
            on_event=lambda a, e, level: self._ev("server", e),
            cipher_suites=[suite],
        )
        self.client = binding.DtlsContext(
            lambda a, d: self._out("server", d),
            psk=binding.PskStore(psk, identity=b"alice"),
            on_data=lambda a, d: self.got["client"].append(d),
            on_event=lambda a, e, level: self._ev("client", e),
            cipher_suites=[suite],
        )

    def _out(self, to: str, data: bytes) -> None:
        self.wire.append((to, data))
        if to == "client":
            self.server_sent.append(data)

    def _ev(self, who: str, event) -> None:
        if event == self.b.DtlsEvent.CONNECTED:
            self.connected.add(who)

    def pump(self) -> None:
        while self.wire:
            to, data = self.wire.pop(0)
            if to == "server":
                self.server.handle_message(CLIENT, data)
            else:
                self.client.handle_message(SERVER, data)

    def handshake(self) -> list[bytes]:
        self.client.connect(SERVER)
        seen: list[bytes] = []
        while self.wire:
            seen.append(self.wire[0][1])
            self.pump_one()
        assert self.connected == {"server", "client"}
        return seen

    def pump_one(self) -> None:
        to, data = self.wire.pop(0)
        (
            self.server.handle_message(CLIENT, data)
            if to == "server"
            else self.client.handle_message(SERVER, data)
        )


def randoms(datagrams: list[bytes]) -> tuple[bytes, bytes]:
    """client and server random from the last ClientHello and the ServerHello (plaintext epoch 0)."""
    client = server = b""
    for d in datagrams:
        if d[0] == 22 and d[3:5] == b"\0\0":
            if d[13] == 1:
                client = d[13 + 12 + 2 : 13 + 12 + 2 + 32]
            elif d[13] == 2:
                server = d[13 + 12 + 2 : 13 + 12 + 2 + 32]
    assert client and server
    return client, server


@pytest.mark.parametrize("suite_name,suite", [("PSK_AES_128_CCM_8", 0xC0A8), ("PSK_AES_128_CCM", 0xC0A4)])
def test_export_drives_the_c_record_layer(tinydtls, rec, suite_name, suite):
    b = tinydtls
    p = Pair(b, b.Cipher[suite_name])
    seen = p.handshake()
    s_ks = handshake.export_keys(p.server, CLIENT)
    c_ks = handshake.export_keys(p.client, SERVER)
    assert s_ks is not None and c_ks is not None
    cr, sr = randoms(seen)
    assert s_ks.session_id == c_ks.session_id == hashlib.sha256(cr + sr).digest()[:8]
    assert (s_ks.cipher_suite, s_ks.version, s_ks.role, s_ks.epoch) == (suite, 0xFEFD, 1, 1)
    assert (c_ks.role, c_ks.epoch) == (0, 1)
    assert (s_ks.next_send_seq, s_ks.recv_seq, s_ks.recv_window) == (1, 0, 1)  # sent and got one Finished
    assert s_ks.client_write_key == c_ks.client_write_key and s_ks.server_iv == c_ks.server_iv
    assert s_ks.client_write_key != s_ks.server_write_key

    # the C record layer takes over the server side
    ffi, lib = rec
    ks = ffi.new("esse_keystate_t *")
    lib.esse_keystate_decode(ks, bytes(s_ks.encode()))
    st = ffi.new("esse_record_t *")
    assert lib.esse_record_install(st, ks) == 0
    assert p.client.write(SERVER, b"GET temperature") == 15
    _, record = p.wire.pop()
    buf = ffi.new("uint8_t[]", record)
    view = ffi.new("esse_record_view_t *")
    assert lib.esse_record_open(st, buf, len(record), view) == 0
    assert bytes(ffi.buffer(view.payload, view.payload_len)) == b"GET temperature"
    out = ffi.new("uint8_t[128]")
    n = lib.esse_record_seal(st, 23, b"22.5 C", 6, out, 128)
    p.client.handle_message(SERVER, bytes(ffi.buffer(out, n)))
    assert p.got["client"] == [b"22.5 C"]


def test_wipe_and_retire_leave_no_key_material_and_send_nothing(tinydtls):
    b = tinydtls
    p = Pair(b, b.Cipher.PSK_AES_128_CCM_8)
    p.handshake()
    held = handshake.key_bytes_held(p.server, CLIENT)
    assert held is not None and held > 16
    peer = p.server.raw_peer(CLIENT)
    sec = b.lib.dtls_security_params(peer)
    assert any(bytes(b.ffi.buffer(sec.key_block, 40)))
    sent_before = len(p.server_sent)
    assert handshake.wipe_peer(p.server, CLIENT) == 0  # non-zero key bytes left in the peer
    assert not any(bytes(b.ffi.buffer(sec.key_block, int(b.lib.MAX_KEYBLOCK_LENGTH))))
    assert p.server.peer(CLIENT).state == b.PeerState.CLOSED
    assert handshake.export_keys(p.server, CLIENT) is None  # nothing left to export
    assert handshake.retire(p.server, CLIENT)
    assert p.server.raw_peer(CLIENT) is None and handshake.peer_count(p.server) == 0
    assert len(p.server_sent) == sent_before  # no close_notify: the sequence space is the CCS's now
    # TinyDTLS has no session left to send on: a write starts a new handshake (epoch 0 ClientHello)
    assert p.server.write(CLIENT, b"x") == 0
    new = p.server_sent[sent_before:]
    assert new and all(d[0] == 22 and d[3:5] == b"\0\0" and d[13] == 1 for d in new)
