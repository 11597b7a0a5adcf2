"""esse emulated-mote: announces its RFC 2217 URL, serves a pyserial client, explains bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import serial

import harness

pytest.importorskip("harness.emulator.bsl_port", reason="emulator core not built")
ROOT = str(Path(harness.__file__).resolve().parents[1])


def _esse(*args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p))
    return subprocess.Popen([sys.executable, "-m", "harness.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def test_emulated_mote_announces_and_serves_an_rfc2217_port():
    proc = _esse("emulated-mote", "--duration", "15")
    try:
        assert proc.stdout is not None
        ready = proc.stdout.readline().split()
        assert ready[:2] == ["RFC2217", "READY"], ready
        url = ready[3].removeprefix("url=")
        assert url == f"rfc2217://127.0.0.1:{ready[2].removeprefix('port=')}"
        port = serial.serial_for_url(url, baudrate=9600, timeout=0.5)
        port.write(b"\x80")  # a factory-fresh mote is halted: nobody answers a BSL sync
        assert port.read(1) == b""
        port.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_emulated_mote_bad_firmware_is_a_clear_error(tmp_path):
    bad = tmp_path / "x.sky"
    bad.write_bytes(b"not an elf")
    proc = _esse("emulated-mote", "--firmware", str(bad), "--duration", "1")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "esse emulated-mote:" in err and "Traceback" not in err
