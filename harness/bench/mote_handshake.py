"""Benchmark: a full DTLS handshake run by TinyDTLS on the emulated mote (the cost ESSE avoids).

    python -m harness.bench.mote_handshake [psk] [ecc]      (invoke tinydtls-mote-handshake)

Builds the profile, boots it on the emulator and lets it handshake as client with the host TinyDTLS
over the UART datagram link, then prints cycles, emulated seconds and datagrams per direction, and
the mote's energy per DTLS flight (harness.energy.flights: CPU from the cycle counts, radio from the
frames each flight would take over 802.15.4).
"""

from __future__ import annotations

import logging
import sys

from harness.energy.flights import flight_table
from harness.tinydtls.profiles import build_profile

FLIGHT_STEP = 20_000  # link polling slice (cycles): the resolution of the per-flight CPU figures
PSK_KEY = bytes(range(16))  # the psk/ecc profile app's demo credentials (handshake_main.c)


def host_kwargs(profile: str) -> dict:
    """The host TinyDTLS context's keyword arguments for a profile (psk or ecc)."""
    from harness.tinydtls.binding import Cipher, EcdsaKey, PskStore

    if profile == "psk":
        return {"psk": PskStore({b"mote": PSK_KEY})}
    return {
        "ecdsa_key": EcdsaKey.generate(),
        "verify_peer_key": lambda addr, x, y: True,
        "cipher_suites": [Cipher.ECDHE_ECDSA_AES_128_CCM_8],
    }


def record_cycles() -> tuple[int, int]:
    """Cycles to protect and to open one 9-byte CoAP record on the mote (record profile), each
    measured from one call's entry to the next call's entry (a 9-byte compare included)."""
    from harness.emulator.mote import Mote

    mote = Mote(build_profile("record").elf, node_id=1)
    for stop in ("protect", "unprotect"):
        if mote.run_until_pc(stop, 50_000_000).reason != "stop":
            raise RuntimeError(f"record profile never reached {stop}()")
        if stop == "protect":
            start = mote.now
    protect = mote.now - start
    mote.step()  # leave the breakpoint
    start = mote.now
    if mote.run_until_pc("unprotect", 50_000_000).reason != "stop":  # the forged-tag call
        raise RuntimeError("record profile never reached its second unprotect()")
    return protect, mote.now - start


def main(argv: list[str] | None = None) -> int:
    """Run the handshake benchmark for each profile given (default: psk, ecc); the exit status."""
    from harness.emulator.core_build import ensure_built as ensure_emulator
    from harness.tinydtls.extension import ensure_built as ensure_binding

    ensure_emulator()
    ensure_binding()
    from harness.tinydtls.mote_link import handshake_with_host

    # a host context that sees a retransmitted epoch-0 flight after its own epoch moved on warns
    # about it; that is expected while the mote computes for minutes, and noise in the figures
    logging.getLogger("harness.tinydtls").setLevel(logging.ERROR)
    profiles = (argv if argv is not None else sys.argv[1:]) or ["psk", "ecc"]
    protect, unprotect = record_cycles()
    print(f"record layer (record profile): protect {protect} cycles, open {unprotect} cycles per record")
    print(f"{'profile':<8}{'cycles':>14}{'mote s':>10}{'active cycles':>16}"
          f"{'to host':>12}{'to mote':>12}  (datagrams/bytes; retransmissions included)")
    flights = {}
    for name in profiles:
        elf = build_profile(name).elf
        r = handshake_with_host(elf, name, max_cycles=8_000_000_000, step=FLIGHT_STEP, **host_kwargs(name))
        hz = r.link.mote.mclk_hz
        up, down = r.datagrams("mote->host"), r.datagrams("host->mote")
        print(f"{name:<8}{r.handshake_cycles:>14}{r.handshake_cycles / hz:>10.2f}{r.active_cycles:>16}"
              f"{f'{len(up)}/{sum(map(len, up))}':>12}{f'{len(down)}/{sum(map(len, down))}':>12}")
        flights[name] = r.flights()
    for name, fl in flights.items():
        print(f"\n{name}: mote energy per DTLS flight (harness/energy/flights.py)\n"
              f"  CPU: active ns (the core's tracker), previous flight end to this one's\n"
              f"  (resolution {FLIGHT_STEP} cycles);\n"
              "  radio: the flight's 802.15.4 frames and their ACKs, 6LoWPAN-fragmented; no idle listening")
        for line in flight_table(fl):
            print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
