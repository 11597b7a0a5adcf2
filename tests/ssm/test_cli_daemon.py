"""`esse ssm run --config FILE` and `python -m harness.standin.ccs` as separate processes, with a
real client: the daemon path the README/operators use."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

from harness.standin import ccs as standin_ccs
from tests.ssm.harness_fixtures import CLIENT_ID, CLIENT_KEY, PSK_DN, coap_get, need

pytestmark = pytest.mark.slow


def free_udp_port(host: str = "127.0.0.1") -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((host, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_line(proc: subprocess.Popen, needle: str, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if needle in line:
            return line
        if not line and proc.poll() is not None:
            break
    raise AssertionError(f"{proc.args!r} never printed {needle!r}")


def test_daemon_serves_coap_client(tmp_path, rec, tinydtls):
    need("coap-client-openssl", "libcoap3-bin")
    ccs_port, dtls_port = free_udp_port(), free_udp_port()
    cfg = tmp_path / "ssm.toml"
    cfg.write_text(f"""
[ssm]
listen = ["127.0.0.1:{dtls_port}"]
ccs_listen = "127.0.0.1:0"
db = "relay.sqlite"

[ccs.kitchen]
address = "127.0.0.1:{ccs_port}"
psk_dn = "{PSK_DN.hex()}"

[clients.{CLIENT_ID}]
key = "{CLIENT_KEY}"
ccs = "kitchen"
""")
    procs = [
        subprocess.Popen(
            standin_ccs.command(f"127.0.0.1:{ccs_port}", PSK_DN),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ),
        subprocess.Popen(
            [sys.executable, "-m", "harness.cli", "ssm", "run", "--config", str(cfg)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ),
    ]
    try:
        wait_line(procs[0], "stand-in CCS on")
        wait_line(procs[1], "esse ssm: DTLS on")
        out = subprocess.run(
            coap_get("coap-client-openssl", "127.0.0.1", dtls_port), capture_output=True, timeout=20
        )
        assert out.stdout.strip() == b"22.5 C", out.stderr
        assert (tmp_path / "relay.sqlite").exists()  # db path is relative to the config file
    finally:
        for p in procs:
            p.terminate()
            p.wait(5)


def test_bad_config_is_a_clear_error(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[clients.alice]\nkey = "x"\nccs = "nowhere"\n')
    out = subprocess.run(
        [sys.executable, "-m", "harness.cli", "ssm", "run", "--config", str(cfg)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 2
    assert "bad.toml" in out.stderr and "unknown CCS 'nowhere'" in out.stderr
