"""The three TinyDTLS mote profiles link for the MSP430F1611, fit, contain what they claim, and run."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from requirements import require, require_module

from harness.build import FLASH_BYTES, RAM_BYTES
from harness.tinydtls.profiles import PROFILES, build_profiles, component_sizes


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("profiles")
    return dict(zip(PROFILES, build_profiles(build_root=root), strict=True))


def defined_symbols(elf: Path) -> set[str]:
    with elf.open("rb") as f:
        symtab = ELFFile(f).get_section_by_name(".symtab")
        return {s.name for s in symtab.iter_symbols() if s["st_shndx"] != "SHN_UNDEF"}


@pytest.mark.parametrize("name", list(PROFILES))
def test_profile_links_and_fits(built, name):
    result = built[name]
    assert result.elf.is_file() and result.hex.is_file()
    assert 0 < result.size.flash <= FLASH_BYTES
    assert 0 < result.size.ram <= RAM_BYTES
    symbols = defined_symbols(result.elf)
    profile = PROFILES[name]
    assert not [s for s in profile.must_link if s not in symbols]
    assert not [s for s in profile.must_not_link if s in symbols]


def test_profiles_grow_record_psk_ecc(built):
    tinydtls = {n: component_sizes(n, built[n])["tinydtls"] for n in PROFILES}
    assert tinydtls["record"][0] < tinydtls["psk"][0] < tinydtls["ecc"][0]
    # the record layer needs no pools, PRNG or clock: no glue linked
    assert component_sizes("record", built["record"])["glue"] == (0, 0)


@pytest.fixture(scope="module")
def Mote():
    from harness.emulator.core_build import ensure_built

    ensure_built()
    return require_module("harness.emulator.mote", "python setup.py build_ext --inplace").Mote


def test_record_profile_passes_its_known_answer_on_the_emulator(built, Mote):
    mote = Mote(built["record"].elf, node_id=1)
    run = mote.run_until_uart(rb"forgery (\w+)\n", max_cycles=50_000_000)
    assert run.reason == "uart", mote.uart_text()
    assert "tinydtls record: known answer ok, round trip ok, forgery refused" in mote.uart_text()


def client_hello_suites(frame: bytes) -> list[int]:
    """Cipher suites offered by a DTLS ClientHello datagram (RFC 6347 §4.2.2)."""
    ctype, version = frame[0], struct.unpack("!H", frame[1:3])[0]
    assert ctype == 22 and version in (0xFEFF, 0xFEFD)
    body = frame[13 + 12:]
    assert frame[13] == 1  # handshake type client_hello
    pos = 2 + 32  # client_version, random
    pos += 1 + body[pos]  # session_id
    pos += 1 + body[pos]  # cookie
    (n,) = struct.unpack("!H", body[pos:pos + 2])
    return [struct.unpack("!H", body[pos + 2 + i:pos + 4 + i])[0] for i in range(0, n, 2)]


PSK_SUITES = [0xC0A8, 0xC0A4, 0x00FF]  # PSK AES-128-CCM-8, -CCM, renegotiation-info SCSV
ECC_SUITES = [0xC0AE, 0xC0AC]  # ECDHE-ECDSA AES-128-CCM-8, -CCM


@pytest.mark.parametrize(("name", "suites"), [("psk", PSK_SUITES), ("ecc", ECC_SUITES + PSK_SUITES)])
def test_handshake_profile_starts_a_handshake_on_the_emulator(built, Mote, name, suites):
    """The full engine runs on the mote: pools, clock and PRNG work, and the first datagram on the
    UART link (2-byte length, then the datagram) is a ClientHello offering the profile's suites."""
    mote = Mote(built[name].elf, node_id=3)
    run = mote.run_until_uart(rb"changed\n(..)", max_cycles=300_000_000)
    assert run.reason == "uart", mote.uart_text()
    (length,) = struct.unpack("!H", run.match.group(1))
    mote.run(5_000_000)
    out = mote.uart_output()
    start = run.match.end()
    frame = out[start:start + length]
    assert len(frame) == length
    assert sorted(client_hello_suites(frame)) == sorted(suites)


# the ecc profile's raw public key (firmware/tinydtls_platform/profiles/handshake_main.c)
ECC_PROFILE_X = bytes.fromhex("685ec652e9c823534f8571c1ad0a141b2ce55ad696539ca6fde2667a35705e21")
ECC_PROFILE_Y = bytes.fromhex("6790b1ebd67b01e1df03032e8f1ff7a6cb5f33077a0523eb76f475626e0901c1")


def mote_handshake(built, Mote, name: str, max_cycles: int, **host_kwargs):
    """Profile `name` on the emulator against a host TinyDTLS server over the UART link; after the
    handshake the host sends b"ping" and the mote app echoes it."""
    from harness.tinydtls.mote_link import handshake_with_host

    result = handshake_with_host(built[name].elf, name, max_cycles=max_cycles, **host_kwargs)
    assert result.echoed == [b"ping"]
    return result


def test_psk_profile_handshakes_with_host_tinydtls(built, Mote):
    from harness.tinydtls.binding import PskStore

    result = mote_handshake(built, Mote, "psk", 100_000_000, psk=PskStore({b"mote": bytes(range(16))}))
    first = result.link.log[0]
    assert first.direction == "mote->host" and first.datagram[13] == 1  # the mote is the client
    assert 0 < result.handshake_cycles < 100_000_000


def test_psk_handshake_energy_per_flight_on_the_emulated_mote(built, Mote):
    """The mote's own handshake split into its six flights; the flight where the mote derives the
    keys and MACs its Finished (the PRF runs) costs the most CPU; every CPU cycle of the handshake
    lands in exactly one flight."""
    from harness.energy.model import energy_mj
    from harness.tinydtls.binding import PskStore
    from harness.tinydtls.mote_link import handshake_with_host

    result = handshake_with_host(built["psk"].elf, "psk", max_cycles=100_000_000, step=20_000,
                                 psk=PskStore({b"mote": bytes(range(16))}))
    assert result.echoed == [b"ping"]
    flights = result.flights()
    assert [(f.sender, f.messages) for f in flights] == [
        ("mote", ("ClientHello",)),
        ("peer", ("HelloVerifyRequest",)),
        ("mote", ("ClientHello",)),
        ("peer", ("ServerHello", "ServerHelloDone")),
        ("mote", ("ClientKeyExchange", "ChangeCipherSpec", "Finished")),
        ("peer", ("ChangeCipherSpec", "Finished")),
    ]
    assert [f.datagrams for f in flights] == [1, 1, 1, 2, 3, 2]  # TinyDTLS: one record per datagram
    assert sum(f.bytes for f in flights) == sum(len(e.datagram) for e in result.link.log[:10])
    key_flight = flights[4]
    assert all(key_flight.cpu_ns > 2 * f.cpu_ns for f in flights if f is not key_flight)
    first_app = next(e for e in result.link.log if e.datagram[0] == 23)
    handshake_cpu = first_app.active_ns - result.start_active_ns  # the core's ns tracker
    assert sum(f.cpu_ns for f in flights) == handshake_cpu
    assert sum(f.cpu_mj for f in flights) == pytest.approx(energy_mj("CPU", handshake_cpu / 1000))
    assert all(f.radio_mj > 0 for f in flights)


@pytest.mark.slow
def test_ecc_profile_handshakes_with_host_tinydtls(built, Mote):
    """ECDHE-ECDSA with raw public keys both ways; TinyDTLS's ECC takes minutes of mote time."""
    from harness.tinydtls.binding import Cipher, EcdsaKey

    seen: list[tuple[bytes, bytes]] = []

    def verify(addr, x, y):
        seen.append((x, y))
        return (x, y) == (ECC_PROFILE_X, ECC_PROFILE_Y)

    result = mote_handshake(built, Mote, "ecc", 8_000_000_000, ecdsa_key=EcdsaKey.generate(),
                            verify_peer_key=verify, cipher_suites=[Cipher.ECDHE_ECDSA_AES_128_CCM_8])
    assert seen and seen[0] == (ECC_PROFILE_X, ECC_PROFILE_Y)
    # energy per flight. The host's retransmission timer runs on wall-clock time while the mote computes
    # for minutes of its own time, so how flights interleave after the cookie exchange depends on the
    # machine: check only what does not
    flights = result.flights()
    assert [(f.sender, f.messages) for f in flights[:3]] == [
        ("mote", ("ClientHello",)), ("peer", ("HelloVerifyRequest",)), ("mote", ("ClientHello",))]
    assert any(f.sender == "mote" and "CertificateVerify" in f.messages for f in flights)
    first_app = next(e for e in result.link.log if e.datagram[0] == 23)
    assert sum(f.cpu_ns for f in flights) == first_app.active_ns - result.start_active_ns
    assert sum(f.cpu_mj for f in flights) > 1000.0  # joules, where PSK takes millijoules


def client_random(built, Mote, adc_noise_seed: int | None) -> tuple[int, bytes]:
    """(entropy samples that changed, ClientHello random) of the psk profile's first handshake,
    with the emulator's temperature channel (ADC12 INCH 10) quiet or noisy (3 low bits, seeded)."""
    from harness.emulator.mote import lib

    require(hasattr(lib, "adc_set_channel_noise"), "emulator core without ADC12 noise control: rebuild it")
    mote = Mote(built["psk"].elf, node_id=1)
    lib.adc_set_channel(mote.ptr, 10, 1800)
    if adc_noise_seed is not None:
        lib.adc_set_channel_noise(mote.ptr, 10, 3)
        lib.adc_seed(mote.ptr, adc_noise_seed)
    seeded = rb"PRNG seeded, (\d+) of \d+ entropy samples changed\n(..)"
    run = mote.run_until_uart(seeded, max_cycles=300_000_000)
    assert run.reason == "uart", mote.uart_text()
    (length,) = struct.unpack("!H", run.match.group(2))
    mote.run(5_000_000)
    frame = mote.uart_output()[run.match.end():run.match.end() + length]
    return int(run.match.group(1)), frame[13 + 12 + 2:13 + 12 + 2 + 32]


def test_prng_is_seeded_from_adc12_noise(built, Mote):
    quiet_changes, quiet = client_random(built, Mote, None)
    changes1, random1 = client_random(built, Mote, 1)
    changes2, random2 = client_random(built, Mote, 2)
    again_changes, again = client_random(built, Mote, 1)
    assert quiet_changes == 0  # the emulator is deterministic: no noise, no entropy
    assert changes1 > 64 and changes2 > 64
    assert len({quiet, random1, random2}) == 3  # the noise reaches the handshake's random
    assert (again_changes, again) == (changes1, random1)  # same emulator seed, same bytes
