"""`esse bootstrap`: enrol devices and controllers; bad values get a message naming the option, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

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
        (["add-device", "--id", "70000", "--ik", "00" * 16], "device id must be 0..65535"),
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
