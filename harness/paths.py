"""Where things live: the one place that knows the repository layout and the output directories."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
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
