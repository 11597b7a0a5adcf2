"""Cycles per crypto operation on the emulated mote (`invoke bench-crypto-kat`): AES block, CCM record,
SHA-256 block, HMAC, PRF (with --ecc P-256 ECDH/ECDSA), measured by the crypto_kat firmware with
Timer_B, and what the ESSE hand-off costs the mote (harness/bench/crypto_kat.py drives the firmware).

    python -m harness.bench.crypto [--ecc]
"""

from __future__ import annotations

import random
import sys
import time

from harness.bench.crypto_kat import (
    HANDOFF_SPANS,
    KatMote,
    build_kat,
    ccm_payload,
    handoff_request,
    prf_payload,
)
from harness.energy.model import CURRENT_MA, SUPPLY_V


def bench(ecc: bool = False) -> tuple[list[tuple[str, int]], int]:
    """Cycle figures per operation on the emulated mote (spans measured by the firmware), and the
    mote's MCLK frequency (the board layer's calibrated DCO) to turn them into time and energy."""
    import hashlib

    rng = random.Random(1)
    kat = KatMote(build_kat("tinydtls", ecc=ecc))
    rows: list[tuple[str, int]] = []
    key, block = rng.randbytes(16), rng.randbytes(16)
    for cmd, impl in (("a", "dtls_record"), ("A", "tinydtls")):
        r = kat.request(cmd, key + block)
        rows += [(f"AES-128 key expansion ({impl})", r.spans[0]), (f"AES-128 block ({impl})", r.spans[1])]
    nonce, aad, data = rng.randbytes(12), rng.randbytes(13), rng.randbytes(64)
    for tag_len in (8, 16):
        r = kat.request("c", ccm_payload(key, tag_len, nonce, aad, data))
        rows.append((f"CCM seal 64 B, M={tag_len} L=3, +key expansion (dtls_record)", sum(r.spans)))
        o = kat.request("o", ccm_payload(key, tag_len, nonce, aad, r.data))
        rows.append((f"CCM open 64 B, M={tag_len} L=3, +key expansion (dtls_record)", sum(o.spans)))
        r = kat.request("C", ccm_payload(key, tag_len, nonce, aad, data))
        rows.append((f"CCM seal 64 B, M={tag_len} L=3, dtls_encrypt_params (tinydtls)", r.spans[0]))
        o = kat.request("O", ccm_payload(key, tag_len, nonce, aad, r.data))
        rows.append((f"CCM open 64 B, M={tag_len} L=3, dtls_decrypt_params (tinydtls)", o.spans[0]))
    h1 = kat.request("H", b"abc").spans[0]
    h9 = kat.request("H", b"a" * 9 * 64).spans[0]
    rows += [("SHA-256 'abc' (1 block)", h1), ("SHA-256 per extra 64-byte block", (h9 - h1) // 9)]
    mac = kat.request("h", b"\x00\x20" + bytes(32) + bytes(64))
    rows.append(("HMAC-SHA256 32 B key, 64 B data", mac.spans[0]))
    prf = kat.request("P", prf_payload(bytes(48), b"key expansion", bytes(32), bytes(32), 40))
    rows.append(("TLS PRF 40-byte key block", prf.spans[0]))
    rows += handoff_rows(kat, rng)
    if ecc:
        ecc_cycles = 3_000_000_000
        from cryptography.hazmat.primitives.asymmetric import ec

        d = rng.randrange(1, 2**255)
        rows.append(("P-256 public key d*G (ecc_gen_pub_key)", kat.request("G", d.to_bytes(32, "big"),
                                                                          ecc_cycles).spans[0]))
        peer = ec.derive_private_key(rng.randrange(1, 2**255), ec.SECP256R1()).public_key().public_numbers()
        rows.append(("P-256 ECDH", kat.request("E", d.to_bytes(32, "big") + peer.x.to_bytes(32, "big")
                                              + peer.y.to_bytes(32, "big"), ecc_cycles).spans[0]))
        h = hashlib.sha256(b"bench").digest()
        s = kat.request("T", d.to_bytes(32, "big") + h, ecc_cycles)
        rows.append(("ECDSA sign (dtls_ecdsa_create_sig_hash)", s.spans[0]))
        pub = ec.derive_private_key(d, ec.SECP256R1()).public_key().public_numbers()
        v = kat.request("V", pub.x.to_bytes(32, "big") + pub.y.to_bytes(32, "big") + h + s.data, ecc_cycles)
        rows.append(("ECDSA verify (dtls_ecdsa_verify_sig_hash)", v.spans[0]))
    return rows, kat.mote.mclk_hz


def record_rows(flavour: str) -> list[tuple[str, int]]:
    """One DTLS record both ways (CCM_8, 64-byte payload, key set-up included) and the hand-off, with the
    block cipher in software (`record`) or on the CC2420's stand-alone AES (`saes`)."""
    rng = random.Random(1)
    kat = KatMote(build_kat(flavour))
    key, block = rng.randbytes(16), rng.randbytes(16)
    a = kat.request("a", key + block)
    rows = [(f"AES-128 key set-up + first block ({flavour})", sum(a.spans))]
    nonce, aad, data = rng.randbytes(12), rng.randbytes(13), rng.randbytes(64)
    r = kat.request("c", ccm_payload(key, 8, nonce, aad, data))
    o = kat.request("o", ccm_payload(key, 8, nonce, aad, r.data))
    rows += [(f"record seal 64 B CCM_8 ({flavour})", sum(r.spans)),
             (f"record open 64 B CCM_8 ({flavour})", sum(o.spans))]
    return rows + [(f"{name} ({flavour})", c) for name, c in handoff_rows(kat, rng)]


def handoff_rows(kat: KatMote, rng: random.Random) -> list[tuple[str, int]]:
    """The ESSE hand-off on the mote (crypto_kat 'K'): what it runs instead of a handshake."""
    from harness.ssm.protocol import seal_key_material  # the SSM side, independent of the C one
    from harness.wire.ssm import KeyState

    ks = KeyState(rng.randbytes(8), 0xC0A8, 0xFEFD, 1, 1, 1, 1, 1, bytearray(rng.randbytes(16)),
                  bytearray(rng.randbytes(16)), bytearray(rng.randbytes(4)), bytearray(rng.randbytes(4)))
    psk_dn = rng.randbytes(16)
    km = bytes(seal_key_material(psk_dn, 1, ks.encode()))
    r = kat.request("K", handoff_request(psk_dn, 0, 0, km, rng.randbytes(16)))
    if not r.ok:
        raise RuntimeError(f"hand-off refused on the mote: err {r.error}")
    return [(f"ESSE hand-off: {name}", span) for name, span in zip(HANDOFF_SPANS, r.spans, strict=True)]


def handoff_energy(rows: list[tuple[str, int]], mclk_hz: int) -> list[str]:
    """The hand-off as flight rows with CPU and radio energy (harness.energy.flights)."""
    from harness.energy.flights import flight_table, handoff_flights
    from harness.wire.ssm import ACK_LEN, KM_LEN

    spans = dict(rows)
    opened = spans["ESSE hand-off: open KEY_MATERIAL"] + spans["ESSE hand-off: install record state"]
    acked = spans["ESSE hand-off: build KEY_ACK"]
    # the spans are cycles of code run after the DCO was calibrated, at one MCLK: ns by that rate
    return flight_table(handoff_flights(KM_LEN, ACK_LEN, opened * 10**9 // mclk_hz, acked * 10**9 // mclk_hz))


def main(argv: list[str] | None = None) -> int:
    """Print the figures (`--ecc`: also P-256, a few seconds more; `--saes`: records on the radio's AES)."""
    argv = sys.argv[1:] if argv is None else argv
    t0 = time.perf_counter()
    rows, mclk_hz = bench(ecc="--ecc" in argv)
    if "--saes" in argv:  # software AES vs the radio's stand-alone AES, record by record
        rows += record_rows("record") + record_rows("saes")
    width = max(len(n) for n, _ in rows)
    for name, cycles in rows:
        uj = cycles / mclk_hz * CURRENT_MA["CPU"] * SUPPLY_V * 1e3  # mA x V x s = mJ; x 1e3 = uJ
        ms = cycles / 3.9e6 * 1e3
        print(f"{name:<{width}}  {cycles:>12,} cycles  {ms:>10.2f} ms @3.9 MHz  {uj:>9.1f} uJ CPU")
    print("\nESSE hand-off on the mote, energy per message (the handshake it replaces: "
          "`invoke tinydtls-mote-handshake`)")
    for line in handoff_energy(rows, mclk_hz):
        print("  " + line)
    print(f"host time {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
