"""Backend 1: the MSP430 ROM bootstrap loader through python-msp430-tools' TelosB target.

One BSL session per mote: the TelosB entry sequence (I2C switch on DTR/RTS), mass erase (main and
information flash), program, verify by read-back, reset through the switch. The client runs as a
separate process (harness.flash.telosb_client: the library's TelosB target, see there why not its
own `-m` entry point), so several motes flash in parallel.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from harness.flash.runner import Capability, FlashRequest, Step

CLIENT_MODULE = "harness.flash.telosb_client"
CLIENT_TIMEOUT_S = 600.0


def port_slug(port: str) -> str:
    """A file-name-safe form of a port name or URL."""
    return re.sub(r"[^A-Za-z0-9]+", "_", port).strip("_") or "port"


def identity_text(request: FlashRequest) -> str:
    """One line naming what goes into information flash."""
    ident = request.identity
    if ident is None:
        in_image = any(a < 0x1100 and a + len(d) > 0x1000 for a, d in request.image.runs)
        return "information flash: " + ("as in the image" if in_image else "erased (no identity given)")
    parts = [f"node {ident.node_id}" if ident.node_id is not None else "no node id"]
    parts += [name for name, key in (("PSK_DN", ident.psk_dn), ("IK_d", ident.ik)) if key is not None]
    return "information flash: " + ", ".join(parts)


class MspBslBackend:
    """python-msp430-tools BSL client with its TelosB (Tmote Sky) target."""

    name = "msp430-bsl"
    capabilities = frozenset(
        {
            Capability.ERASE,
            Capability.PROGRAM,
            Capability.VERIFY,
            Capability.RESET,
            Capability.INFO_WRITE,
            Capability.PARALLEL,
        }
    )

    def __init__(self, python: str = sys.executable) -> None:
        self.python = python

    def hex_path(self, request: FlashRequest) -> str:
        """Where the merged image for this mote is written (deterministic, for the dry-run)."""
        stem = Path(request.image.source).stem
        return str(request.work_dir / f"{stem}-{port_slug(request.port)}.hex")

    def plan(self, request: FlashRequest) -> list[Step]:
        """Write the merged Intel HEX, then one BSL session: erase, program, verify, reset."""
        hex_path = self.hex_path(request)
        image = request.image
        write = Step(
            "write",
            f"image {image.source}: {image.size} bytes in {len(image.runs)} run(s), sha256 {image.digest()}; "
            + identity_text(request),
            path=hex_path,
            data=image.to_ihex().encode("ascii"),
        )
        # -e: mass erase (FCTL1 0xA506: main and information flash); -P program; -V read back and
        # compare; the client always ends with a reset through the switch (its default action).
        flags = ["-e", "-P"] + (["-V"] if request.verify else [])
        argv = (self.python, "-m", CLIENT_MODULE, "-p", request.port, "-v", *flags, "-i", "ihex", hex_path)
        actions = "mass erase, program" + (", verify" if request.verify else "") + ", reset"
        run = Step("run", f"BSL ({actions}) on {request.port}", argv=argv, timeout=CLIENT_TIMEOUT_S)
        return [write, run]

    def explain(self, request: FlashRequest, step: Step, returncode: int, output: str) -> str:
        """Turn the client's output into what went wrong and the state the mote is left in."""
        if step.kind != "run":
            return f"{step.what}: failed ({output.strip()})"
        after = output.split("An error occurred:", 1)[-1].strip().splitlines()
        err = [line.strip() for line in after if line.strip() and not line.startswith("Cleaning up")]
        detail = err[0] if err else f"exit status {returncode}"
        phase = "verify" if "Verify by file" in output else "program" if "Programming" in output else "start"
        low = output.lower()
        if returncode == 127 or "no module named" in low:
            return (f"the BSL client is missing ({detail}); install python-msp430-tools==0.10.0 "
                    "(it is in pyproject.toml)")
        if "could not open port" in low or "connection refused" in low or "errno 2" in low:
            return f"cannot open the port: {detail} (is the mote plugged in? see `esse motes`)"
        if "could not sync" in detail:
            return ("no answer from the bootstrap loader (sync failed): not a TelosB/"
                    "Tmote Sky, or the BSL entry through DTR/RTS did not work; the mote was not changed")
        lost_words = ("connection lost", "connection failed", "connection reset", "i/o error", "disconnected",
                      "not open", "broken pipe",
                      # RFC 2217: the port server (not the BSL) answers option negotiation, so its
                      # silence means the network port itself went away
                      "waiting for option")
        if any(w in low for w in lost_words):
            if phase == "start":
                return (f"the port closed before the bootstrap loader started ({detail}): another program "
                        "holds it (esse console, esse bridge?) or it was unplugged; the mote was not changed")
            return (f"the port vanished during {phase} ({detail}): the mote is left in its bootstrap "
                    "loader or reset with partly written flash; plug it back in and flash again")
        if "verify failed" in detail:
            return f"verify failed ({detail}): flash does not hold the image; flash again"
        if "DATA_NAK" in detail or "CMD_FAILED" in detail:
            if phase == "program":
                return ("the bootstrap loader refused to program a block (NAK): a flash write did not read "
                        "back (image outside flash, or flash not erased); the mote is left in its bootstrap "
                        "loader with partly written flash")
            return (f"the bootstrap loader refused a command at {phase} (NAK: wrong password or locked BSL); "
                    "the mote is left locked in its bootstrap loader, flash unchanged")
        if "unexpected answer: b''" in detail or "timeout" in low:
            return f"the bootstrap loader stopped answering during {phase} ({detail}); flash again"
        return f"BSL client failed during {phase}: {detail}"
