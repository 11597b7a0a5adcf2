"""atheris (libFuzzer for Python) target: the delegator's datagram handling, coverage-guided.

Run as `python -m tests.fuzz.atheris_delegator [libFuzzer flags] [corpus dirs | input files]`
(tests/fuzz/fuzz_build.py does). The harness/ modules are instrumented, so the mutations follow the
Python branches: DTLS framing, the malformed-datagram filter, relay-table lookups, SSM<->CCS frame
parsing and its authentication. TinyDTLS (the handshake parser the client datagrams reach) is a cffi
C extension built without `-fsanitize=fuzzer-no-link`: it runs, but atheris sees no edges inside it.

Each input is a fresh delegator (its own relay database) fed a sequence of events, so an input means
the same run every time. Event (first byte % 4):
  0 client datagram: address index, length, bytes (a DTLS record header is prepended on odd index)
  1 raw frame from the CCS's address: length, bytes
  2 authenticated CCS frame (PSK_DN known here): KEY_ACK / ERROR / DELEGATE with fuzzed fields
  3 time step: the delegator's tick after 0..25.5 s of simulated time
A Python exception escaping a handler is a crash; so is a broken bound (half-open handshakes).
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import shutil
import sys
import tempfile
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the fixtures import `requirements`

with atheris.instrument_imports(include=["harness"]):
    from harness.clock import SimClock
    from harness.ssm import protocol
    from harness.ssm.delegator import Delegator
    from tests.ssm.harness_fixtures import PSK_DN, config

CCS_ADDR = ("127.0.0.1", 9)
DTLS_HEADS = (b"\x16\xfe\xfd", b"\x17\xfe\xfd")
WORK = Path(tempfile.mkdtemp(prefix="atheris-delegator-"))
atexit.register(shutil.rmtree, WORK, True)
LOOP = asyncio.new_event_loop()
logging.disable(logging.CRITICAL)  # a log line per bad datagram would dominate the run time


def ccs_frame(fdp: atheris.FuzzedDataProvider) -> bytes:
    """A KEY_ACK, ERROR or DELEGATE the CCS could have sent: sealed with PSK_DN, fields fuzzed."""
    kind = fdp.ConsumeIntInRange(0, 2)
    counter = fdp.ConsumeIntInRange(0, 2**32 - 1)
    sid = fdp.ConsumeBytes(8).ljust(8, b"\0")
    if kind == 0:
        return protocol.build_ack(PSK_DN, counter, fdp.ConsumeIntInRange(0, 2**32 - 1), sid)
    if kind == 1:
        return protocol.build_error(PSK_DN, protocol.SENDER_CCS, counter, fdp.ConsumeIntInRange(0, 255), sid)
    host = fdp.PickValueInList(["127.0.0.1", "::1", "192.0.2.1"])
    identity = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, protocol.MAX_IDENTITY))
    return protocol.build_delegate(PSK_DN, counter, host, fdp.ConsumeIntInRange(0, 65535), identity)


async def run_events(data: bytes) -> None:
    """One fresh delegator fed every event the input encodes."""
    fdp = atheris.FuzzedDataProvider(data)
    clock = SimClock()
    db = Path(tempfile.mkdtemp(dir=WORK)) / "relay.sqlite"
    async with Delegator(config(db, CCS_ADDR), clock=clock) as d:
        clients = 0
        while fdp.remaining_bytes() > 0:
            event = fdp.ConsumeIntInRange(0, 3)
            if event == 0:
                index = fdp.ConsumeIntInRange(0, 3)
                body = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 300))
                d._on_client_datagram(("127.0.0.1", 40000 + index), DTLS_HEADS[index & 1] + body
                                      if index & 1 else body)
                clients += 1
            elif event == 1:
                d._on_ccs_frame(CCS_ADDR, fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 200)))
            elif event == 2:
                d._on_ccs_frame(CCS_ADDR, ccs_frame(fdp))
            else:
                d.tick(clock.now() + fdp.ConsumeIntInRange(0, 255) / 10)
            await asyncio.sleep(0)  # let what the handlers scheduled run
            if d.handshakes_in_progress() > clients:
                half_open = d.handshakes_in_progress()
                raise AssertionError(f"{half_open} half-open handshakes from {clients} datagrams")
    for leftover in db.parent.iterdir():
        leftover.unlink()
    db.parent.rmdir()


def test_one_input(data: bytes) -> None:
    """libFuzzer's callback."""
    LOOP.run_until_complete(run_events(data))


def main() -> None:
    """Hand argv (libFuzzer flags, corpus dirs or input files) to atheris."""
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
