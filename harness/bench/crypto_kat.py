"""Build and drive the crypto_kat firmware (firmware/apps/crypto_kat) on the emulator.

Three flavours of one firmware:
    record    the app.toml build: firmware/dtls_record AES-128 and CCM, and the MSPABI helpers
    saes      the record flavour with -DESSE_AES_SAES: every AES block (record layer, SSM client,
              bootstrapping) on the CC2420's stand-alone AES (firmware/dev/cc2420_saes.h); CCM in C
    tinydtls  the same plus the patched TinyDTLS crypto (rijndael, ccm, sha2, hmac, PRF and, with
              ecc=True, P-256 ECDH/ECDSA), built here because its tree lives under build/

    kat = KatMote(build_kat("tinydtls", ecc=True, build_root=tmp))
    reply = kat.request("a", key + block)          # -> Reply(ok=True, data=..., spans=[...])

The request framing and the reply line are described in firmware/apps/crypto_kat/kat.h.
Every expected value is computed by the caller in Python (tests/emulator/test_crypto_kat*.py); this
module only moves bytes. The cycle benchmark on top of it is harness/bench/crypto.py.
"""

from __future__ import annotations

import os
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import paths
from harness.build import BuildResult, build_app, build_firmware

APP_DIR = paths.APPS_DIR / "crypto_kat"
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


KAT_SOURCES = ("main.c", "kat_record.c", "kat_mspabi.c", "kat_ssm.c", "kat_boot.c")
KAT_MODULES = ["dtls_record", "ssm_client", "mspabi_ops", "bootstrap"]
SAES_DEFINE = "ESSE_AES_SAES"  # firmware/dtls_record/aes128.h: the block cipher on the CC2420


def build_kat(flavour: str = "tinydtls", *, ecc: bool = False, build_root: Path | None = None) -> BuildResult:
    """Build the firmware; `record` is exactly the app.toml build, `saes` the same on the radio's AES,
    `tinydtls` adds TinyDTLS."""
    if flavour == "record":
        return build_app("crypto_kat", build_root=build_root)
    if flavour == "saes":
        return build_firmware(
            "crypto_kat-saes",
            [APP_DIR / s for s in KAT_SOURCES],
            include_dirs=[APP_DIR, paths.FIRMWARE_DIR],
            defines=[SAES_DEFINE],
            modules=[*KAT_MODULES, "dev"],
            out_dir=(build_root or paths.build_dir()) / "crypto_kat-saes",
        )
    if flavour != "tinydtls":
        raise ValueError(f"unknown crypto_kat flavour {flavour!r} (record, saes or tinydtls)")
    from harness.tinydtls.pipeline import prepare_tree
    from harness.tinydtls.profiles import (
        COMMON_DEFINES,
        CRYPTO_SOURCES,
        ECC_SOURCES,
        PLATFORM_DIR,
        PRNG_GLUE_SOURCES,
        TINYDTLS_CFLAGS,
    )

    tree = prepare_tree()
    name = "crypto_kat-tinydtls" + ("-ecc" if ecc else "")
    sources = [APP_DIR / s for s in (*KAT_SOURCES, "tinydtls/kat_tinydtls.c")]
    sources += [tree / s for s in CRYPTO_SOURCES]
    defines = [*COMMON_DEFINES, "DTLS_PSK", "KAT_TINYDTLS"]
    if ecc:
        # TinyDTLS's PRNG, for ECDSA's random k
        sources += [tree / s for s in ECC_SOURCES] + [PLATFORM_DIR / g for g in PRNG_GLUE_SOURCES]
        defines.append("DTLS_ECC")
    return build_firmware(
        name,
        sources,
        include_dirs=[APP_DIR, paths.FIRMWARE_DIR, tree, PLATFORM_DIR / "include"],
        defines=defines,
        cflags=[*TINYDTLS_CFLAGS, "-idirafter", str(PLATFORM_DIR / "compat")],
        modules=KAT_MODULES,
        out_dir=(build_root or paths.build_dir()) / name,
    )


@dataclass
class Reply:
    """One reply line of the KAT firmware, with the cycles it took."""

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
    mote: Any = field(init=False)  # harness.emulator.mote.Mote
    radio: Any = field(init=False)  # harness.emulator.radio.Radio
    flavour: str = field(init=False)
    span_overhead: int = field(init=False)

    def __post_init__(self) -> None:
        from harness.emulator.core_build import ensure_built

        ensure_built()
        from harness.emulator.mote import Mote, lib
        from harness.emulator.radio import Radio

        self._lib = lib
        path = self.elf.elf if isinstance(self.elf, BuildResult) else self.elf
        self.mote = Mote(path, node_id=self.node_id)
        self.radio = Radio(self.mote)  # the Sky's CC2420: the saes flavour computes AES on it
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
        if self._lib.uart_rx_push(m.ptr, 1, frame, len(frame)) != len(frame):
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
        if self._lib.uart_rx_push(self.mote.ptr, 1, data, len(data)) != len(data):
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
    """secret_len secret label_len label seed1_len seed1 seed2_len seed2 out_len (TLS PRF request)."""
    return (struct.pack(">H", len(secret)) + secret + bytes([len(label)]) + label + bytes([len(seed1)])
            + seed1 + bytes([len(seed2)]) + seed2 + struct.pack(">H", out_len))


HANDOFF_SPANS = ("open KEY_MATERIAL", "install record state", "build KEY_ACK", "seal 16-byte CoAP record")


def handoff_request(psk_dn: bytes, last_rx: int, tx: int, km: bytes, payload: bytes) -> bytes:
    """Payload of a 'K' request (firmware/apps/crypto_kat/kat_ssm.c)."""
    return psk_dn + struct.pack(">IIH", last_rx, tx, len(km)) + km + payload
