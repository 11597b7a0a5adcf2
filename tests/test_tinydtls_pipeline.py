"""The pinned TinyDTLS pipeline: real sdist (fetched once into the cache), real `patch`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness import paths
from harness.tinydtls import pipeline
from harness.tinydtls.pipeline import (
    PatchFailed,
    SdistHashMismatch,
    TinyDtlsPipelineError,
    Upstream,
    prepare_tree,
    read_series,
    read_stamp,
    tree_key,
)

PATCHES = paths.TINYDTLS_PATCHES_DIR
PINNED_SHA256 = "f06cbe32df8562dbbccbe274aaf27d2773e8492a86c41c334b3a0a70a50037cf"
PINNED_COMMIT = "1f1bc2ab571ad67df55f3723b8d4aac98710acb9"


@pytest.fixture(scope="session")
def sdist() -> Path:
    """The real sdist in the shared cache (downloaded with pip on first use)."""
    return pipeline.fetch_sdist(Upstream.load(PATCHES))


@pytest.fixture
def cache(tmp_path: Path, sdist: Path) -> Path:
    """A private cache holding a copy of the real sdist (so tests can break it)."""
    d = tmp_path / "cache"
    d.mkdir()
    shutil.copy2(sdist, d / sdist.name)
    return d


@pytest.fixture
def patches(tmp_path: Path) -> Path:
    """A private copy of tinydtls_patches/ to edit."""
    d = tmp_path / "patches"
    shutil.copytree(PATCHES, d)
    return d


def test_pin_is_the_one_in_the_repository():
    up = Upstream.load(PATCHES)
    assert (up.package, up.version) == ("dtlssocket", "0.2.3")
    assert up.sdist_sha256 == PINNED_SHA256
    assert up.upstream_commit == PINNED_COMMIT


def test_series_applies_in_order_and_stamp_records_upstream(tmp_path, cache):
    tree = prepare_tree(build=tmp_path / "build", cache=cache, offline=True)
    assert tree == tmp_path / "build" / "tinydtls" / tree_key(PATCHES)
    stamp = read_stamp(tree)
    assert stamp["sdist_sha256"] == [PINNED_SHA256]
    assert stamp["upstream_commit"] == [PINNED_COMMIT]
    applied = [entry.split()[0] for entry in stamp["patch"]]
    assert applied == [p.name for p in read_series(PATCHES)]
    # the effects of our own patches are in the tree
    assert "WITH_BAREMETAL" in (tree / "tinydtls.h").read_text()
    assert (tree / "platform-specific" / "dtls_pool.h").is_file()
    assert "dtls_pool_alloc(DTLS_POOL_PEER)" in (tree / "peer.c").read_text()
    assert "#ifndef DTLS_SERVER_ONLY" in (tree / "dtls.c").read_text()
    assert "defined(SHA2_SMALL_TRANSFORM)" in (tree / "sha2" / "sha2.c").read_text()
    assert not list(tree.rglob("*.rej")) and not list(tree.rglob("*.orig"))


def test_prepare_is_idempotent(tmp_path, cache):
    build = tmp_path / "build"
    tree = prepare_tree(build=build, cache=cache, offline=True)
    stamp_mtime = (tree / "STAMP").stat().st_mtime_ns
    assert prepare_tree(build=build, cache=cache, offline=True) == tree
    assert (tree / "STAMP").stat().st_mtime_ns == stamp_mtime
    assert [p.name for p in (build / "tinydtls").iterdir()] == [tree.name]


def test_series_change_gives_a_fresh_tree(tmp_path, cache, patches):
    build = tmp_path / "build"
    old = prepare_tree(patches, build=build, cache=cache, offline=True)
    (patches / "9999-extra.patch").write_text(
        "Subject: test patch\n\n"
        "--- a/ESSE_TEST\n+++ b/ESSE_TEST\n@@ -0,0 +1 @@\n+added by a later patch\n"
    )
    with (patches / "series").open("a") as f:
        f.write("9999-extra.patch\n")
    new = prepare_tree(patches, build=build, cache=cache, offline=True)
    assert new != old
    assert (new / "ESSE_TEST").read_text() == "added by a later patch\n"
    assert not (old / "ESSE_TEST").exists()
    assert read_stamp(new)["patch"][-1].startswith("9999-extra.patch ")


def test_corrupt_patch_fails_loudly_naming_itself(tmp_path, cache, patches):
    victim = read_series(patches)[1]
    lines = victim.read_text().splitlines(keepends=True)
    # make the first removed line one the source does not contain
    i = next(i for i, line in enumerate(lines) if line.startswith("-") and not line.startswith("---"))
    lines[i] = "-/* not in TinyDTLS */ " + lines[i][1:]
    victim.write_text("".join(lines))
    build = tmp_path / "build"
    with pytest.raises(PatchFailed) as err:
        prepare_tree(patches, build=build, cache=cache, offline=True)
    assert victim.name in str(err.value)
    assert err.value.patch == victim
    # nothing half-patched is left behind
    assert list((build / "tinydtls").iterdir()) == []


def test_patch_missing_from_directory_is_named(patches):
    with (patches / "series").open("a") as f:
        f.write("0042-not-there.patch\n")
    with pytest.raises(TinyDtlsPipelineError, match="0042-not-there.patch"):
        read_series(patches)


def test_sha256_mismatch_of_cached_sdist(tmp_path, cache, sdist):
    bad = cache / sdist.name
    data = bytearray(bad.read_bytes())
    data[len(data) // 2] ^= 0x01
    bad.write_bytes(bytes(data))
    with pytest.raises(SdistHashMismatch) as err:
        prepare_tree(build=tmp_path / "build", cache=cache, offline=True)
    assert PINNED_SHA256 in str(err.value)
    assert str(bad) in str(err.value)


def test_sha256_mismatch_of_pin(tmp_path, cache, patches):
    up = (patches / "UPSTREAM").read_text().replace(PINNED_SHA256, "0" * 64)
    (patches / "UPSTREAM").write_text(up)
    with pytest.raises(SdistHashMismatch, match="0{64}"):
        prepare_tree(patches, build=tmp_path / "build", cache=cache, offline=True)


def test_offline_without_cache_says_how_to_fetch(tmp_path):
    with pytest.raises(TinyDtlsPipelineError, match="pip download"):
        prepare_tree(build=tmp_path / "build", cache=tmp_path / "empty", offline=True)


def test_patch_that_only_applies_with_offset_is_refused(tmp_path, cache, patches):
    """A patch whose context moved is stale even if `patch` could place it: the series must be exact."""
    (patches / "0000-shift.patch").write_text(
        "Subject: test: push dtls_mutex.h down by one line\n\n"
        "--- a/dtls_mutex.h\n+++ b/dtls_mutex.h\n@@ -1,1 +1,2 @@\n+/* an extra first line */\n"
        " /*******************************************************************************\n"
    )
    series = patches / "series"
    series.write_text("0000-shift.patch\n" + series.read_text())
    with pytest.raises(PatchFailed, match="0002-baremetal-platform.patch") as err:
        prepare_tree(patches, build=tmp_path / "build", cache=cache, offline=True)
    assert "offset" in str(err.value)


def test_series_entries_must_be_plain_file_names(patches):
    (patches / "series").write_text("../UPSTREAM\n")
    with pytest.raises(TinyDtlsPipelineError, match="must be a file name"):
        read_series(patches)
