"""`esse ssm run --config FILE` and `python -m harness.standin.ccs` as separate processes, with a
real client: the daemon path the README/operators use."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import pytest

from harness.standin import ccs as standin_ccs
from tests.ssm.harness_fixtures import CLIENT_ID, CLIENT_KEY, PSK_DN, coap_get, need

pytestmark = pytest.mark.slow


def announced_port(line: str) -> int:
    """The loopback port in a readiness line ("... on ('127.0.0.1', 5684)" or "... on 127.0.0.1:5684")."""
    m = re.search(r"127\.0\.0\.1'?(?:, |:)(\d+)", line)
    assert m, line
    return int(m[1])


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

    # every port is picked by the OS (port 0) and read back from the readiness lines
    def start(argv: list[str]) -> subprocess.Popen:
        procs.append(subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        return procs[-1]

    procs: list[subprocess.Popen] = []
    try:
        standin = start(standin_ccs.command("127.0.0.1:0", PSK_DN))
        ccs_port = announced_port(wait_line(standin, "stand-in CCS on"))
        cfg = tmp_path / "ssm.toml"
        cfg.write_text(f"""
[ssm]
listen = ["127.0.0.1:0"]
ccs_listen = "127.0.0.1:0"
db = "relay.sqlite"

[ccs.kitchen]
address = "127.0.0.1:{ccs_port}"
psk_dn = "{PSK_DN.hex()}"

[clients.{CLIENT_ID}]
key = "{CLIENT_KEY}"
ccs = "kitchen"
""")
        ssm = start([sys.executable, "-m", "harness.cli", "ssm", "run", "--config", str(cfg)])
        dtls_port = announced_port(wait_line(ssm, "esse ssm: DTLS on"))
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
