"""Bad `ssm.toml` files through `esse ssm run --config` (subprocess): exit 2, key named, no traceback."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from user_errors import assert_one_line_error, run_cli

from harness.ssm.config import ConfigError, from_dict, load

PSK = "00112233445566778899aabbccddeeff"
HEX32 = "11" * 32
GOOD = f"""
[ssm]
listen = ["127.0.0.1:0"]
db = "relay.sqlite"
[ccs.s1]
address = "127.0.0.1:61617"
psk_dn = "{PSK}"
[clients.alice]
key = "secretPSK"
ccs = "s1"
"""


def _with_ssm(line: str) -> str:
    return GOOD.replace('db = "relay.sqlite"', f'db = "relay.sqlite"\n{line}')


_BOOT = ('[bootstrap.controller]\nid = 1\nsk_cs = "000102030405060708090a0b0c0d0e0f"\n'
         'server = "127.0.0.1:5690"\n')

# (file text, text the one-line message must contain)
BAD: list[tuple[str, str]] = [
    (GOOD.replace('listen = ["127.0.0.1:0"]', "listen = 5684"), "ssm.listen"),
    (GOOD.replace('listen = ["127.0.0.1:0"]', 'listen = "127.0.0.1:5684"'), "ssm.listen"),
    (GOOD.replace('listen = ["127.0.0.1:0"]', "listen = []"), "ssm.listen"),
    (GOOD.replace('listen = ["127.0.0.1:0"]', 'listen = ["127.0.0.1:70000"]'), "0..65535"),
    (GOOD.replace('listen = ["127.0.0.1:0"]', 'listen = ["127.0.0.1:-1"]'), "ssm.listen"),
    (GOOD.replace('listen = ["127.0.0.1:0"]', 'listen = ["127.0.0.1"]'), "ssm.listen"),
    (GOOD.replace('listen = ["127.0.0.1:0"]', 'listen = ["127.0.0.1:https"]'), "ssm.listen"),
    (_with_ssm('ccs_listen = "127.0.0.1:99999"'), "ssm.ccs_listen"),
    (_with_ssm("ccs_listen = 5"), "ssm.ccs_listen"),
    (_with_ssm("max_handshakes = 0"), "ssm.max_handshakes"),
    (_with_ssm("max_handshakes = -5"), "ssm.max_handshakes"),
    (_with_ssm('max_handshakes = "many"'), "ssm.max_handshakes"),
    (_with_ssm("max_handshakes = 2.5"), "ssm.max_handshakes"),
    (_with_ssm("ack_retries = -1"), "ssm.ack_retries"),
    (_with_ssm("ack_timeout = 0"), "ssm.ack_timeout"),
    (_with_ssm("max_sessions_per_identity = 0"), "ssm.max_sessions_per_identity"),
    (_with_ssm('max_sessions_per_address = "2"'), "ssm.max_sessions_per_address"),
    (_with_ssm("handshake_timeout = -3.0"), "ssm.handshake_timeout"),
    (_with_ssm("idle_timeout = nan"), "ssm.idle_timeout"),
    (_with_ssm('cipher_suites = ["PSK_AES_256_GCM"]'), "ssm.cipher_suites"),
    (_with_ssm("cipher_suites = []"), "ssm.cipher_suites"),
    (_with_ssm('metrics = "localhost"'), "ssm.metrics"),
    (_with_ssm("colour = 1"), "ssm.colour: unknown key"),
    (GOOD.replace('db = "relay.sqlite"', 'db = "."'), "ssm.db"),
    (GOOD.replace('db = "relay.sqlite"', 'db = "ssm.toml/relay.sqlite"'), "ssm.db"),
    (GOOD.replace('db = "relay.sqlite"', 'db = ""'), "ssm.db"),
    (GOOD.replace(f'psk_dn = "{PSK}"', 'psk_dn = "zz112233"'), "ccs.s1.psk_dn"),
    (GOOD.replace(f'psk_dn = "{PSK}"', 'psk_dn = "0011"'), "ccs.s1.psk_dn"),
    (GOOD.replace('address = "127.0.0.1:61617"', 'address = "127.0.0.1:0"'), "ccs.s1.address"),
    (GOOD.replace('address = "127.0.0.1:61617"', 'address = "no.such.host.invalid:5683"'), "ccs.s1.address"),
    (GOOD.replace('address = "127.0.0.1:61617"\n', ""), "ccs.s1.address"),
    (GOOD.replace('key = "secretPSK"\n', ""), "clients.alice"),
    (GOOD.replace('key = "secretPSK"', 'key_hex = "xyz"'), "clients.alice.key_hex"),
    (GOOD.replace('ccs = "s1"', 'ccs = "s2"'), "unknown CCS"),
    (GOOD + "[bogus]\nx = 1\n", "bogus: unknown key"),
    (GOOD + f'[ecdsa]\nprivate = "{HEX32}"\npublic_x = "{HEX32}"\npublic_y = "12"\n', "ecdsa.public_y"),
    (GOOD + f'[ecdsa]\nprivate = "{HEX32}"\npublic_x = "{HEX32}"\n', "ecdsa.public_y"),
    (
        GOOD + f'[ecdsa]\nprivate = "{HEX32}"\npublic_x = "{HEX32}"\npublic_y = "{HEX32}"\n'
        f'[[ecdsa.clients]]\npublic_x = "{HEX32}"\npublic_y = "{HEX32}"\n',
        "ecdsa.clients[0].ccs",
    ),
    ('[outbound.web1]\nidentity = "s1"\n', "outbound.web1"),
    (GOOD + '[bootstrap.ccs.s1]\ndevice = 2\naddress = "127.0.0.1:61617"\n', "need [bootstrap.controller]"),
    (GOOD + _BOOT + '[bootstrap.ccs.s1]\ndevice = 70000\naddress = "127.0.0.1:1"\n',
     "bootstrap.ccs.s1.device"),
    (GOOD + _BOOT + '[bootstrap.ccs.s1]\ndevice = 2\naddress = "127.0.0.1:0"\n', "bootstrap.ccs.s1.address"),
    (GOOD + _BOOT + '[bootstrap.ccs.s1]\ndevice = 2\n', "bootstrap.ccs.s1.address: Field required"),
    (GOOD + _BOOT + '[bootstrap.ccs.s1]\ndevice = 2\naddress = "127.0.0.1:1"\nik = "00"\n',
     "bootstrap.ccs.s1.ik"),
    (GOOD + _BOOT + '[bootstrap.ccs.s1]\ndevice = 2\naddress = "127.0.0.1:1"\ncolour = 1\n',
     "bootstrap.ccs.s1.colour: unknown key"),
    (GOOD + _BOOT.replace('sk_cs = "', 'sk_cs = "00'), "bootstrap.controller.sk_cs"),
    (GOOD + _BOOT + "[bootstrap.server]\nwindow = 5\n", "bootstrap.server.db: Field required"),
    (GOOD + _BOOT + '[bootstrap.server]\ndb = "as.sqlite"\nwindow = -1\n', "bootstrap.server.window"),
    (GOOD + _BOOT.replace("[bootstrap.controller]", "[bootstrap.controller]\ntimeout = true"),
     "bootstrap.controller.timeout: want a positive number of seconds"),
    (GOOD + _BOOT.replace("[bootstrap.controller]", '[bootstrap.controller]\nlisten = "::1"'),
     "bootstrap.controller.listen: '::1' is not HOST:PORT"),
    (GOOD + '[rd]\nlisten = "127.0.0.1:0"\ngrace = "long"\n', "rd.grace"),
    (_with_ssm("processes = 0"), "ssm.processes"),
    (_with_ssm("processes = -2"), "ssm.processes"),
    (_with_ssm('processes = "4"'), "ssm.processes"),
    (_with_ssm("processes = 1.5"), "ssm.processes"),
    (_with_ssm("processes = 100000"), "ssm.processes"),
    (_with_ssm("processes = 2") + _BOOT, "ssm.processes: more than 1 cannot be combined with [bootstrap]"),
    (_with_ssm("processes = 2") + '[rd]\nlisten = "127.0.0.1:0"\n[http]\nlisten = "127.0.0.1:0"\n',
     "ssm.processes"),
    ("[ssm\nlisten = 1", "not valid TOML"),
    ("\xff\xfe binary", "not UTF-8"),
]


def _run(config: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_cli("ssm", "run", "--config", str(config), cwd=cwd)



def test_corpus_size() -> None:
    """The issue asks for at least 30 bad configs."""
    assert len(BAD) + 3 >= 30


@pytest.mark.parametrize("text,needle", BAD, ids=[f"bad{i:02d}" for i in range(len(BAD))])
def test_bad_config_file(tmp_path: Path, text: str, needle: str) -> None:
    """Each bad file: exit 2 with one line naming the key, no traceback."""
    cfg = tmp_path / "ssm.toml"
    cfg.write_bytes(text.encode("latin-1") if "\xff" in text else text.encode())
    assert_one_line_error(_run(cfg, tmp_path), needle)


def test_missing_file(tmp_path: Path) -> None:
    """A config path that does not exist."""
    assert_one_line_error(_run(tmp_path / "nope.toml", tmp_path), "no such config file")


def test_directory(tmp_path: Path) -> None:
    """A directory given as the config."""
    assert_one_line_error(_run(tmp_path, tmp_path), "is a directory")


def test_unreadable(tmp_path: Path) -> None:
    """A file that exists but cannot be read (mode 0 for a normal user; /proc/self/mem, EIO, for root)."""
    if os.geteuid() == 0:
        assert_one_line_error(_run(Path("/proc/self/mem"), tmp_path), "cannot read")
        return
    cfg = tmp_path / "ssm.toml"
    cfg.write_text(GOOD)
    cfg.chmod(0)
    assert_one_line_error(_run(cfg, tmp_path), "cannot read")


def test_good_config_loads(tmp_path: Path) -> None:
    """The valid example loads with its values and defaults."""
    cfg = tmp_path / "ssm.toml"
    cfg.write_text(_with_ssm('metrics = "127.0.0.1:0"\nack_retries = 0\nprocesses = 3'))
    c = load(cfg)
    assert c.listen == [("127.0.0.1", 0)] and c.ack_retries == 0 and c.max_handshakes == 256
    assert c.processes == 3 and load_default_processes(tmp_path) == 1
    assert c.metrics == ("127.0.0.1", 0) and c.db == tmp_path / "relay.sqlite"
    assert c.clients[b"alice"].key == b"secretPSK" and c.ccs["s1"].psk_dn == bytes.fromhex(PSK)


def load_default_processes(tmp_path: Path) -> int:
    """`processes` of the example without the key."""
    cfg = tmp_path / "default.toml"
    cfg.write_text(GOOD)
    return load(cfg).processes


def test_from_dict_names_every_bad_key() -> None:
    """Several bad values in one file are all reported in the one line."""
    with pytest.raises(ConfigError) as err:
        from_dict({"ssm": {"max_handshakes": 0, "ack_retries": -1}})
    assert "ssm.max_handshakes" in str(err.value) and "ssm.ack_retries" in str(err.value)
    assert "\n" not in str(err.value)
