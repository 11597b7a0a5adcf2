"""The floors of the harness, lowest first: written down once, checked by tests/test_layers.py.

A module may import from its own unit and from units on lower floors; never from a unit on a higher
floor, nor from a peer unit on its own floor (peers are independent of each other). A unit is a
package or top-level module of `harness`, or a module named here more precisely than its package
(`energy.model` is low, the rest of `energy` is high); the longest name that matches wins.
Nothing under harness/ or tasks.py imports from `tests`. A new package must be placed here.
"""

from __future__ import annotations

FLOORS: list[tuple[str, tuple[str, ...]]] = [
    # wire formats (no deps); the package's own metadata; this list
    ("ground", ("wire", "__init__", "layers")),
    # host plumbing without domain knowledge: source-tree paths, subprocesses, asyncio UDP sockets
    ("plumbing", ("paths", "proc", "udp", "configfile")),
    # time: wall clock on the asyncio loop, simulated time for the engine
    ("clock", ("clock",)),
    # energy accounting that needs no emulator: the Sky power model, then what is computed from it
    # (energy per DTLS flight; the firmware's energest lines, which `esse console` and the sim read)
    ("energy.model", ("energy.model",)),
    ("energy.accounting", ("energy.flights", "energy.energest", "energy.phases")),
    # building C for the host through cffi
    ("cffi", ("cffi_build",)),
    # firmware build for the mote; the host builds of firmware C (record layer, CCS codec)
    ("build", ("build", "hostfw")),
    ("emulator", ("emulator",)),
    ("target", ("target",)),
    ("sim", ("sim",)),
    ("tinydtls", ("tinydtls",)),
    # services built on the above, independent of each other
    ("services", ("ssm", "standin", "bridge", "flash", "bootstrap")),
    # the SSM's RD and host page, on the delegator (paper §3.2); `esse ssm run` starts them
    ("ssm services", ("services",)),
    # the whole system brought up from a scenario: simulation + bridge + SSM (`esse up`)
    ("system", ("up",)),
    # what reports on, measures or drives everything
    ("top", ("energy", "bench", "demo", "cli", "ssm.cli")),
]


def floor_of(unit: str) -> int:
    """Index of the floor a unit stands on; KeyError if the unit is not placed."""
    for index, (_, units) in enumerate(FLOORS):
        if unit in units:
            return index
    raise KeyError(unit)


def unit_of(module: str) -> str | None:
    """The unit a dotted module name below `harness` belongs to ("harness.ssm.protocol" -> "ssm"),
    the longest placed name that matches; for an unplaced package its first component; None outside
    harness."""
    parts = module.split(".")
    if parts[0] != "harness":
        return None
    rest = parts[1:] or ["__init__"]
    placed = {u for _, units in FLOORS for u in units}
    for n in range(len(rest), 0, -1):
        name = ".".join(rest[:n])
        if name in placed:
            return name
    return rest[0]
