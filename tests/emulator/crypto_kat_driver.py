"""Build and drive the crypto_kat firmware (firmware/apps/crypto_kat) on the emulator.

Two flavours of one firmware:
    record    the app.toml build: firmware/dtls_record AES-128 and CCM, and the MSPABI helpers
    tinydtls  the same plus the patched TinyDTLS crypto (rijndael, ccm, sha2, hmac, PRF and, with
              ecc=True, P-256 ECDH/ECDSA), built here because its tree lives under build/

    kat = KatMote(build_kat("tinydtls", ecc=True, build_root=tmp))
    reply = kat.request("a", key + block)          # -> Reply(ok=True, data=..., spans=[...])

The request framing and the reply line are described in firmware/apps/crypto_kat/kat.h.
Every expected value is computed by the caller in Python; this module only moves bytes.

Run as a script it prints the cycle figures per operation (a benchmark, not a test):
    python tests/emulator/crypto_kat_driver.py [--ecc]
"""

from __future__ import annotations

import os
import re
import struct
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness import paths
from harness.build import BuildResult, build_app, build_firmware
from harness.emulator.core_build import ensure_built

ensure_built()

from harness.emulator.mote import Mote, lib  # noqa: E402

APP_DIR = paths.APPS_DIR / "crypto_kat"
KAT_TINYDTLS_SOURCES = ["crypto.c", "ccm.c", "hmac.c", "aes/rijndael.c", "aes/rijndael_wrap.c", "sha2/sha2.c"]
KAT_GLUE_SOURCES = ["dtls_prng.c", "entropy_adc12.c"]  # TinyDTLS's PRNG, for ECDSA's random k
MAX_PAYLOAD = 640  # KAT_MAX_PAYLOAD in kat.h
REPLY = re.compile(rb"R (\S) (ok|err) (\S+)((?: \d+)*)\r?\n")
READY = re.compile(rb"KAT ready flavour=(\w+) span_overhead=(\d+)\r?\n")


def kat_seed(default: int) -> int:
    """The tests' random seed: fixed (reproducible) unless ESSE_KAT_SEED asks for another."""
    value = os.environ.get("ESSE_KAT_SEED", "")
    try:
        return int(value, 0) if value else default
    except ValueError:
        raise ValueError(f"ESSE_KAT_SEED must be an integer, got {value!r}") from None


def build_kat(flavour: str = "tinydtls", *, ecc: bool = False, build_root: Path | None = None) -> BuildResult:
    """Build the firmware; `record` is exactly the app.toml build, `tinydtls` adds TinyDTLS."""
    if flavour == "record":
        return build_app("crypto_kat", build_root=build_root)
    if flavour != "tinydtls":
        raise ValueError(f"unknown crypto_kat flavour {flavour!r} (record or tinydtls)")
    from harness.tinydtls.pipeline import prepare_tree
    from harness.tinydtls.profiles import COMMON_DEFINES, PLATFORM_DIR, TINYDTLS_CFLAGS

    tree = prepare_tree()
    name = "crypto_kat-tinydtls" + ("-ecc" if ecc else "")
    sources = [APP_DIR / s for s in ("main.c", "kat_record.c", "kat_mspabi.c", "kat_ssm.c", "kat_boot.c",
                                     "tinydtls/kat_tinydtls.c")]
    sources += [tree / s for s in KAT_TINYDTLS_SOURCES]
    defines = [*COMMON_DEFINES, "DTLS_PSK", "KAT_TINYDTLS"]
    if ecc:
        sources += [tree / "ecc" / "ecc.c"] + [PLATFORM_DIR / g for g in KAT_GLUE_SOURCES]
        defines.append("DTLS_ECC")
    return build_firmware(
        name,
        sources,
        include_dirs=[APP_DIR, paths.FIRMWARE_DIR, tree, PLATFORM_DIR / "include"],
        defines=defines,
        cflags=[*TINYDTLS_CFLAGS, "-idirafter", str(PLATFORM_DIR / "compat")],
        modules=["dtls_record", "ssm_client", "mspabi_ops", "bootstrap"],
        out_dir=(build_root or paths.build_dir()) / name,
    )


@dataclass
class Reply:
    cmd: str
    ok: bool
    data: bytes  # the output (ok) ...
    error: int  # ... or the error code (err)
    spans: list[int]  # cycles of each measured span, in order
    mote_cycles: int  # emulator cycles from pushing the request until the reply line was seen ...
    poll_step: int  # ... which may overshoot the reply's last byte by up to this many cycles
    wire_bytes: int  # request frame + reply line: bytes that crossed the UART (~340 cycles each)


@dataclass
class KatMote:
    """One emulated mote running crypto_kat; requests are served one at a time."""

    elf: Path | BuildResult
    node_id: int = 1
    boot_cycles: int = 50_000_000
    mote: Mote = field(init=False)
    flavour: str = field(init=False)
    span_overhead: int = field(init=False)

    def __post_init__(self) -> None:
        path = self.elf.elf if isinstance(self.elf, BuildResult) else self.elf
        self.mote = Mote(path, node_id=self.node_id)
        run = self.mote.run_until_uart(READY, max_cycles=self.boot_cycles)
        if run.reason != "uart" or run.match is None:
            raise TimeoutError(f"crypto_kat did not boot: {self.mote.uart_text()[-300:]!r}")
        self.flavour = run.match.group(1).decode()
        self.span_overhead = int(run.match.group(2))
        self._pos = run.match.end()

    def request(self, cmd: str, payload: bytes, max_cycles: int = 200_000_000) -> Reply:
        """Send one request and run the mote until its reply line; raises TimeoutError."""
        if len(cmd) != 1 or len(payload) > MAX_PAYLOAD:
            raise ValueError(f"bad request {cmd!r} with {len(payload)} bytes (max {MAX_PAYLOAD})")
        frame = cmd.encode() + struct.pack(">H", len(payload)) + payload
        m = self.mote
        if lib.uart_rx_push(m.ptr, 1, frame, len(frame)) != len(frame):
            raise RuntimeError("the emulator's UART1 receive queue is full")
        start = m.now
        step = 20_000
        while m.now - start < max_cycles:
            m.run(step)
            out = m.uart_output()
            end = out.find(b"\n", self._pos)
            if end >= 0:
                line = out[self._pos:end + 1]
                self._pos = end + 1
                reply = self._parse(cmd, line, m.now - start)
                reply.poll_step, reply.wire_bytes = step, len(frame) + len(line)
                return reply
            step = min(step * 2, 5_000_000)  # long operations (ECC) need fewer polls
        raise TimeoutError(f"no reply to {cmd!r} within {max_cycles} cycles: {m.uart_output()[self._pos:]!r}")

    def send_raw(self, data: bytes, cycles: int) -> bytes:
        """Push arbitrary bytes (e.g. a malformed frame), run `cycles`, return the new output."""
        if lib.uart_rx_push(self.mote.ptr, 1, data, len(data)) != len(data):
            raise RuntimeError("the emulator's UART1 receive queue is full")
        self.mote.run(cycles)
        out = self.mote.uart_output()
        new, self._pos = out[self._pos:], len(out)
        return new

    @staticmethod
    def _parse(cmd: str, line: bytes, cycles: int) -> Reply:
        m = REPLY.fullmatch(line)
        if m is None or m.group(1).decode() != cmd:
            raise AssertionError(f"unexpected reply to {cmd!r}: {line!r}")
        spans = [int(x) for x in m.group(4).split()]
        if m.group(2) == b"ok":
            field_ = m.group(3)
            data = b"" if field_ == b"-" else bytes.fromhex(field_.decode())
            return Reply(cmd, True, data, 0, spans, cycles, 0, 0)
        return Reply(cmd, False, b"", int(m.group(3)), spans, cycles, 0, 0)


# ---------------------------------------------------------------------- request payloads


def ccm_payload(key: bytes, tag_len: int, nonce: bytes, aad: bytes, data: bytes) -> bytes:
    """key M L nonce aad_len aad data (L = 15 - len(nonce))."""
    return key + bytes([tag_len, 15 - len(nonce)]) + nonce + struct.pack(">H", len(aad)) + aad + data


def prf_payload(secret: bytes, label: bytes, seed1: bytes, seed2: bytes, out_len: int) -> bytes:
    return (struct.pack(">H", len(secret)) + secret + bytes([len(label)]) + label + bytes([len(seed1)])
            + seed1 + bytes([len(seed2)]) + seed2 + struct.pack(">H", out_len))


# ---------------------------------------------------------------------- benchmark


def bench(ecc: bool = False) -> tuple[list[tuple[str, int]], int]:
    """Cycle figures per operation on the emulated mote (spans measured by the firmware), and the
    mote's MCLK frequency (the board layer's calibrated DCO) to turn them into time and energy."""
    import hashlib
    import random

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


HANDOFF_SPANS = ("open KEY_MATERIAL", "install record state", "build KEY_ACK", "seal 16-byte CoAP record")


def handoff_request(psk_dn: bytes, last_rx: int, tx: int, km: bytes, payload: bytes) -> bytes:
    """Payload of a 'K' request (firmware/apps/crypto_kat/kat_ssm.c)."""
    return psk_dn + struct.pack(">IIH", last_rx, tx, len(km)) + km + payload


def handoff_rows(kat: KatMote, rng) -> list[tuple[str, int]]:
    """The ESSE hand-off on the mote (crypto_kat 'K'): what it runs instead of a handshake."""
    from harness.ssm.protocol import KeyState, seal_key_material

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
    from harness.ssm.protocol import ACK_LEN, KM_LEN

    spans = dict(rows)
    opened = spans["ESSE hand-off: open KEY_MATERIAL"] + spans["ESSE hand-off: install record state"]
    acked = spans["ESSE hand-off: build KEY_ACK"]
    return flight_table(handoff_flights(KM_LEN, ACK_LEN, opened, acked, mclk_hz))


def main(argv: list[str]) -> int:
    t0 = time.perf_counter()
    rows, mclk_hz = bench(ecc="--ecc" in argv)
    width = max(len(n) for n, _ in rows)
    for name, cycles in rows:
        print(f"{name:<{width}}  {cycles:>12,} cycles  {cycles / 3.9e6 * 1e3:>10.2f} ms @3.9 MHz")
    print("\nESSE hand-off on the mote, energy per message (the handshake it replaces: "
          "`invoke tinydtls-mote-handshake`)")
    for line in handoff_energy(rows, mclk_hz):
        print("  " + line)
    print(f"host time {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
