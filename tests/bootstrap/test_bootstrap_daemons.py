"""`esse bootstrap as` and `esse bootstrap controller` as separate processes (ports chosen by the OS), the C
device over real UDP, the controller's CCS table written with --keys-out."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

from harness.bootstrap import messages as m
from harness.bootstrap.device import CDevice
from harness.bootstrap.repository import Repository

from .conftest import IK, NODE, SK_CS

LISTENING = re.compile(r"listening on (\S+):(\d+)")


def start(args: list[str]) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "bootstrap", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    found = LISTENING.search(line)
    if found is None:
        proc.kill()
        raise AssertionError(f"{args[0]} did not start: {line!r}{proc.stdout.read()}")
    return proc, int(found.group(2))


def test_daemons_bootstrap_a_device(tmp_path: Path) -> None:
    db, keys = tmp_path / "as.sqlite", tmp_path / "ccs_keys.json"
    repo = Repository(db)
    repo.add_device(NODE, IK)
    repo.add_controller(1, SK_CS)
    repo.close()
    procs = []
    try:
        cfg = tmp_path / "ssm.toml"  # the AS from the [bootstrap.server] section, the controller from options
        cfg.write_text('[bootstrap.server]\ndb = "as.sqlite"\nlisten = "127.0.0.1:0"\n')
        as_proc, as_port = start(["as", "--config", str(cfg)])
        procs.append(as_proc)
        ctl_proc, ctl_port = start(
            [
                "controller",
                "--id",
                "1",
                "--sk",
                SK_CS.hex(),
                "--as",
                f"127.0.0.1:{as_port}",
                "--listen",
                "127.0.0.1:0",
                "--state",
                str(tmp_path / "ctl.sqlite"),
                "--keys-out",
                str(keys),
            ]
        )
        procs.append(ctl_proc)
        dev = CDevice(IK, NODE)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(10)
            s.sendto(dev.request(os.urandom(8)), ("127.0.0.1", ctl_port))
            response, _ = s.recvfrom(256)
            assert response[0] == m.BOOT_RESPONSE, response.hex()
            psk, confirm = dev.accept(response)
            s.sendto(confirm, ("127.0.0.1", ctl_port))
        deadline = time.monotonic() + 10
        while not keys.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert json.loads(keys.read_text()) == {str(NODE): psk.hex()}
        issued = Repository(db).issued(NODE)
        assert issued is not None and issued.psk == psk
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
