"""The pinned TinyDTLS pipeline: fetch the DTLSSocket sdist, verify it, extract TinyDTLS, apply our patches.

    prepare_tree() -> build/tinydtls/<key>/     (key = hash of UPSTREAM + series + every patch)

The sdist is fetched once with pip into cache_dir() and checked against the sha256 pinned in
tinydtls_patches/UPSTREAM; with the sdist cached, everything works offline. A tree is built in a
temporary directory and renamed into place only when every patch applied, so a failed run leaves
nothing half-patched behind, and a change to the series gives a fresh tree.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from harness import paths, proc

STAMP_NAME = "STAMP"


class TinyDtlsPipelineError(RuntimeError):
    """Something in the fetch/verify/patch pipeline went wrong; the message says what and where."""


class SdistHashMismatch(TinyDtlsPipelineError):
    """The downloaded sdist does not match the pinned hash."""


class PatchFailed(TinyDtlsPipelineError):
    """A patch did not apply; the message carries the tail of its output."""
    def __init__(self, patch: Path, output: str) -> None:
        tail = "\n".join(output.strip().splitlines()[-15:])
        super().__init__(f"TinyDTLS patch {patch.name} does not apply ({patch}):\n{tail}")
        self.patch = patch


@dataclass(frozen=True)
class Upstream:
    """The pinned source, as read from tinydtls_patches/UPSTREAM."""

    package: str
    version: str
    sdist: str
    sdist_sha256: str
    subdir: str
    upstream_repo: str
    upstream_commit: str

    @classmethod
    def load(cls, patches_dir: Path) -> Upstream:
        """Read the pinned upstream (name, URL, hash) from patches/UPSTREAM."""
        path = patches_dir / "UPSTREAM"
        if not path.is_file():
            raise TinyDtlsPipelineError(f"{path}: missing (it pins the TinyDTLS sdist and its sha256)")
        values: dict[str, str] = {}
        for lineno, raw in enumerate(path.read_text().splitlines(), 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            key, sep, value = line.partition("=")
            if not sep:
                raise TinyDtlsPipelineError(f"{path}:{lineno}: expected 'key = value', got {raw!r}")
            values[key.strip()] = value.strip()
        wanted = [f for f in cls.__dataclass_fields__]
        missing = [k for k in wanted if k not in values]
        if missing:
            raise TinyDtlsPipelineError(f"{path}: missing keys {', '.join(missing)}")
        return cls(**{k: values[k] for k in wanted})


def read_series(patches_dir: Path) -> list[Path]:
    """The patches named in `series`, in order; each must exist."""
    series = patches_dir / "series"
    if not series.is_file():
        raise TinyDtlsPipelineError(f"{series}: missing (one patch file name per line)")
    patches = []
    for lineno, raw in enumerate(series.read_text().splitlines(), 1):
        name = raw.split("#", 1)[0].strip()
        if not name:
            continue
        if "/" in name or name.startswith("."):
            raise TinyDtlsPipelineError(f"{series}:{lineno}: '{name}' must be a file name in {patches_dir}")
        patch = patches_dir / name
        if not patch.is_file():
            raise TinyDtlsPipelineError(f"{series}:{lineno}: patch {name} not found in {patches_dir}")
        patches.append(patch)
    return patches


def tree_key(patches_dir: Path) -> str:
    """Short hash over UPSTREAM, the series and every patch: the build tree's directory name."""
    h = hashlib.sha256()
    h.update((patches_dir / "UPSTREAM").read_bytes())
    for patch in read_series(patches_dir):
        h.update(patch.name.encode() + b"\0")
        h.update(patch.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, hex."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def verify_sdist(path: Path, expected: str) -> None:
    """Raise SdistHashMismatch unless the file has the expected SHA-256."""
    actual = sha256_file(path)
    if actual != expected:
        raise SdistHashMismatch(
            f"{path}: sha256 {actual} does not match the pinned {expected} "
            f"(tinydtls_patches/UPSTREAM). Delete the file to fetch it again; "
            f"if PyPI really serves different bytes, do not update the pin without reviewing them."
        )


def fetch_sdist(upstream: Upstream, cache: Path | None = None, *, offline: bool = False) -> Path:
    """Path of the verified sdist in the cache, downloading it with pip if it is not there yet."""
    cache = cache or paths.cache_dir()
    target = cache / upstream.sdist
    if target.is_file():
        verify_sdist(target, upstream.sdist_sha256)
        return target
    if offline:
        raise TinyDtlsPipelineError(
            f"{target}: not cached and offline; fetch it once with network access "
            f"(python -m pip download --no-deps --no-binary :all: {upstream.package}=={upstream.version})"
        )
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache, prefix=".fetch-") as tmp:
        # -I: inside `pip install`'s isolated build environment (setup.py runs the cffi build script,
        # which calls this), PYTHONPATH hides the interpreter's own pip; -I ignores PYTHONPATH
        proc.run(
            [sys.executable, "-I", "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
             "--disable-pip-version-check", "-q", f"{upstream.package}=={upstream.version}", "-d", tmp],
            timeout=600,
        )
        got = Path(tmp) / upstream.sdist
        if not got.is_file():
            found = ", ".join(p.name for p in Path(tmp).iterdir()) or "nothing"
            raise TinyDtlsPipelineError(f"pip download gave {found}, expected {upstream.sdist}")
        verify_sdist(got, upstream.sdist_sha256)
        got.replace(target)
    return target


def _extract_subdir(sdist: Path, subdir: str, dest: Path) -> None:
    """Extract the regular files under `<top>/<subdir>/` of the sdist into dest (which must not exist).

    Written out by hand (no extractall) so that nothing outside dest can be written and the
    behaviour does not depend on the Python patch release's tarfile filters.
    """
    prefix = PurePosixPath(subdir)
    count = 0
    with tarfile.open(sdist, "r:gz") as tar:
        for member in tar.getmembers():
            parts = PurePosixPath(member.name).parts
            rel = PurePosixPath(*parts[1:]) if len(parts) > 1 else PurePosixPath()
            if not member.isfile() or prefix not in rel.parents:
                continue
            inner = rel.relative_to(prefix)
            if ".." in inner.parts:
                raise TinyDtlsPipelineError(f"{sdist}: unsafe path {member.name}")
            out = dest.joinpath(*inner.parts)
            out.parent.mkdir(parents=True, exist_ok=True)
            src = tar.extractfile(member)
            assert src is not None
            out.write_bytes(src.read())
            count += 1
    if count == 0:
        raise TinyDtlsPipelineError(f"{sdist}: no {subdir}/ inside")


def apply_patch(tree: Path, patch: Path) -> None:
    """Apply one -p1 patch inside tree; a patch that does not apply cleanly raises PatchFailed."""
    patch_tool = proc.require("patch", "apt-get install patch")
    argv = [patch_tool, "-p1", "--batch", "--forward", "--no-backup-if-mismatch", "-r", "-",
            "-i", str(patch)]
    result = proc.run(argv, cwd=tree, check=False)
    if result.returncode != 0:
        raise PatchFailed(patch, result.stdout + result.stderr)
    if "offset" in result.stdout or "fuzz" in result.stdout:
        # applied, but not exactly where it was written: the series is out of date
        raise PatchFailed(patch, "applied only with offset/fuzz:\n" + result.stdout)


def prepare_tree(
    patches_dir: Path | None = None,
    *,
    build: Path | None = None,
    cache: Path | None = None,
    offline: bool = False,
) -> Path:
    """Return the patched TinyDTLS tree for the current series, building it if needed."""
    patches_dir = patches_dir or paths.TINYDTLS_PATCHES_DIR
    build = build or paths.build_dir()
    upstream = Upstream.load(patches_dir)
    patches = read_series(patches_dir)
    tree = build / "tinydtls" / tree_key(patches_dir)
    if (tree / STAMP_NAME).is_file():
        return tree

    sdist = fetch_sdist(upstream, cache, offline=offline)
    tree.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=tree.parent, prefix=".tmp-") as tmp:
        work = Path(tmp) / "tree"
        _extract_subdir(sdist, upstream.subdir, work)
        for patch in patches:
            apply_patch(work, patch)
        stamp = [
            f"sdist = {upstream.sdist}",
            f"sdist_sha256 = {upstream.sdist_sha256}",
            f"upstream_repo = {upstream.upstream_repo}",
            f"upstream_commit = {upstream.upstream_commit}",
            *(f"patch = {p.name} sha256:{sha256_file(p)}" for p in patches),
        ]
        (work / STAMP_NAME).write_text("\n".join(stamp) + "\n")
        if (tree / STAMP_NAME).is_file():
            return tree  # another process finished the same tree meanwhile: keep theirs
        if tree.exists():  # a tree without STAMP cannot come from rename: remove the leftover
            shutil.rmtree(tree)
        try:
            work.rename(tree)
        except OSError:
            if not (tree / STAMP_NAME).is_file():
                raise
    return tree


def read_stamp(tree: Path) -> dict[str, list[str]]:
    """STAMP as key -> values (`patch` repeats)."""
    out: dict[str, list[str]] = {}
    for line in (tree / STAMP_NAME).read_text().splitlines():
        key, _, value = line.partition(" = ")
        out.setdefault(key, []).append(value)
    return out


def main(argv: list[str] | None = None) -> int:
    """Command-line entry of the TinyDTLS pipeline."""
    import argparse

    parser = argparse.ArgumentParser(description="prepare the patched TinyDTLS tree")
    parser.add_argument("--offline", action="store_true", help="use only the cached sdist")
    args = parser.parse_args(argv)
    print(prepare_tree(offline=args.offline))
    return 0


if __name__ == "__main__":
    sys.exit(main())
