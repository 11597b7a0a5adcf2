"""The MSP430 firmware build, driven from Python (`esse build`, `invoke build`).

clang-16 (``--target=msp430 -mmcu=msp430f1611 -Os -gdwarf-4``, function/data sections) and
ld.lld-16 (``firmware/sys/sky.ld``, ``--gc-sections``, ``-Map``) build each app into
``build_dir()/<app>/``: ``<app>.sky`` (ELF with symbols and DWARF 4), ``<app>.hex`` (Intel HEX),
``<app>.map`` and ``obj/``. Builds are incremental (clang ``-MMD`` depfiles, stored command
lines, mtimes): an unchanged tree compiles and links nothing; a changed header recompiles only
the sources that include it.

Apps
----
An app is a folder ``firmware/apps/<name>/`` with C/assembly sources and an optional
``app.toml`` (every key optional)::

    modules = ["net", "dtls_record"]   # folders under firmware/ linked in besides "sys"
    sources = ["*.c", "*.S"]           # globs or files, relative to the app folder
    include_dirs = ["{build}/tinydtls"] # extra -I; the app folder is always on the path
    defines = ["DTLS_PSK=1"]           # -D for every source of the firmware, modules too
    cflags = ["-Wno-unused-parameter"] # extra compiler flags, likewise
    linker_script = "custom.ld"        # default: firmware/sys/sky.ld

Paths may start with ``{repo}`` or ``{build}`` (repository root, build directory).

Modules
-------
A module is a folder ``firmware/<name>/`` (``sys`` is always linked first) with an optional
``module.toml``::

    sources = ["*.c", "*.S"]     # default
    include_dirs = ["include"]   # exported to the whole firmware; default: include/ if
                                 # present, else the module folder
    defines = []                 # for this module's sources only
    cflags = []                  # likewise
    depends = ["sys"]            # other modules pulled in (order kept, each once)

A module's own folder is also on the include path of its own sources (private headers).

Python API
----------
``build_firmware(name, sources, include_dirs, defines, cflags, modules=..., out_dir=...)``
builds any list of sources (plus the modules) into an ELF and returns a ``BuildResult`` with
``elf``, ``hex``, ``map``, ``size`` (``SizeReport``: text, rodata, data, bss, vectors, flash,
ram), ``compiled`` and ``linked``. ``build_app(name_or_dir)``, ``build_all(apps, clean=,
verbose=)`` and ``size_table(results)`` sit on top. Failures raise ``ToolMissing`` (with the
apt-get line), ``ManifestError``, ``BuildError`` or ``FirmwareTooLarge``.
"""

from harness.build.compile import BuildError
from harness.build.firmware import BuildResult, build_all, build_app, build_firmware, size_table
from harness.build.link import FirmwareTooLarge
from harness.build.manifest import ManifestError
from harness.build.size import SizeReport, format_size_table, size_of_elf
from harness.build.toolchain import FLASH_BYTES, INSTALL_HINT, RAM_BYTES

__all__ = [
    "FLASH_BYTES",
    "INSTALL_HINT",
    "RAM_BYTES",
    "BuildError",
    "BuildResult",
    "FirmwareTooLarge",
    "ManifestError",
    "SizeReport",
    "build_all",
    "build_app",
    "build_firmware",
    "format_size_table",
    "size_of_elf",
    "size_table",
]
