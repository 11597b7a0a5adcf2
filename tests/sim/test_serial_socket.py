"""Serial socket servers: pyserial's socket:// URL talks to a simulated mote's UART1."""

import socket
import threading

import pytest
import serial

from harness.sim.engine import Engine
from harness.sim.scripted import ScriptedMote
from harness.sim.serial_socket import SerialSocketServer, attach_serial_servers


@pytest.fixture
def running_echo():
    """An echo mote (id 3) in an engine running in real time in a background thread."""
    mote = ScriptedMote(3, echo_uart=True)
    mote.say(0, "booted")
    engine = Engine([mote])
    announced = []
    servers = attach_serial_servers(engine, {3: 0}, announce=announced.append)
    thread = threading.Thread(target=engine.run, kwargs={"speed": 1.0}, daemon=True)
    thread.start()
    yield engine, mote, servers[0], announced
    engine.stop()
    thread.join(timeout=5)
    for s in servers:
        s.close()


def test_pyserial_socket_url_echo(running_echo):
    engine, mote, server, announced = running_echo
    assert announced == [f"SERIAL READY id=3 port={server.port}"]
    with serial.serial_for_url(f"socket://127.0.0.1:{server.port}", timeout=2) as port:
        assert server.wait_for_client()
        port.write(b"ping 123\n")
        got = port.read_until(b"ping 123\n")
        assert got.endswith(b"ping 123\n")
    assert bytes(mote.uart_received) == b"ping 123\n"
    assert server.bytes_to_mote == 9


def test_one_client_at_a_time(running_echo):
    engine, mote, server, _ = running_echo
    with serial.serial_for_url(f"socket://127.0.0.1:{server.port}", timeout=2) as first:
        assert server.wait_for_client()  # the first is the client before the second knocks
        second = socket.create_connection(("127.0.0.1", server.port), timeout=2)
        assert second.recv(10) == b""  # closed straight away
        second.close()
        first.write(b"x\n")
        assert first.read_until(b"x\n").endswith(b"x\n")
    # after the first client leaves, a new one is served
    assert server.wait_for_client(connected=False)
    with serial.serial_for_url(f"socket://127.0.0.1:{server.port}", timeout=2) as again:
        again.write(b"y\n")
        assert again.read_until(b"y\n").endswith(b"y\n")


def test_default_port_is_60000_plus_id():
    assert SerialSocketServer(41, lambda i, d: None).requested_port == 60041
    assert SerialSocketServer(41, lambda i, d: None, port=0).requested_port == 0


def test_busy_port_is_a_clear_error(capsys):
    srv = SerialSocketServer(41, lambda i, d: None, port=0)
    port = srv.start()
    try:
        assert capsys.readouterr().out == f"SERIAL READY id=41 port={port}\n"
        clash = SerialSocketServer(41, lambda i, d: None, port=port)
        with pytest.raises(OSError, match=f"mote 41: cannot listen on 127.0.0.1:{port}"):
            clash.start()
    finally:
        srv.close()
