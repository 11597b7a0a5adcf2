"""Where things live: the one place that knows the repository layout and the output directories."""

from __future__ import annotations

import os
from pathlib import Path


def _repo_root() -> Path:
    """The source tree: ESSE_ROOT when set, else the checkout this package sits in."""
    env = os.environ.get("ESSE_ROOT")
    return Path(env).expanduser().resolve() if env else Path(__file__).resolve().parent.parent


REPO_ROOT = _repo_root()
FIRMWARE_DIR = REPO_ROOT / "firmware"
APPS_DIR = FIRMWARE_DIR / "apps"
COOJA_CONFIGS_DIR = REPO_ROOT / "cooja_configs"
TINYDTLS_PATCHES_DIR = REPO_ROOT / "tinydtls_patches"


def build_dir() -> Path:
    """Build outputs (ELF, hex, maps, objects). Override with ESSE_BUILD_DIR."""
    return Path(os.environ.get("ESSE_BUILD_DIR", REPO_ROOT / "build"))


def cache_dir() -> Path:
    """Downloaded inputs (the pinned TinyDTLS sdist). Override with ESSE_CACHE_DIR."""
    return Path(os.environ.get("ESSE_CACHE_DIR", REPO_ROOT / ".cache"))


def checkout_hint() -> str:
    """Why a source-tree file is missing, when the reason is that there is no source tree: a
    non-editable install ships only the Python package. Empty when the tree is in place."""
    if FIRMWARE_DIR.is_dir() and COOJA_CONFIGS_DIR.is_dir():
        return ""
    return (
        f" (no ESSE source tree at {REPO_ROOT}: firmware/, cooja_configs/ and tinydtls_patches/ come with a "
        "checkout, not with a built wheel; install the checkout with `pip install -e .`, or set ESSE_ROOT "
        "to a checkout)"
    )
