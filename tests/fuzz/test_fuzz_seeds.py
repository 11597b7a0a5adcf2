"""The committed seeds of the record, ssm and delegator targets are what tests/fuzz/seeds.py builds from real
messages (so a change of an input layout or a wire format cannot leave stale seeds behind)."""

from __future__ import annotations

from tests.fuzz import seeds


def test_committed_seeds_match_generator() -> None:
    """Every generated seed is committed byte for byte, and no other file is."""
    for target, make in seeds.GENERATED.items():
        wanted = make()
        folder = seeds.CORPUS / target
        assert sorted(p.name for p in folder.iterdir()) == sorted(wanted), target
        for name, data in wanted.items():
            assert (folder / name).read_bytes() == data, f"{target}/{name}: run python -m tests.fuzz.seeds"


def test_raw_seed_record_is_a_dtls_record() -> None:
    """The record sealed by `cryptography` frames as one DTLS 1.2 application-data record."""
    data = seeds.record_seeds()["raw_record_cryptography"]
    raw = data[75 + 2: 75 + 2 + data[76]]
    (head,) = seeds.dtls.split_records_strict(raw)
    assert head.content_type == seeds.dtls.CT_APPLICATION_DATA
