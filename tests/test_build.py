"""The firmware build pipeline (harness.build): hello's ELF, incremental rebuilds, sizes, errors."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from harness import cli
from harness.build import (
    FLASH_BYTES,
    INSTALL_HINT,
    RAM_BYTES,
    BuildError,
    FirmwareTooLarge,
    ManifestError,
    build_all,
    build_app,
    build_firmware,
    size_of_elf,
    size_table,
)
from harness.build.compile import parse_depfile
from harness.paths import FIRMWARE_DIR
from harness.proc import ToolMissing

SYS = FIRMWARE_DIR / "sys"


@pytest.fixture(scope="module")
def hello(tmp_path_factory):
    return build_app("hello", build_root=tmp_path_factory.mktemp("build"))


def _symbols(elf: ELFFile) -> dict[str, int]:
    return {s.name: s["st_value"] for s in elf.get_section_by_name(".symtab").iter_symbols() if s.name}


def _read(elf: ELFFile, addr: int, n: int) -> bytes:
    """Bytes at a load (physical) address, as a programmer writes them to flash."""
    for seg in elf.iter_segments():
        if seg["p_type"] == "PT_LOAD" and seg["p_paddr"] <= addr < seg["p_paddr"] + seg["p_filesz"]:
            off = addr - seg["p_paddr"]
            return seg.data()[off : off + n]
    raise AssertionError(f"address {addr:#x} not in any loaded segment")


def test_hello_outputs(hello):
    assert hello.elf.name == "hello.sky" and hello.elf.is_file()
    assert hello.hex.is_file() and hello.map.is_file()
    assert "__mspabi_divull" in hello.map.read_text()


def test_hello_elf_layout(hello):
    with open(hello.elf, "rb") as f:
        elf = ELFFile(f)
        assert elf["e_machine"] == "EM_MSP430"
        syms = _symbols(elf)
        assert syms["__stack"] == 0x3900
        assert 0x1100 <= syms["_end"] <= 0x3900
        assert 0x1100 <= syms["node_id"] < syms["_end"]
        entry = elf["e_entry"]
        assert entry == syms["_start"]
        assert int.from_bytes(_read(elf, 0xFFFE, 2), "little") == entry
        # vectors placed by TI number: Timer_A1 = 6 (0xFFEA), USART1 RX = 4 (0xFFE6)
        assert int.from_bytes(_read(elf, 0xFFEA, 2), "little") == syms["sky_timera1_isr"]
        assert int.from_bytes(_read(elf, 0xFFE6, 2), "little") == syms["sky_uart1_rx_isr"]
        # an unused vector points at the crt0 trap at the start of flash
        assert int.from_bytes(_read(elf, 0xFFE0, 2), "little") == syms["__unexpected_trap"] == 0x4000


def test_hello_data_has_load_copy_in_rom(hello):
    with open(hello.elf, "rb") as f:
        elf = ELFFile(f)
        data = elf.get_section_by_name(".data")
        assert data["sh_size"] > 0
        seg = next(s for s in elf.iter_segments() if s.section_in_segment(data))
        assert seg["p_vaddr"] == data["sh_addr"] and 0x1100 <= seg["p_vaddr"] < 0x3900
        assert 0x4000 <= seg["p_paddr"] < 0xFFE0  # LMA in flash, != VMA
        assert _read(elf, seg["p_paddr"], data["sh_size"]) == data.data()
        assert _symbols(elf)["__data_load_start"] == seg["p_paddr"]


def test_hello_dwarf_is_version_4(hello):
    """Every compile unit header in .debug_info says version 4 (MSPSim cannot read 5). Parsed by
    hand: pyelftools' DWARF reader does not accept the MSP430's 2-byte addresses."""
    with open(hello.elf, "rb") as f:
        info = ELFFile(f).get_section_by_name(".debug_info").data()
    versions, units, off = set(), 0, 0
    while off < len(info):
        length = int.from_bytes(info[off : off + 4], "little")
        assert length < 0xFFFFFFF0, "64-bit DWARF not expected"
        versions.add(int.from_bytes(info[off + 4 : off + 6], "little"))
        assert info[off + 10] == 2  # DWARF 4 header: length, version, abbrev offset, address size
        off += 4 + length
        units += 1
    assert versions == {4} and units >= 10


def test_hello_hex_matches_elf(hello):
    """The Intel HEX holds the reset vector and the .data load copy at their load addresses."""
    image: dict[int, int] = {}
    base = 0
    for line in hello.hex.read_text().split():
        raw = bytes.fromhex(line[1:])
        assert sum(raw) & 0xFF == 0, "bad checksum"
        n, addr, kind, payload = raw[0], int.from_bytes(raw[1:3], "big"), raw[3], raw[4 : 4 + raw[0]]
        assert len(payload) == n
        if kind == 0:
            for i, b in enumerate(payload):
                image[base + addr + i] = b
        elif kind == 2:
            base = int.from_bytes(payload, "big") << 4
        elif kind == 4:
            base = int.from_bytes(payload, "big") << 16
    with open(hello.elf, "rb") as f:
        elf = ELFFile(f)
        assert image[0xFFFE] | image[0xFFFF] << 8 == elf["e_entry"]
        for seg in elf.iter_segments():
            if seg["p_type"] == "PT_LOAD" and seg["p_filesz"]:
                got = bytes(image[seg["p_paddr"] + i] for i in range(seg["p_filesz"]))
                assert got == seg.data()[: seg["p_filesz"]]


def test_size_report_matches_llvm_size(hello):
    out = subprocess.run(["llvm-size-16", "-A", str(hello.elf)], capture_output=True, text=True, check=True)
    sizes = {}
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].startswith("."):
            sizes[parts[0]] = int(parts[1])
    s = hello.size
    assert s.vectors == 32
    assert s.text == sizes[".text"] and s.rodata == sizes[".rodata"]
    assert s.data == sizes[".data"] and s.bss == sizes[".bss"] + sizes.get(".noinit", 0)
    assert s.flash == s.text + s.rodata + s.data + s.vectors
    assert s.ram == s.data + s.bss
    table = size_table([hello])
    assert table.splitlines()[0].split()[:6] == ["app", "text", "rodata", "data", "bss", "vectors"]
    assert f"{s.flash}/{FLASH_BYTES}" in table and f"{s.ram}/{RAM_BYTES}" in table


def test_mspabi_helpers_do_not_call_themselves(hello):
    """A helper compiled into a call to itself would recurse forever on the mote."""
    objs = sorted((hello.elf.parent / "obj").rglob("mspabi_*.o"))
    assert len(objs) == 5  # mul, div, shift (C), div64 shims and division cores (asm)
    for obj in objs:
        with open(obj, "rb") as f:
            elf = ELFFile(f)
            symtab = elf.get_section_by_name(".symtab")
            for sec in elf.iter_sections():
                if not sec.name.startswith(".rela.text."):
                    continue
                func = sec.name.removeprefix(".rela.text.")
                targets = {symtab.get_symbol(r["r_info_sym"]).name for r in sec.iter_relocations()}
                assert func not in targets, f"{func} calls itself"
                assert not any(t.startswith("__mspabi_") for t in targets), f"{func} calls {targets}"


def _make_app(root: Path, name: str, files: dict[str, str], manifest: str = "") -> Path:
    app = root / name
    app.mkdir(parents=True)
    for fname, text in files.items():
        (app / fname).write_text(text)
    if manifest:
        (app / "app.toml").write_text(manifest)
    return app


def test_incremental_rebuild(tmp_path):
    app = _make_app(
        tmp_path / "apps",
        "incr",
        {
            "config.h": "#define GREETING 1\n",
            "a.c": '#include "config.h"\nint value_a(void) { return GREETING; }\n',
            "b.c": "int value_a(void);\nint main(void) { return value_a(); }\n",
        },
        'defines = ["INCR_TEST=1"]\n',
    )
    out = tmp_path / "out"
    first = build_app(app, build_root=out)
    assert first.linked and len(first.compiled) > 3  # the app plus the sys module
    again = build_app(app, build_root=out)
    assert again.compiled == [] and not again.linked
    os.utime(app / "config.h")  # touch: newer than a.o only
    after_touch = build_app(app, build_root=out)
    assert after_touch.compiled == [app / "a.c"] and after_touch.linked
    # a header replaced by one with an *older* mtime (rsync -a, tar, cp -p): caught by content
    old = (app / "config.h").stat().st_mtime_ns - 10**10
    (app / "config.h").write_text((app / "config.h").read_text().replace("#define", "#define ", 1))
    os.utime(app / "config.h", ns=(old, old))
    assert build_app(app, build_root=out).compiled == [app / "a.c"]
    os.utime(app / "config.h", ns=(old - 10**10, old - 10**10))  # mtime moved again, same content
    assert build_app(app, build_root=out).compiled == []
    (app / "app.toml").write_text('defines = ["INCR_TEST=2"]\n')  # changed flags rebuild everything
    assert len(build_app(app, build_root=out).compiled) == len(first.compiled)


def test_build_firmware_api_with_extra_module(tmp_path):
    """How other areas plug in: a module folder given by path, include dirs and defines."""
    mod = tmp_path / "mymod"
    (mod / "include").mkdir(parents=True)
    (mod / "include" / "mymod.h").write_text("int mymod_twice(int x);\n")
    (mod / "mymod.c").write_text('#include "mymod.h"\nint mymod_twice(int x) { return x * FACTOR; }\n')
    (mod / "module.toml").write_text('defines = ["FACTOR=2"]\n')
    main = tmp_path / "main.c"
    main.write_text('#include "mymod.h"\n#include "sky.h"\nint main(void) { return mymod_twice(OFFSET); }\n')
    res = build_firmware("api", [main], defines=["OFFSET=3"], modules=[str(mod)], out_dir=tmp_path / "out")
    assert res.elf == tmp_path / "out" / "api.sky" and res.linked
    with open(res.elf, "rb") as f:
        assert "mymod_twice" in _symbols(ELFFile(f))


def test_overflowing_flash_fails_clearly(tmp_path):
    app = _make_app(
        tmp_path,
        "toobig",
        {"main.c": "const char big[50000] = {1};\nvolatile unsigned i;\nint main(void) { return big[i]; }\n"},
    )
    with pytest.raises(FirmwareTooLarge, match=r"'toobig' does not fit.*flash \(49152 bytes\)"):
        build_app(app, build_root=tmp_path / "out")


def test_overflowing_ram_fails_clearly(tmp_path):
    app = _make_app(
        tmp_path,
        "toomuchram",
        {"main.c": "char buf[11000];\nvolatile unsigned i;\nint main(void) { buf[i] = 1; return buf[i]; }\n"},
    )
    with pytest.raises(FirmwareTooLarge, match=r"'toomuchram' does not fit.*RAM \(10240 bytes\)"):
        build_app(app, build_root=tmp_path / "out")


def test_compile_error_names_the_file(tmp_path):
    app = _make_app(tmp_path, "broken", {"main.c": "int main(void) { return undeclared; }\n"})
    with pytest.raises(BuildError, match=r"broken/main\.c.*undeclared"):
        build_app(app, build_root=tmp_path / "out")


def test_manifest_errors_name_the_file(tmp_path):
    app = _make_app(tmp_path, "badkey", {"main.c": "int main(void) { return 0; }\n"}, "modulez = []\n")
    with pytest.raises(ManifestError, match=r"badkey/app\.toml: unknown key\(s\) modulez"):
        build_app(app, build_root=tmp_path / "out")
    app2 = _make_app(tmp_path, "nomod", {"main.c": "int main(void) { return 0; }\n"}, 'modules = ["nope"]\n')
    with pytest.raises(ManifestError, match="module 'nope' not found"):
        build_app(app2, build_root=tmp_path / "out")


def test_missing_toolchain_prints_apt_line(tmp_path, monkeypatch, capsys):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(ToolMissing) as err:
        build_all(["hello"], build_root=tmp_path / "out")
    assert "apt-get install clang-16 lld-16 llvm-16 msp430mcu" in str(err.value)
    assert cli.main(["build", "hello"]) == 1
    assert INSTALL_HINT in capsys.readouterr().err


def test_cli_build_prints_size_table(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ESSE_BUILD_DIR", str(tmp_path))
    assert cli.main(["build", "hello"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("app") and "hello" in out
    elf = tmp_path / "hello" / "hello.sky"
    assert size_of_elf(elf).flash > 0
    assert cli.main(["build", "hello", "--clean"]) == 0  # rebuilds from nothing
    assert elf.is_file()


def test_parse_depfile_handles_continuations_and_spaces():
    text = "obj.o: a.c inc/a.h \\\n  dir\\ with\\ space/b.h \\\n  c.h\n"
    assert parse_depfile(text) == [Path("a.c"), Path("inc/a.h"), Path("dir with space/b.h"), Path("c.h")]


def test_sys_module_has_the_documented_pieces():
    for name in ("crt0.S", "sky.ld", "mspabi_div64.S", "print.c", "string.c", "sky_clock.c", "sky_uart.c"):
        assert (SYS / name).is_file(), name
    assert shutil.which("clang-16"), "toolchain expected on this machine"


def test_build_all_builds_the_rest_and_reports_every_failure(tmp_path):
    apps = tmp_path / "apps"
    good = _make_app(apps, "good", {"main.c": "int main(void) { return 0; }\n"})
    bad1 = _make_app(apps, "bad1", {"main.c": "int main(void) { return nope; }\n"})
    bad2 = _make_app(apps, "bad2", {"main.c": "int main(void) { return 0; }\n"}, "what = 1\n")
    expected = r"(?s)2 firmware build\(s\) failed.*bad1: .*nope.*bad2: .*unknown key"
    with pytest.raises(BuildError, match=expected):
        build_all([bad1, good, bad2], build_root=tmp_path / "out")
    assert (tmp_path / "out" / "good" / "good.sky").is_file()


def test_firmware_from_outside_the_apps_is_registered_by_its_own_floor():
    """harness.build names no package above it: harness.tinydtls.firmware registers the builders when imported
    (as the `esse` CLI does), and a name takes one builder only."""
    import harness.tinydtls.firmware  # noqa: F401
    from harness.build.firmware import extra_firmware, register_firmware
    from harness.tinydtls.ccs_build import build_ccs_tinydtls
    from harness.tinydtls.ccs_full_build import build_ccs_full
    from harness.tinydtls.profiles import build_profiles

    assert extra_firmware() == {
        "tinydtls-profiles": build_profiles,
        "ccs-tinydtls": build_ccs_tinydtls,
        "ccs-full": build_ccs_full,
    }
    register_firmware("ccs-tinydtls", build_ccs_tinydtls)  # the same again: no change
    with pytest.raises(ValueError, match="already registered as 'ccs-tinydtls'"):
        register_firmware("ccs-tinydtls", build_profiles)
