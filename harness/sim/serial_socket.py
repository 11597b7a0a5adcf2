"""Each mote's UART1 as a TCP server (Cooja SerialSocketServer semantics).

* Listens on 127.0.0.1, port 60000 + mote id by default (0 picks a free port, for tests).
* One client at a time: while one is connected, further connections are accepted and closed at once.
* Raw bytes both ways: bytes from the client are queued to the mote's UART RX through the engine
  (which paces them at the UART byte time); bytes the mote sends go to the client as they appear.
  Bytes the mote sends while no client is connected are dropped, as in Cooja.
* When listening, the server announces `SERIAL READY id=<id> port=<port>` (stdout by default) and
  calls the `on_ready` callbacks, so `serial.serial_for_url("socket://127.0.0.1:<port>")` can connect.
"""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.sim.engine import Engine

DEFAULT_BASE_PORT = 60000


class SerialSocketServer:
    """A mote's UART1 as a TCP server (see the module docstring)."""

    def __init__(
        self,
        mote_id: int,
        deliver: Callable[[int, bytes], None],
        port: int | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.mote_id = mote_id
        self._deliver = deliver
        self.requested_port = DEFAULT_BASE_PORT + mote_id if port is None else port
        self._host = host
        self._listener: socket.socket | None = None
        self._client: socket.socket | None = None
        self._lock = threading.Lock()
        self._client_changed = threading.Condition(self._lock)  # readiness for wait_for_client()
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None
        self.port: int | None = None
        self.bytes_to_mote = 0
        self.bytes_from_mote = 0

    def start(self, announce: Callable[[str], None] | None = None) -> int:
        """Listen and announce SERIAL READY; the port (OSError naming the mote and port if busy)."""
        try:
            self._listener = socket.create_server((self._host, self.requested_port), reuse_port=False)
        except OSError as exc:
            raise OSError(
                f"mote {self.mote_id}: cannot listen on {self._host}:{self.requested_port}: {exc.strerror}"
            ) from None
        self.port = self._listener.getsockname()[1]
        self._listener.settimeout(0.05)  # lets close() end the accept loop promptly
        self._thread = threading.Thread(target=self._serve, name=f"serial-socket-{self.mote_id}", daemon=True)
        self._thread.start()
        line = f"SERIAL READY id={self.mote_id} port={self.port}"
        if announce is None:
            print(line, file=sys.stdout, flush=True)
        else:
            announce(line)
        return self.port

    def wait_for_client(self, connected: bool = True, timeout: float = 10.0) -> bool:
        """Wait until a client is attached (or, with connected=False, none is); False on timeout."""
        with self._client_changed:
            return self._client_changed.wait_for(lambda: (self._client is not None) == connected, timeout)

    def send_to_client(self, data: bytes) -> None:
        """Called by the engine with bytes the mote sent on UART1."""
        self.bytes_from_mote += len(data)
        with self._lock:
            client = self._client
        if client is None:
            return
        try:
            client.sendall(data)
        except OSError:
            self._drop(client)

    def close(self) -> None:
        """Stop listening and drop the client."""
        self._closing.set()
        if self._listener is not None:
            try:
                self._listener.close()
            except OSError:
                pass
        with self._lock:
            client, self._client = self._client, None
            self._client_changed.notify_all()
        if client is not None:
            try:
                client.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            client.close()
        if self._thread is not None:
            self._thread.join(timeout=2)

    # ---- internals ----
    def _drop(self, client: socket.socket) -> None:
        with self._lock:
            if self._client is client:
                self._client = None
                self._client_changed.notify_all()
        try:
            client.close()
        except OSError:
            pass

    def _serve(self) -> None:
        assert self._listener is not None
        while not self._closing.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # listener closed
            conn.settimeout(None)
            with self._lock:
                busy = self._client is not None
                if not busy:
                    self._client = conn
                    self._client_changed.notify_all()
            if busy:
                conn.close()  # one client at a time
                continue
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._read_client, args=(conn,), daemon=True).start()

    def _read_client(self, conn: socket.socket) -> None:
        while True:
            try:
                data = conn.recv(4096)
            except OSError:
                data = b""
            if not data:
                self._drop(conn)
                return
            self.bytes_to_mote += len(data)
            self._deliver(self.mote_id, data)


def serial_ports_from_base(ports: dict[int, int], port_base: int) -> dict[int, int]:
    """The same motes' serial ports moved to `port_base` + mote id (0: every port picked by the OS)."""
    out = {mote_id: port_base + mote_id if port_base else 0 for mote_id in ports}
    bad = {m: p for m, p in out.items() if not 0 <= p <= 65535}
    if port_base < 0 or bad:
        mote_id = min(bad) if bad else min(out, default=0)
        raise ValueError(f"port base {port_base}: serial port {port_base + mote_id} for mote {mote_id} "
                         "outside 1..65535")
    return out


def attach_serial_servers(
    engine: Engine, ports: dict[int, int], announce: Callable[[str], None] | None = None
) -> list[SerialSocketServer]:
    """Start one server per mote in `ports` ({mote id: port}) and wire it to `engine`."""
    servers = []
    try:
        for mote_id, port in sorted(ports.items()):
            srv = SerialSocketServer(mote_id, engine.queue_uart_rx, port)
            engine.add_uart_tx_listener(mote_id, srv.send_to_client)
            srv.start(announce)
            servers.append(srv)
    except Exception:
        for s in servers:
            s.close()
        raise
    return servers
