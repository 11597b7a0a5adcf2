#!/usr/bin/env bash
# One-shot setup for a fresh Debian 12 machine: Debian packages, a venv with the harness, then the demo.
#   ./bootstrap.sh            install everything and run `esse demo`
#   ./bootstrap.sh --no-demo  install only (CI uses this before running the tests)
set -euo pipefail
cd "$(dirname "$0")"

APT_PACKAGES=(
  clang-16 lld-16 llvm-16 msp430mcu          # MSP430 firmware toolchain
  libcoap3-bin tshark openssl                # real CoAP/DTLS clients, frame dissection
  nodejs                                     # runs the generated Cooja ScriptRunner JavaScript in tests
  python3 python3-venv python3-dev build-essential git autoconf automake libtool
  pkg-config                                 # pkg.m4: DTLSSocket's autogen.sh needs PKG_CHECK_MODULES
  mspdebug                                   # its gdbc driver is the GDB-protocol client of esse run --gdb
                                             # (Debian's gdb-multiarch has no msp430 target)
  chromium chromium-driver                   # headless browser test of the SSM's host page (selenium)
  libclang-rt-16-dev                         # clang-16's libFuzzer + sanitizer runtimes (tests/fuzz)
  libssl-dev                                 # OpenSSL 3 headers: the host TinyDTLS's secp256r1 runs on libcrypto
  faketime                                   # slows a wall-clock DTLS client's clock (libfaketime) so it
                                             # waits out the emulated mote's minutes of P-256 (tests/baseline)
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv with $($PY --version)"
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip setuptools wheel cffi
.venv/bin/python -m pip install -q -e '.[dev]'

if [ "${1:-}" != "--no-demo" ]; then
  exec .venv/bin/esse demo
fi
