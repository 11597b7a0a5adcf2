"""A small, strict reader of Value Change Dumps (IEEE 1364-2005 clause 18, four-state VCD), written for
the tests from the standard's grammar, independent of harness/emulator/vcd.py: it checks the structure
(declarations before $enddefinitions, timestamps never going back, every change naming a declared
identifier with a value of its width) and returns each variable's changes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_DECL_KEYWORDS = {
    "$comment", "$date", "$enddefinitions", "$scope", "$timescale", "$upscope", "$var", "$version"
}
_VAR_TYPES = {"event", "integer", "parameter", "real", "realtime", "reg", "supply0", "supply1", "time",
              "tri", "triand", "trior", "trireg", "tri0", "tri1", "wand", "wire", "wor"}
_TIMESCALE = re.compile(r"^(1|10|100)\s*(s|ms|us|ns|ps|fs)$")


@dataclass
class Var:
    """One declared variable: its scope path, name, width, type and changes [(time, value)]."""

    scope: tuple[str, ...]
    name: str
    width: int
    kind: str
    changes: list[tuple[int, int | None]] = field(default_factory=list)

    @property
    def path(self) -> str:
        """scope.scope.name"""
        return ".".join((*self.scope, self.name))

    def value_at(self, t: int) -> int | None:
        """The value in force at time t (the last change at or before t)."""
        value = None
        for when, v in self.changes:
            if when > t:
                break
            value = v
        return value

    def intervals(self, end: int) -> list[tuple[int, int, int | None]]:
        """[(start, stop, value)] stretches, the last one ending at `end` (zero-length ones dropped)."""
        out = []
        for i, (when, v) in enumerate(self.changes):
            stop = self.changes[i + 1][0] if i + 1 < len(self.changes) else end
            if stop > when:
                out.append((when, stop, v))
        return out


@dataclass
class Vcd:
    """A parsed dump: timescale, variables by path, the last timestamp."""

    timescale: str
    vars: dict[str, Var]
    end: int
    comments: list[str]

    def __getitem__(self, path: str) -> Var:
        return self.vars[path]


def _value(token: str, width: int) -> int | None:
    digits = token.lower()
    if set(digits) <= {"x"} or set(digits) <= {"z"}:
        return None
    if not set(digits) <= {"0", "1"}:
        raise ValueError(f"value {token!r}: x/z mixed into a value is not expected here")
    if len(digits) > width:
        raise ValueError(f"value {token!r} wider than {width} bits")
    return int(digits, 2)


def read_vcd(text: str) -> Vcd:
    """Parse and check a VCD; ValueError on any deviation from the grammar."""
    tokens = text.split()
    i = 0
    scope: list[str] = []
    by_code: dict[str, list[Var]] = {}
    by_path: dict[str, Var] = {}
    timescale = ""
    comments: list[str] = []

    def until_end() -> list[str]:
        nonlocal i
        body = []
        while tokens[i] != "$end":
            body.append(tokens[i])
            i += 1
        i += 1
        return body

    while True:
        kw = tokens[i]
        if kw not in _DECL_KEYWORDS:
            raise ValueError(f"unexpected {kw!r} in the declarations")
        i += 1
        if kw == "$enddefinitions":
            until_end()
            break
        body = until_end()
        if kw == "$scope":
            if len(body) != 2 or body[0] not in {"module", "task", "function", "begin", "fork"}:
                raise ValueError(f"bad $scope {body}")
            scope.append(body[1])
        elif kw == "$upscope":
            if not scope:
                raise ValueError("$upscope without a scope")
            scope.pop()
        elif kw == "$timescale":
            timescale = "".join(body)
            if not _TIMESCALE.match(" ".join(body)) and not _TIMESCALE.match(timescale):
                raise ValueError(f"bad $timescale {timescale!r}")
        elif kw == "$comment":
            comments.append(" ".join(body))
        elif kw == "$var":
            if len(body) != 4 or body[0] not in _VAR_TYPES or not body[1].isdigit():
                raise ValueError(f"bad $var {body}")
            if not scope:
                raise ValueError(f"$var {body[3]} outside any scope")
            var = Var(tuple(scope), body[3], int(body[1]), body[0])
            if var.path in by_path:
                raise ValueError(f"{var.path} declared twice")
            by_path[var.path] = var
            by_code.setdefault(body[2], []).append(var)
    if scope:
        raise ValueError(f"scope {scope} not closed before $enddefinitions")
    if not timescale:
        raise ValueError("no $timescale")

    now: int | None = None
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        if tok.startswith("#"):
            t = int(tok[1:])
            if now is not None and t < now:
                raise ValueError(f"time goes back: #{t} after #{now}")
            now = t
            continue
        if tok in {"$dumpvars", "$dumpall", "$dumpon", "$dumpoff", "$end"}:
            if now is None:
                raise ValueError(f"{tok} before the first timestamp")
            continue
        if tok == "$comment":
            comments.append(" ".join(until_end()))
            continue
        if now is None:
            raise ValueError(f"value change {tok!r} before the first timestamp")
        if tok[0] in "bB":
            digits, code = tok[1:], tokens[i]
            i += 1
            targets = by_code.get(code)
            if not targets:
                raise ValueError(f"change of undeclared identifier {code!r}")
            for var in targets:
                if var.width == 1 and var.kind != "integer":
                    raise ValueError(f"vector value for the scalar {var.path}")
                var.changes.append((now, _value(digits, var.width)))
        elif tok[0] in "01xXzZ":
            code = tok[1:]
            targets = by_code.get(code)
            if not targets:
                raise ValueError(f"change of undeclared identifier {code!r}")
            for var in targets:
                if var.width != 1:
                    raise ValueError(f"scalar value for the {var.width}-bit {var.path}")
                var.changes.append((now, _value(tok[0], 1)))
        else:
            raise ValueError(f"unexpected {tok!r} in the value changes")
    if now is None:
        raise ValueError("no timestamp at all")
    return Vcd(timescale, by_path, now, comments)
