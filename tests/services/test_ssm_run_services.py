"""`esse ssm run` with [rd] and [http] listen: a libcoap client registers the stand-in CCS in the RD of
the running daemon, the host page's JSON lists it with the SSM's attributes and reads its value."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from harness.standin import ccs as standin_ccs
from tests.requirements import require
from tests.ssm.harness_fixtures import PSK_DN
from tests.ssm.test_cli_daemon import announced_port, wait_line

pytestmark = pytest.mark.slow


def register_and_list(tool: str, rd_port: int, http_port: int, ep: str) -> Any:
    """Register `ep` in the daemon's RD with libcoap's client; the host page's /api/sensors."""
    subprocess.run([tool, "-B", "5", "-m", "post", "-t", "40", "-e",
                    '</sensors/temperature>;rt="temperature-c"', f"coap://127.0.0.1:{rd_port}/rd?ep={ep}&lt=300"],
                   check=True, capture_output=True, timeout=20)
    with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/api/sensors", timeout=10) as r:
        return json.load(r)


def test_ssm_run_starts_rd_and_host_page(tmp_path: Path) -> None:
    """Registration over libcoap, then the page's JSON and a live value through the delegator."""
    tool = shutil.which("coap-client-notls")
    require(tool, "coap-client-notls (Debian libcoap3-bin) not installed")
    assert tool is not None
    procs: list[subprocess.Popen[str]] = []

    def start(argv: list[str]) -> subprocess.Popen[str]:
        procs.append(subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        return procs[-1]

    try:
        standin = start(standin_ccs.command("127.0.0.1:0", PSK_DN))
        ccs_port = announced_port(wait_line(standin, "stand-in CCS on"))
        cfg = tmp_path / "ssm.toml"
        cfg.write_text(f"""
[ssm]
listen = ["127.0.0.1:0"]
db = "relay.sqlite"
cipher_suites = ["PSK_AES_128_CCM_8"]

[rd]
listen = "127.0.0.1:0"

[http]
listen = "127.0.0.1:0"

[ccs.kitchen]
address = "127.0.0.1:{ccs_port}"
psk_dn = "{PSK_DN.hex()}"

[clients.web]
key = "webPSK"
ccs = "kitchen"
""")
        ssm = start([sys.executable, "-m", "harness.cli", "ssm", "run", "--config", str(cfg)])
        dtls_port = announced_port(wait_line(ssm, "esse ssm: DTLS on"))
        rd_port = announced_port(wait_line(ssm, "resource directory on"))
        http_port = announced_port(wait_line(ssm, "host page on"))
        sensors = register_and_list(tool, rd_port, http_port, "kitchen")
        assert [s["ep"] for s in sensors] == ["kitchen"]
        assert sensors[0]["ssm"] == f"coaps://127.0.0.1:{dtls_port}"
        assert sensors[0]["dtls"] == ["PSK_AES_128_CCM_8"]
        url = f"http://127.0.0.1:{http_port}/api/value?ep=kitchen&path=/sensors/temperature"
        with urllib.request.urlopen(url, timeout=20) as r:
            assert json.load(r) == {"value": "22.5 C"}
    finally:
        for p in procs:
            p.terminate()
            p.wait(5)


@pytest.mark.parametrize(("section", "message"), [
    ('[rd]\nlisten = "nowhere"\n', "rd.listen"),
    ('[rd]\nlisten = "127.0.0.1:0"\nlifetime = 3\n', "rd.lifetime: unknown key"),
    ('[rd]\nlisten = "127.0.0.1:0"\ngrace = -1\n', "rd.grace"),
    ('[http]\nlisten = "127.0.0.1:0"\n', "set [rd] listen too"),
    ('[rd]\nlisten = "127.0.0.1:0"\nssm_base = "coap://x"\n', "rd.ssm_base"),
])
def test_bad_services_config_is_a_clear_error(tmp_path: Path, section: str, message: str) -> None:
    """A bad [rd]/[http] value: exit 2 and a message naming the key, no traceback."""
    cfg = tmp_path / "ssm.toml"
    cfg.write_text('[ssm]\nlisten = ["127.0.0.1:0"]\n' + section)
    out = subprocess.run([sys.executable, "-m", "harness.cli", "ssm", "run", "--config", str(cfg)],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 2 and message in out.stderr and "Traceback" not in out.stderr, out.stderr


def test_ssm_base_overrides_the_listen_address() -> None:
    """rd.ssm_base is what the `ssm` attribute will say (a wildcard listen address is no client address)."""
    from harness.services.config import services_from_dict

    cfg = services_from_dict({"rd": {"listen": "[::]:5683", "ssm_base": "coaps://home.example:5684/"}})
    assert (cfg.rd_listen, cfg.rd_ssm_base) == (("::", 5683), "coaps://home.example:5684")
    assert cfg.http_listen is None


def test_ssm_run_starts_bootstrapping_from_ssm_toml(tmp_path: Path) -> None:
    """[bootstrap.controller], [bootstrap.server] and [bootstrap.ccs.s7] start the controller and the AS
    in `esse ssm run`: the C device bootstraps over UDP, gets its BOOT_ACK, the CCS table is written
    and the SSM now delegates s7 (its RD registration gets the `ssm` attribute)."""
    import secrets
    import socket

    from harness.bootstrap import messages as m
    from harness.bootstrap.device import CDevice

    tool = shutil.which("coap-client-notls")
    require(tool, "coap-client-notls (Debian libcoap3-bin) not installed")
    assert tool is not None
    ik = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")
    cfg = tmp_path / "ssm.toml"
    cfg.write_text(f"""
[ssm]
listen = ["127.0.0.1:0"]
db = "relay.sqlite"
[rd]
listen = "127.0.0.1:0"
[http]
listen = "127.0.0.1:0"
[bootstrap.controller]
id = 1
sk_cs = "000102030405060708090a0b0c0d0e0f"
server = "127.0.0.1:0"
listen = "127.0.0.1:0"
state = "controller.sqlite"
keys_out = "ccs_keys.json"
[bootstrap.server]
db = "as.sqlite"
listen = "127.0.0.1:0"
[bootstrap.ccs.s7]
device = 7
address = "127.0.0.1:61617"
ik = "{ik.hex()}"
""")
    ssm = subprocess.Popen([sys.executable, "-m", "harness.cli", "ssm", "run", "--config", str(cfg)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        ctl_port = announced_port(wait_line(ssm, "bootstrapping controller on"))
        rd_port = announced_port(wait_line(ssm, "resource directory on"))
        http_port = announced_port(wait_line(ssm, "host page on"))
        dev = CDevice(ik, 7)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(10)
            s.sendto(dev.request(secrets.token_bytes(8)), ("127.0.0.1", ctl_port))
            response = s.recv(256)
            psk, confirm = dev.accept(response)
            s.sendto(confirm, ("127.0.0.1", ctl_port))
            ack = s.recv(256)
        assert ack[0] == m.BOOT_ACK and dev.ack_match(dev.expect_ack(psk, response), ack) == 0
        assert json.loads((tmp_path / "ccs_keys.json").read_text()) == {"7": psk.hex()}
        sensors = register_and_list(tool, rd_port, http_port, "s7")
        assert [s["ep"] for s in sensors] == ["s7"] and sensors[0]["ssm"].startswith("coaps://127.0.0.1:")
    finally:
        ssm.terminate()
        ssm.wait(5)
