"""`esse bootstrap`: enrol devices and controllers; bad values get a message naming the option, exit 2."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from harness.bootstrap.config import controller_from_dict, server_from_dict
from harness.bootstrap.repository import Repository
from harness.cli import main

from .conftest import IK


def test_add_device_and_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "as.sqlite")
    assert main(["bootstrap", "add-device", "--db", db, "--id", "7", "--ik", IK.hex()]) == 0
    assert main(["bootstrap", "add-controller", "--db", db, "--id", "1", "--sk", "00" * 16]) == 0
    assert main(["bootstrap", "list", "--db", db]) == 0
    assert "device 7: IK_d only" in capsys.readouterr().out
    repo = Repository(db)
    assert repo.device_key(7) == IK and repo.controller(1) == (bytes(16), 0)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["add-device", "--id", "7", "--ik", "zz"], "--ik must be hex"),
        (["add-device", "--id", "7", "--ik", "00" * 15], "--ik must be 16 bytes"),
        (["add-device", "--id", "70000", "--ik", "00" * 16], "--id must be an integer 0..65535"),
        (["add-controller", "--id", "1", "--sk", "00"], "--sk must be 16 bytes"),
        (["controller", "--id", "1", "--sk", "00" * 16, "--as", "nowhere"], "--as must be HOST:PORT"),
    ],
)
def test_bad_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    if argv[0] != "controller":
        argv = [*argv, "--db", str(tmp_path / "as.sqlite")]
    assert main(["bootstrap", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


GOOD = """
[bootstrap.controller]
id = 1
sk_cs = "000102030405060708090a0b0c0d0e0f"
server = "127.0.0.1:5690"
listen = "[::1]:0"
state = "ctl.sqlite"
timeout = 5
keys_out = "keys.json"

[bootstrap.server]
db = "as.sqlite"
listen = "127.0.0.1:0"
window = 10
"""


def test_config_sections(tmp_path: Path) -> None:
    data = tomllib.loads(GOOD)
    ctl = controller_from_dict(data, tmp_path)
    assert (ctl.id, ctl.sk_cs, ctl.server, ctl.listen) == (
        1,
        bytes(range(16)),
        ("127.0.0.1", 5690),
        ("::1", 0),
    )
    assert (ctl.state, ctl.timeout, ctl.keys_out) == (
        str(tmp_path / "ctl.sqlite"),
        5.0,
        tmp_path / "keys.json",
    )
    srv = server_from_dict(data, tmp_path)
    assert (srv.db, srv.listen, srv.window) == (tmp_path / "as.sqlite", ("127.0.0.1", 0), 10.0)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'sk_cs = "000102030405060708090a0b0c0d0e0f"',
            'sk_cs = "0011"',
            "bootstrap.controller.sk_cs: want 16 bytes",
        ),
        ("id = 1", "id = -1", "bootstrap.controller.id: Input should be greater than or equal to 0"),
        ("id = 1", 'id = "one"', "bootstrap.controller.id: Input should be a valid integer"),
        ('server = "127.0.0.1:5690"', 'server = "::1"',
         "bootstrap.controller.server: '::1' is not HOST:PORT"),
        ("timeout = 5", "timeout = 0", "bootstrap.controller.timeout: Input should be greater than 0"),
        ("timeout = 5", "timout = 5", "bootstrap.controller.timout: unknown key"),
        ("id = 1\n", "", "bootstrap.controller.id: Field required"),
    ],
)
def test_config_bad_controller_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, message: str
) -> None:
    cfg = tmp_path / "ssm.toml"
    cfg.write_text(GOOD.replace(old, new, 1))
    assert main(["bootstrap", "controller", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_config_bad_server_values(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "ssm.toml"
    cfg.write_text(GOOD.replace("window = 10", "window = true"))
    assert main(["bootstrap", "as", "--config", str(cfg)]) == 2
    assert "bootstrap.server.window: want a positive number of seconds" in capsys.readouterr().err
    assert main(["bootstrap", "as", "--config", str(tmp_path / "nope.toml")]) == 2
    assert "no such config file" in capsys.readouterr().err
    cfg.write_text("[ssm]\n")
    assert main(["bootstrap", "as", "--config", str(cfg)]) == 2
    assert "no [bootstrap.server] section" in capsys.readouterr().err
    assert main(["bootstrap", "controller", "--id", "1"]) == 2
    assert "give --sk, --as" in capsys.readouterr().err
