"""setuptools shim: builds the cffi extensions (API mode) when the package is installed.

Each entry is `path/to/build_script.py:ffibuilder`; the scripts compile C that lives in this
repository (the emulator core, the DTLS record layer, the patched TinyDTLS tree).
"""

from setuptools import setup

CFFI_MODULES = [
    # one line per cffi extension; keep sorted
    "harness/bootstrap/_build_boot.py:ffibuilder",
    "harness/emulator/_build_core.py:ffibuilder",
    "harness/hostfw/_build_record.py:ffibuilder",
    "harness/tinydtls/_build_tinydtls.py:ffibuilder",
]

setup(cffi_modules=CFFI_MODULES)
