"""Labelled recognition sets (NTU, Bandai-Namco, HDM05) as converted, cached canonical clips.

A dataset module (`ntu`, `realsets`) scans its folder into `ClipRecord`s (source file, label,
metadata such as subject/camera/actor/style, and each split protocol's part). `load_labelled`
converts every file once through `coamd.io.load_motion` (canonical SMPL-22, 20 fps, metres),
reporting unreadable/empty files by category instead of stopping, and writes the result to a
cache beside the source (``<root>.coamd_cache/``) so later runs memory-map it (paper-brief §2.4).
"""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..atomic import atomic_dir
from ..errors import CoamdError
from .normalize import RunningStats
from .registry import DatasetSpec, default_cache_dir
from .store import (
    BadFiles,
    ClipStore,
    ClipStoreWriter,
    can_write,
    fingerprint,
    parallel_map,
    read_manifest,
    write_manifest,
)

CLIP_STORE = "clips"


@dataclass(frozen=True)
class ClipRecord:
    """One source file of a labelled set, before conversion."""

    path: Path
    clip_id: str  # unique, stable name (file stem)
    label: int
    meta: dict = field(default_factory=dict)  # str/int values, stored per clip in the cache
    parts: dict = field(default_factory=dict)  # protocol -> "train" | "test"


@dataclass
class LabelledClips:
    """Converted clips of a labelled set: motions (T, 22, 3), integer labels, metadata, splits."""

    spec: DatasetSpec
    store: ClipStore
    label_names: list[str]
    labels: np.ndarray  # (M,) int64
    meta: dict[str, np.ndarray]  # per-clip arrays
    parts: dict[str, np.ndarray]  # protocol -> (M,) "train"/"test"
    report: BadFiles = field(default_factory=BadFiles)

    def __len__(self) -> int:
        return len(self.store)

    @property
    def ids(self) -> list[str]:
        return self.store.ids

    def motion(self, i: int) -> np.ndarray:
        """Clip ``i`` as (T, 22, 3) float32 metres at 20 fps."""
        return self.store[i]

    def split(self, protocol: str, part: str = "train") -> np.ndarray:
        """Indices of the clips in ``part`` ("train"/"test") of a protocol (e.g. "xsub", "actors")."""
        if protocol not in self.parts:
            raise CoamdError(f"{self.spec.name}: unknown split protocol {protocol!r}; known: {', '.join(self.parts)}")
        return np.flatnonzero(self.parts[protocol] == part)

    def describe(self) -> dict:
        frames = int(self.store.offsets[-1])
        out = {"clips": len(self), "frames": frames, "hours": frames / self.spec.fps / 3600.0,
               "labels": len(np.unique(self.labels)), "label_vocabulary": len(self.label_names)}
        for protocol, parts in self.parts.items():
            out[protocol] = {p: int((parts == p).sum()) for p in ("train", "test")}
        return out


def convert_file(path: str) -> tuple:
    """Worker: ("ok", joints (T, 22, 3) float32) or ("bad", category, detail). Picklable for processes."""
    from ..errors import CoamdError as _Err
    from ..io import load_motion

    try:
        loaded = load_motion(path)
    except (_Err, OSError, ValueError) as e:
        return ("bad", _category(str(e)), " ".join(str(e).split()))
    except Exception as e:  # noqa: BLE001 - any failure of one file (arithmetic, recursion, ...) is that file's
        return ("bad", "unreadable", f"{type(e).__name__}: {' '.join(str(e).split())}")
    x = np.asarray(loaded.joints)
    if x.ndim != 3 or x.shape[1:] != (22, 3):
        return ("bad", "wrong shape", f"shape {x.shape}")
    if len(x) == 0:
        return ("bad", "empty skeleton", "no frames")
    if not np.isfinite(x).all():
        return ("bad", "non-finite values", "NaN or infinite coordinates")
    return ("ok", x.astype(np.float32, copy=False))


def _category(message: str) -> str:
    text = message.lower()
    if "no body" in text or "no skeleton" in text or "empty" in text or "no frames" in text or "0 frames" in text:
        return "empty skeleton"
    if "truncat" in text or "ends early" in text or "unexpected end" in text:
        return "truncated"
    if "not found" in text or "no such file" in text:
        return "missing file"
    return "unreadable"


def load_labelled(spec: DatasetSpec, root: Path, records: Sequence[ClipRecord], label_names: list[str],
                  report: BadFiles, cache: str | Path | None = "auto", workers: int = 1,
                  extra_files: Sequence[Path] = (), stats_protocol: str | None = None,
                  rebuild: bool = False) -> LabelledClips:
    """Read the clips from a matching cache, or convert them (and write the cache unless ``cache=None``).

    ``report`` already holds the scan's problems (bad names, listed-missing files); conversion
    problems are added to it. ``stats_protocol``'s training part gives Mean/Std (all clips if None).
    """
    root = Path(root)
    if not records:
        raise CoamdError(f"{root}: no {spec.name} clips found ({'; '.join(report.lines(2)) or 'empty folder'})")
    folder = default_cache_dir(root) if cache == "auto" else (Path(cache) if cache is not None else None)
    stamp = fingerprint([r.path for r in records] + list(extra_files), root)
    manifest = read_manifest(folder)
    if not rebuild and manifest and manifest.get("dataset") == spec.name and manifest.get("fingerprint") == stamp:
        report.merge(_report_from(manifest))
        return _from_cache(spec, folder, manifest, records, report)
    if folder is not None and folder.exists() and any(folder.iterdir()) and manifest is None:
        raise CoamdError(f"{folder}: exists and is not a coamd cache; pass another --out folder")
    if folder is not None and not can_write(folder.parent):
        if cache != "auto":
            raise CoamdError(f"{folder}: cannot write the cache there (no permission)")
        warnings.warn(f"{folder}: not writable; converting {spec.name} in memory without a cache", stacklevel=2)
        folder = None
    if folder is None:
        with tempfile.TemporaryDirectory(prefix="coamd_clips_") as tmp:
            _convert_all(spec, root, records, label_names, report, Path(tmp), stamp, workers, stats_protocol)
            manifest = read_manifest(tmp)
            return _from_cache(spec, Path(tmp), manifest, records, report, mmap=False)
    with atomic_dir(folder, overwrite=True) as tmp:
        _convert_all(spec, root, records, label_names, report, tmp, stamp, workers, stats_protocol)
    return _from_cache(spec, folder, read_manifest(folder), records, report)


def _convert_all(spec: DatasetSpec, root: Path, records: Sequence[ClipRecord], label_names: list[str],
                 report: BadFiles, out: Path, stamp: str, workers: int, stats_protocol: str | None) -> None:
    """Convert, write the clip store, Mean/Std and the manifest into ``out``; add problems to ``report``."""
    problems = BadFiles()  # conversion problems only: the scan's are recomputed on every load
    stats = RunningStats(spec.feature_dim)
    fallback = RunningStats(spec.feature_dim)
    kept = 0
    with ClipStoreWriter(out, CLIP_STORE, spec.num_joints) as writer:
        results = parallel_map(convert_file, [str(r.path) for r in records], workers, desc=f"converting {spec.name}")
        for record, result in zip(records, results):
            if result[0] != "ok":
                problems.add(result[1], record.path.relative_to(root).as_posix(), result[2])
                continue
            joints = result[1]
            writer.add(record.clip_id, joints, label=record.label, **record.meta)
            kept += 1
            fallback.update(joints)
            if stats_protocol is None or record.parts.get(stats_protocol) == "train":
                stats.update(joints)
    report.merge(problems)
    if kept == 0:
        raise CoamdError(f"{root}: no usable {spec.name} clips ({report.total} bad files: "
                         + ", ".join(f"{k} {v}" for k, v in report.counts().items()) + ")")
    (stats if stats.count else fallback).normalizer().save(out)
    write_manifest(out, {
        "dataset": spec.name, "root": str(root.resolve()), "fingerprint": stamp, "label_names": list(label_names),
        "bad_files": problems.items,
    })


def _report_from(manifest: dict) -> BadFiles:
    report = BadFiles()
    for category, entries in manifest.get("bad_files", {}).items():
        for what, detail in entries:
            report.add(category, what, detail)
    return report


def _from_cache(spec: DatasetSpec, folder: Path, manifest: dict, records: Sequence[ClipRecord],
                report: BadFiles, mmap: bool = True) -> LabelledClips:
    store = ClipStore.load(folder, CLIP_STORE, mmap=mmap)
    meta = dict(store.meta)
    labels = meta.pop("label").astype(np.int64)
    by_id = {r.clip_id: r.parts for r in records}
    protocols = list(dict.fromkeys(p for r in records for p in r.parts))
    parts = {p: np.array([by_id.get(i, {}).get(p, "") for i in store.ids]) for p in protocols}
    return LabelledClips(spec, store, list(manifest["label_names"]), labels, meta, parts, report)
