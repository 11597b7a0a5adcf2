"""Reading TOML config files for the user: one-line errors for missing, unreadable or invalid files,
and pydantic validation errors rendered as `key.path: what is allowed (got value)`."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError


def read_toml(path: Path, what: str = "config file") -> dict[str, Any]:
    """Parse a TOML file; ValueError with one line for missing / directory / unreadable / bad TOML."""
    if not path.exists():
        raise ValueError(f"{path}: no such {what}")
    if path.is_dir():
        raise ValueError(f"{path}: is a directory, not a {what}")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text (want a TOML {what})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from None


def _key_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<top>"


def describe_errors(exc: ValidationError) -> str:
    """One line naming every bad key path with what is allowed there (and the value given)."""
    parts = []
    for err in exc.errors():
        # pydantic adds validator tags to the location; the user did not write them
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        msg = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] != "missing" and not isinstance(err.get("input"), dict):
            msg += f" (got {err['input']!r})"
        parts.append(f"{_key_path(loc)}: {msg}")
    return "; ".join(dict.fromkeys(parts))
