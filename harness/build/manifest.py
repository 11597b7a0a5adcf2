"""App and module manifests (`app.toml`, `module.toml`); the format is described in harness.build."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from harness import paths

APP_MANIFEST = "app.toml"
MODULE_MANIFEST = "module.toml"
BASE_MODULE = "sys"
DEFAULT_SOURCES = ["*.c", "*.S"]

_APP_KEYS = {"modules", "sources", "include_dirs", "defines", "cflags", "linker_script"}
_MODULE_KEYS = {"sources", "include_dirs", "defines", "cflags", "depends"}


class ManifestError(ValueError):
    """A manifest that cannot be used; the message names the file and the key."""


@dataclass
class Module:
    name: str
    root: Path
    sources: list[Path]
    include_dirs: list[Path]  # exported to every source of the firmware
    defines: list[str] = field(default_factory=list)
    cflags: list[str] = field(default_factory=list)
    depends: list[str] = field(default_factory=list)


@dataclass
class App:
    name: str
    root: Path
    sources: list[Path]
    modules: list[str]
    include_dirs: list[Path]
    defines: list[str]
    cflags: list[str]
    linker_script: Path | None


def expand(text: str, base: Path) -> Path:
    """A manifest path: `{repo}` and `{build}` expand to the repository and build directories;
    anything else relative is taken from the manifest's folder."""
    text = text.replace("{repo}", str(paths.REPO_ROOT)).replace("{build}", str(paths.build_dir()))
    p = Path(text)
    return p if p.is_absolute() else base / p


def _load(path: Path, allowed: set[str]) -> dict:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{path}: {exc}") from exc
    unknown = sorted(set(data) - allowed)
    if unknown:
        allowed_keys = ", ".join(sorted(allowed))
        raise ManifestError(f"{path}: unknown key(s) {', '.join(unknown)}; allowed: {allowed_keys}")
    for key, value in data.items():
        if key == "linker_script":
            if not isinstance(value, str):
                raise ManifestError(f"{path}: '{key}' must be a string")
        elif not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise ManifestError(f"{path}: '{key}' must be a list of strings")
    return data


def _glob_sources(root: Path, patterns: list[str], manifest: Path) -> list[Path]:
    found: list[Path] = []
    for pattern in patterns:
        expanded = expand(pattern, root)
        if any(ch in pattern for ch in "*?["):
            anchor = Path(expanded.anchor)
            matches = sorted(anchor.glob(str(expanded.relative_to(anchor))))
        else:
            if not expanded.is_file():
                raise ManifestError(f"{manifest}: source '{pattern}' not found ({expanded})")
            matches = [expanded]
        found += [m for m in matches if m not in found and m.suffix in (".c", ".S")]
    return found


def module_root(name: str, firmware_dir: Path | None = None) -> Path:
    """A module is named by its folder under firmware/, or given as a path (absolute or with '/')."""
    if "/" in name or Path(name).is_absolute():
        return expand(name, paths.REPO_ROOT)
    return (firmware_dir or paths.FIRMWARE_DIR) / name


def load_module(name: str, firmware_dir: Path | None = None) -> Module:
    root = module_root(name, firmware_dir)
    if not root.is_dir():
        raise ManifestError(f"firmware module '{name}' not found: no folder {root}")
    manifest = root / MODULE_MANIFEST
    data = _load(manifest, _MODULE_KEYS)
    if "include_dirs" in data:
        includes = [expand(d, root) for d in data["include_dirs"]]
    else:
        includes = [root / "include"] if (root / "include").is_dir() else [root]
    return Module(
        name=root.name,
        root=root,
        sources=_glob_sources(root, data.get("sources", DEFAULT_SOURCES), manifest),
        include_dirs=includes,
        defines=list(data.get("defines", [])),
        cflags=list(data.get("cflags", [])),
        depends=list(data.get("depends", [])),
    )


def resolve_modules(names: list[str], firmware_dir: Path | None = None) -> list[Module]:
    """The base module, the named modules and everything they depend on, each once, in order."""
    ordered: list[Module] = []
    seen: set[str] = set()

    def visit(name: str, chain: tuple[str, ...]) -> None:
        key = str(module_root(name, firmware_dir).resolve())
        if key in chain:
            cycle = " -> ".join(Path(k).name for k in (*chain, key))
            raise ManifestError(f"firmware modules depend on each other in a cycle: {cycle}")
        if key in seen:
            return
        module = load_module(name, firmware_dir)
        for dep in module.depends:
            visit(dep, chain + (key,))
        seen.add(key)
        ordered.append(module)

    for name in [BASE_MODULE, *names]:
        visit(name, ())
    return ordered


def load_app(app_dir: Path) -> App:
    if not app_dir.is_dir():
        raise ManifestError(f"firmware app folder not found: {app_dir}")
    manifest = app_dir / APP_MANIFEST
    data = _load(manifest, _APP_KEYS)
    sources = _glob_sources(app_dir, data.get("sources", DEFAULT_SOURCES), manifest)
    if not sources:
        raise ManifestError(f"{app_dir}: the app has no C or assembly sources")
    script = data.get("linker_script")
    return App(
        name=app_dir.name,
        root=app_dir,
        sources=sources,
        modules=list(data.get("modules", [])),
        include_dirs=[expand(d, app_dir) for d in data.get("include_dirs", [])],
        defines=list(data.get("defines", [])),
        cflags=list(data.get("cflags", [])),
        linker_script=expand(script, app_dir) if script else None,
    )


def discover_apps(apps_dir: Path | None = None) -> list[Path]:
    """Every folder under firmware/apps that has an app.toml or C sources."""
    root = apps_dir or paths.APPS_DIR
    if not root.is_dir():
        return []
    return sorted(
        d for d in root.iterdir() if d.is_dir() and ((d / APP_MANIFEST).is_file() or any(d.glob("*.c")))
    )
