"""A stand-in constrained CoAP sensor (CCS): the host build of the mote's C record layer and SSM
message codec behind UDP, serving CoAP. The real mote replaces it in a later issue; it runs the same C.

    python -m harness.standin.ccs --listen 127.0.0.1:61617 --psk-dn HEX

It installs sessions from key-material messages, answers CoAP requests (GET /sensors/temperature),
echoes any application data that is not a CoAP request (for `openssl s_client`), hands epoch-1
handshake records back to the SSM, and drops a session on close_notify.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import ipaddress
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiocoap
from aiocoap.error import UnparsableMessage
from aiocoap.numbers.codes import Code

from harness.hostfw.record import ensure_record_extension
from harness.udp import Address, open_udp, parse_hostport
from harness.wire.dtls import CT_ALERT, CT_APPLICATION_DATA
from harness.wire.ssm import (
    ECODE_CLOSE_ALERT,
    ECODE_SESSION_CLOSED,
    ECODE_UNKNOWN_SESSION,
    MSG_ERROR,
    MSG_HANDBACK,
    MSG_KEY_MATERIAL,
    MSG_RELAY,
    RELAY_HEADER,
    SESSION_ID_LEN,
    build_relay,
)

log = logging.getLogger("harness.standin.ccs")

MAX_SESSIONS = 64  # a mote has room for a handful; the stand-in is generous but bounded
COUNTER_RESERVE = 1024  # own counters reserved per counter-file write

Resource = Callable[[aiocoap.Message], tuple[Code, bytes]]
CONTENT_FORMAT_TEXT = 0  # text/plain; charset=utf-8


def temperature(_req: aiocoap.Message) -> tuple[Code, bytes]:
    """GET /sensors/temperature: a fixed reading."""
    return Code.CONTENT, b"22.5 C"


def response_to(request: aiocoap.Message, code: Code, payload: bytes = b"") -> aiocoap.Message:
    """Piggybacked ACK for a CON request, a NON for a NON one (message id derived, deterministic)."""
    response = aiocoap.Message(code=code, payload=payload)
    if payload:
        response.opt.content_format = CONTENT_FORMAT_TEXT
    if request.mtype == aiocoap.CON:
        response.mtype, response.mid = aiocoap.ACK, request.mid
    else:
        response.mtype, response.mid = aiocoap.NON, (request.mid + 1) & 0xFFFF
    response.token = request.token
    return response


class StandinCcs:
    """The CCS logic, transport-free: `handle(frame) -> frames to send back to the SSM`."""

    def __init__(
        self,
        psk_dn: bytes,
        resources: dict[str, Resource] | None = None,
        tx_counter: int = 0,
        counter_file: Path | None = None,
        max_sessions: int = MAX_SESSIONS,
    ) -> None:
        self.ffi, self.lib = ensure_record_extension()
        self.max_sessions = max_sessions
        self.link = self.ffi.new("esse_ssm_link_t *")
        # like the mote's information flash: the accepted SSM counter and a reserved own-counter mark
        # survive a restart, so old key material is refused and no CCM nonce comes back
        self.counter_file = counter_file
        self._rx, self._mark = self._load_counters()
        self.lib.esse_ssm_link_init(self.link, psk_dn, self._rx, max(tx_counter, self._mark))
        self.sessions: collections.OrderedDict[bytes, Any] = collections.OrderedDict()
        self.resources: dict[str, Resource] = resources or {"/sensors/temperature": temperature}
        self.stats: collections.Counter[str] = collections.Counter()
        self.received: list[bytes] = []  # application payloads, for tests
        self._buf = self.ffi.new("uint8_t[]", 2048)

    def _load_counters(self) -> tuple[int, int]:
        if self.counter_file is None or not self.counter_file.exists():
            return 0, 0
        try:
            rx, mark = (int(v) for v in self.counter_file.read_text().split())
        except ValueError:
            raise ValueError(f"{self.counter_file}: not a stand-in counter file ('RX TX_MARK')") from None
        return rx, mark

    def _persist(self, more: int) -> None:
        """Write the counters before a message that depends on them leaves (atomic rename)."""
        rx, tx = int(self.link.last_rx_counter), int(self.link.tx_counter)
        mark = self._mark if tx + more <= self._mark else tx + more + COUNTER_RESERVE
        if self.counter_file is None or (rx, mark) == (self._rx, self._mark):
            self._rx, self._mark = rx, mark
            return
        tmp = self.counter_file.with_suffix(".tmp")
        tmp.write_text(f"{rx} {mark}\n")
        os.replace(tmp, self.counter_file)
        self._rx, self._mark = rx, mark

    def close(self) -> None:
        """Wipe every session's keys and the link state."""
        for st in self.sessions.values():
            self.lib.esse_record_wipe(st)
        self.sessions.clear()
        self.lib.esse_ssm_link_wipe(self.link)

    def handle(self, frame: bytes) -> list[bytes]:
        """One frame from the SSM in, the frames to send back out."""
        if not frame:
            return []
        if frame[0] == MSG_KEY_MATERIAL:
            return self._key_material(frame)
        if frame[0] == MSG_RELAY and len(frame) >= RELAY_HEADER:
            return self._records(frame[1:RELAY_HEADER], frame[RELAY_HEADER:])
        if frame[0] == MSG_ERROR:
            return self._error(frame)
        self.stats["bad_frame"] += 1
        return []

    def _key_material(self, frame: bytes) -> list[bytes]:
        lib, ffi = self.lib, self.ffi
        msg = ffi.new("uint8_t[]", frame)
        ks = ffi.new("esse_keystate_t *")
        counter = ffi.new("uint32_t *")
        rc = lib.esse_km_open(self.link, msg, len(frame), ks, counter)
        try:
            if rc == lib.ESSE_KM_ERR_TAG:
                self.stats["km_rejected_tag"] += 1
                return []
            if rc == lib.ESSE_KM_ERR_REPLAY:
                self.stats["km_rejected_replay"] += 1
                return []
            if rc < 0:
                self.stats["km_rejected_other"] += 1
                return []
            sid = bytes(ks.session_id)
            replies: list[bytes] = []
            evicted: list[bytes] = []
            if rc == lib.ESSE_KM_OK:
                st = ffi.new("esse_record_t *")
                if lib.esse_record_install(st, ks) != lib.ESSE_REC_OK:
                    self.stats["km_bad_state"] += 1
                    return []
                self.sessions[sid] = st
                while len(self.sessions) > self.max_sessions:
                    # like the mote: tell the evicted session's client (close_notify, while we hold
                    # its keys) and, after the ACK, the SSM (ERROR session closed)
                    old_sid, old = self.sessions.popitem(last=False)
                    replies.append(self._seal(old, old_sid, CT_ALERT, b"\x01\x00"))
                    lib.esse_record_wipe(old)
                    evicted.append(old_sid)
                    self.stats["evicted"] += 1
                self.stats["km_installed"] += 1
            elif sid in self.sessions:
                self.stats["km_duplicate"] += 1  # its KEY_ACK was lost: acknowledge again
            else:
                self.stats["km_rejected_replay"] += 1  # an accepted counter, its session not held
                return []
            self._persist(1 + len(evicted))
            out = ffi.new("uint8_t[64]")
            n = lib.esse_km_ack(self.link, counter[0], sid, out, 64)
            replies += [bytes(ffi.buffer(out, n))] if n > 0 else []
            for old_sid in evicted:
                n = lib.esse_error_build(self.link, ECODE_SESSION_CLOSED, old_sid, out, 64)
                replies += [bytes(ffi.buffer(out, n))] if n > 0 else []
            return replies
        finally:
            lib.esse_keystate_wipe(ks)

    def _error(self, frame: bytes) -> list[bytes]:
        code = self.ffi.new("uint8_t *")
        sid = self.ffi.new(f"uint8_t[{SESSION_ID_LEN}]")
        if self.lib.esse_error_open(self.link, frame, len(frame), code, sid) != 0:
            self.stats["error_rejected"] += 1
            return []
        st = self.sessions.pop(bytes(sid), None)
        replies: list[bytes] = []
        if st is not None:
            if code[0] in (ECODE_SESSION_CLOSED, ECODE_CLOSE_ALERT):  # like the mote: tell the client
                replies.append(self._seal(st, bytes(sid), CT_ALERT, b"\x01\x00"))
            self.lib.esse_record_wipe(st)
        self.stats[f"ssm_error_{code[0]}"] += 1
        return replies

    def _records(self, sid: bytes, data: bytes) -> list[bytes]:
        lib, ffi = self.lib, self.ffi
        st = self.sessions.get(sid)
        if st is None:
            self.stats["unknown_session"] += 1
            self._persist(1)
            out = ffi.new("uint8_t[32]")
            n = lib.esse_error_build(self.link, ECODE_UNKNOWN_SESSION, sid, out, 32)
            return [bytes(ffi.buffer(out, n))] if n > 0 else []
        replies: list[bytes] = []
        buf = ffi.new("uint8_t[]", data) if len(data) > 2048 else self._buf
        ffi.memmove(buf, data, len(data))
        view = ffi.new("esse_record_view_t *")
        pos = 0
        while pos < len(data):
            rc = lib.esse_record_open(st, buf + pos, len(data) - pos, view)
            rlen = int(view.record_len)
            if rc == lib.ESSE_REC_PASSBACK:
                replies.append(build_relay(MSG_HANDBACK, sid, bytes(ffi.buffer(buf + pos, rlen))))
                self.stats["passback"] += 1
            elif rc == lib.ESSE_REC_OK:
                payload = bytes(ffi.buffer(view.payload, view.payload_len))
                if view.type == CT_APPLICATION_DATA and st.role == 0:
                    self.received.append(payload)  # outbound session: we are the client, this is the answer
                elif view.type == CT_APPLICATION_DATA:
                    answer = self._application(payload)
                    if answer is not None:
                        replies.append(self._seal(st, sid, CT_APPLICATION_DATA, answer))
                elif view.type == CT_ALERT:
                    self.stats["alerts"] += 1
                    if len(payload) == 2 and payload[1] == 0:  # close_notify: answer it, then forget
                        replies.append(self._seal(st, sid, CT_ALERT, b"\x01\x00"))
                        lib.esse_record_wipe(self.sessions.pop(sid))
                        return replies
            else:
                self.stats[f"record_error_{-rc}"] += 1
            if rlen == 0:
                break
            pos += rlen
        return replies

    def delegate_request(self, host: str, port: int, identity: bytes) -> bytes:
        """Outbound (paper 5.2): the DELEGATE message asking the SSM to handshake with host:port."""
        addr = ipaddress.ip_address(host).packed
        self._persist(1)
        out = self.ffi.new("uint8_t[96]")
        n = self.lib.esse_delegate_build(self.link, addr, len(addr), port, identity, len(identity), out, 96)
        if n < 0:
            raise ValueError(f"esse_delegate_build failed: {n}")
        return bytes(self.ffi.buffer(out, n))

    def send_application(self, sid: bytes, payload: bytes) -> bytes:
        """A RELAY frame carrying `payload` as application data on session `sid`."""
        return self._seal(self.sessions[sid], sid, CT_APPLICATION_DATA, payload)

    def _seal(self, st: Any, sid: bytes, ctype: int, payload: bytes) -> bytes:
        cap = len(payload) + 64
        out = self.ffi.new("uint8_t[]", cap)
        n = self.lib.esse_record_seal(st, ctype, payload, len(payload), out, cap)
        if n < 0:
            raise RuntimeError(f"esse_record_seal failed: {n}")
        return build_relay(MSG_RELAY, sid, bytes(self.ffi.buffer(out, n)))

    def _application(self, payload: bytes) -> bytes | None:
        self.received.append(payload)
        self.stats["app_records"] += 1
        try:
            req: aiocoap.Message | None = aiocoap.Message.decode(payload)
        except UnparsableMessage:
            req = None
        if req is None or not req.code.is_request() or req.mtype not in (aiocoap.CON, aiocoap.NON):
            return payload  # not CoAP: echo (lets openssl s_client exchange data both ways)
        handler = self.resources.get("/" + "/".join(req.opt.uri_path))
        if handler is None:
            code, body = Code.NOT_FOUND, b""
        elif req.code != Code.GET:
            code, body = Code.METHOD_NOT_ALLOWED, b""
        else:
            code, body = handler(req)
        self.stats["coap_requests"] += 1
        return bytes(response_to(req, code, body).encode())


class StandinCcsServer:
    """StandinCcs on a UDP socket (replies go to the frame's source, i.e. the SSM)."""

    def __init__(
        self, psk_dn: bytes, host: str = "127.0.0.1", port: int = 0, counter_file: Path | None = None,
        max_sessions: int = MAX_SESSIONS,
    ) -> None:
        self.ccs = StandinCcs(psk_dn, counter_file=counter_file, max_sessions=max_sessions)
        self.host, self.port = host, port
        self._transport: asyncio.DatagramTransport | None = None

    async def start(self) -> None:
        """Bind the UDP socket."""
        self._transport = await open_udp(self.host, self.port, self._on_frame)

    def _on_frame(self, src: Address, frame: bytes) -> None:
        try:
            replies = self.ccs.handle(frame)
        except Exception:  # noqa: BLE001
            log.exception("stand-in CCS failed on a frame")
            return
        assert self._transport is not None
        for r in replies:
            self._transport.sendto(r, src)

    def send(self, dst: Address, frame: bytes) -> None:
        """Send a frame the CCS starts itself (e.g. a DELEGATE request)."""
        assert self._transport is not None
        self._transport.sendto(frame, dst)

    @property
    def address(self) -> Address:
        """Where the stand-in listens."""
        assert self._transport is not None
        return self._transport.get_extra_info("sockname")

    def close(self) -> None:
        """Close the socket and wipe the sessions."""
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        self.ccs.close()

    async def __aenter__(self) -> StandinCcsServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


def command(
    listen: str, psk_dn: bytes, counter_file: Path | None = None, max_sessions: int = MAX_SESSIONS
) -> list[str]:
    """argv that runs the stand-in CCS as its own process (it prints "stand-in CCS on ..." when up)."""
    argv = [sys.executable, "-m", "harness.standin.ccs", "--listen", listen, "--psk-dn", psk_dn.hex()]
    argv += ["--max-sessions", str(max_sessions)] if max_sessions != MAX_SESSIONS else []
    return argv + (["--counters", str(counter_file)] if counter_file is not None else [])


async def _serve(args: argparse.Namespace) -> None:
    host, port = parse_hostport(args.listen)
    counters = Path(args.counters) if args.counters else None
    async with StandinCcsServer(
        bytes.fromhex(args.psk_dn), host, port, counter_file=counters, max_sessions=args.max_sessions
    ) as srv:
        print(f"stand-in CCS on {srv.address}", flush=True)
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> int:
    """`python -m harness.standin.ccs`: serve until interrupted."""
    p = argparse.ArgumentParser(prog="python -m harness.standin.ccs", description=__doc__.splitlines()[0])
    p.add_argument("--listen", default="127.0.0.1:61617", help="UDP host:port (default %(default)s)")
    p.add_argument("--psk-dn", required=True, help="PSK shared with the SSM, 32 hex digits")
    p.add_argument(
        "--counters",
        metavar="FILE",
        help="anti-replay/nonce counter file kept across restarts (like the mote's information flash)",
    )
    p.add_argument("--max-sessions", type=int, default=MAX_SESSIONS,
                   help="sessions held before the least recently used is evicted (default %(default)s)")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    if args.max_sessions < 1:
        p.error("--max-sessions must be at least 1")
    try:
        if len(bytes.fromhex(args.psk_dn)) != 16:
            raise ValueError
    except ValueError:
        p.error("--psk-dn must be 16 bytes as 32 hex digits")
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO)
    try:
        asyncio.run(_serve(args))
    except KeyboardInterrupt:
        pass
    except ValueError as exc:  # e.g. a counter file that is not ours
        print(f"stand-in CCS: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
