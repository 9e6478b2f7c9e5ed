"""The one reader and writer of a bundle's ``bundle.json`` (the bundle format is documented in
:mod:`coamd.tasks.bundle`; loading the models lives there, assembling bundles in :mod:`coamd.tasks.bundling`).

It sits on a low floor (coamd's core helpers only), so training code can find a bundle's parts
without importing the tasks layer (tests/test_layering.py).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..atomic import atomic_open
from ..errors import CoamdError

BUNDLE_FORMAT, BUNDLE_VERSION = "coamd-bundle", 1
BUNDLE_FILE, LABELS_FILE = "bundle.json", "labels.txt"
BUNDLE_ENV = "COAMD_BUNDLE"
DEFAULT_BUNDLE = Path(__file__).resolve().parents[1] / "weights" / "cpu-small"


# Former names of two sampling settings (bundle.json "defaults" and API keywords before the rename): still read.
SAMPLING_RENAMES = {"steps": "decode_steps", "cfg": "cfg_scale"}


class BundleError(CoamdError):
    """A bundle or checkpoint folder that cannot be used (missing part, mismatched parts)."""


def current_sampling_names(values: dict[str, Any], where: str = "sampling settings") -> dict[str, Any]:
    """``values`` with the former names ``steps`` / ``cfg`` read as ``decode_steps`` / ``cfg_scale`` (None
    values count as unset; both spellings set to different values is a one-line error naming ``where``)."""
    out = {k: v for k, v in values.items() if k not in SAMPLING_RENAMES}
    for old, new in SAMPLING_RENAMES.items():
        if values.get(old) is None:
            continue
        if out.get(new) is not None and out[new] != values[old]:
            raise CoamdError(f"{where}: {old}={values[old]!r} and {new}={out[new]!r} set the same thing; "
                             f"give {new} only ({old} is its former name)")
        out[new] = values[old]
    return out


def default_bundle_path() -> Path:
    """``$COAMD_BUNDLE``, else the weights bundled with coamd (``coamd/weights/cpu-small``)."""
    env = os.environ.get(BUNDLE_ENV)
    return Path(env).expanduser() if env else DEFAULT_BUNDLE


def is_bundle(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` holds a ``bundle.json``."""
    return (Path(folder) / BUNDLE_FILE).is_file()


def read_bundle_meta(folder: str | os.PathLike) -> dict[str, Any]:
    """The validated ``bundle.json`` of a bundle folder; anything wrong with it is a one-line BundleError."""
    file = Path(folder) / BUNDLE_FILE
    try:
        meta = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise BundleError(f"{file}: unreadable ({e})") from None
    if not isinstance(meta, dict) or meta.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"{file}: not a coamd bundle description (format {BUNDLE_FORMAT!r} expected)")
    if meta.get("version") != BUNDLE_VERSION:
        raise BundleError(f"{file}: bundle version {meta.get('version')} is not supported "
                          f"(this coamd reads version {BUNDLE_VERSION})")
    parts = meta.get("parts", {})
    if not isinstance(parts, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in parts.items()):
        raise BundleError(f"{file}: 'parts' must map part names to file names, got {parts!r:.120}")
    defaults = meta.get("defaults", {})
    if not isinstance(defaults, dict):
        raise BundleError(f"{file}: 'defaults' must map sampling settings to values, got {defaults!r:.120}")
    if defaults:
        meta["defaults"] = current_sampling_names(defaults, f"{file}: defaults")
    return meta


def bundle_part_files(folder: str | os.PathLike, meta: dict[str, Any]) -> dict[str, Path]:
    """``{part: file}`` listed in ``meta['parts']``; a listed file that is missing is a BundleError."""
    folder = Path(folder)
    files = {p: folder / f for p, f in meta.get("parts", {}).items()}
    missing = [str(f) for f in files.values() if not f.is_file()]
    if missing:
        raise BundleError(f"{folder}: {BUNDLE_FILE} lists {missing[0]}, which is missing")
    return files


def bundle_part_path(folder: str | os.PathLike, part: str) -> Path | None:
    """The file of ``part`` in the bundle folder ``folder``, or None when ``folder`` is not a bundle, the
    bundle has no such part or its file is missing (a malformed ``bundle.json`` is a BundleError)."""
    folder = Path(folder)
    if not is_bundle(folder):
        return None
    name = read_bundle_meta(folder).get("parts", {}).get(part)
    return folder / name if name and (folder / name).is_file() else None


def write_bundle_meta(folder: str | os.PathLike, meta: dict[str, Any]) -> Path:
    """Write ``meta`` (stamped with the bundle format and version) as ``folder/bundle.json`` atomically."""
    path = Path(folder) / BUNDLE_FILE
    with atomic_open(path, "w", encoding="utf-8") as f:
        json.dump({"format": BUNDLE_FORMAT, "version": BUNDLE_VERSION, **meta}, f, indent=2)
        f.write("\n")
    return path
