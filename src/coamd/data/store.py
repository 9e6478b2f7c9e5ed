"""Prepared-data caches: clips concatenated along time, a bad-file report, parallel conversion.

A cache folder (``<root>.coamd_cache/`` by default, beside the source, paper-brief §2) holds:

- ``cache.json``: dataset name, source root, a fingerprint of the source files, split lists,
  label names, per-category bad-file counts;
- ``<store>.npy``: (N_frames, J, 3) float32, every clip's frames back to back (memory-mapped
  on load, so a 1 GB corpus costs no RAM until frames are touched);
- ``<store>.npz``: ``ids`` (M,), ``offsets`` (M+1,) into the frame axis, plus per-clip arrays
  (labels, actor, style, ...);
- ``Mean.npy`` / ``Std.npy``: per-coordinate statistics of the training split (`normalize.py`).

The whole folder is built under a temporary name and renamed into place (`coamd.atomic.atomic_dir`),
so a crash never leaves a half-written cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

CACHE_FORMAT = 1
MANIFEST = "cache.json"
_HEADER_BYTES = 128  # fixed .npy v1.0 header size, so the shape can be rewritten after streaming


# ---------------------------------------------------------------------------- bad-file report
@dataclass
class BadFiles:
    """Problems found while reading a dataset, grouped by category (nothing stops at the first)."""

    items: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def add(self, category: str, what: str, detail: str = "") -> None:
        """Record one problem; the same (category, file) pair is only counted once."""
        entries = self.items.setdefault(category, [])
        if all(w != str(what) for w, _ in entries):
            entries.append((str(what), detail))

    def merge(self, other: BadFiles) -> None:
        for category, entries in other.items.items():
            for what, detail in entries:
                self.add(category, what, detail)

    def counts(self) -> dict[str, int]:
        return {c: len(v) for c, v in sorted(self.items.items())}

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.items.values())

    def lines(self, per_category: int = 5) -> list[str]:
        """Human-readable report: one header per category, then up to ``per_category`` examples."""
        out = []
        for category, entries in sorted(self.items.items()):
            out.append(f"{category}: {len(entries)}")
            for what, detail in entries[:per_category]:
                out.append(f"  {what}" + (f" ({detail})" if detail else ""))
            if len(entries) > per_category:
                out.append(f"  ... and {len(entries) - per_category} more")
        return out


# ---------------------------------------------------------------------------- clip store
class ClipStore:
    """Variable-length clips in one (N_frames, J, 3) array; clip i is frames offsets[i]:offsets[i+1]."""

    def __init__(self, ids: Sequence[str], offsets: np.ndarray, joints: np.ndarray,
                 meta: dict[str, np.ndarray] | None = None) -> None:
        self.ids = [str(i) for i in ids]
        self.offsets = np.asarray(offsets, dtype=np.int64)  # (M+1,)
        self.joints = joints  # (N_frames, J, 3)
        self.meta = dict(meta or {})
        if len(self.offsets) != len(self.ids) + 1 or self.offsets[-1] != len(joints):
            raise ValueError(f"clip store: {len(self.ids)} ids, {len(self.offsets)} offsets, {len(joints)} frames")
        self._pos = {name: i for i, name in enumerate(self.ids)}
        self._lengths = np.diff(self.offsets)  # (M,)
        self._source: Path | None = None  # the .npy behind a memory map, for cheap pickling

    def __getstate__(self) -> dict:
        # Spawned DataLoader workers get the file name, not a copy of a memory-mapped corpus.
        state = dict(self.__dict__)
        if self._source is not None and isinstance(self.joints, np.memmap):
            state["joints"] = None
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        if self.joints is None:
            self.joints = np.load(self._source, mmap_mode="r")

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> np.ndarray:
        return self.joints[self.offsets[i]:self.offsets[i + 1]]  # (T, J, 3) view, no copy

    def __contains__(self, clip_id: str) -> bool:
        return clip_id in self._pos

    def get(self, clip_id: str) -> np.ndarray:
        return self[self._pos[clip_id]]

    def position(self, clip_id: str) -> int:
        return self._pos[clip_id]

    @property
    def lengths(self) -> np.ndarray:
        """Frames per clip, (M,)."""
        return self._lengths

    @classmethod
    def load(cls, folder: str | Path, name: str, mmap: bool = True) -> ClipStore:
        folder = Path(folder)
        joints = np.load(folder / f"{name}.npy", mmap_mode="r" if mmap else None)
        with np.load(folder / f"{name}.npz", allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        ids, offsets = arrays.pop("ids"), arrays.pop("offsets")
        store = cls(ids.tolist(), offsets, joints, arrays)
        if mmap:
            store._source = folder / f"{name}.npy"
        return store


class ClipStoreWriter:
    """Stream clips into ``<name>.npy`` + ``<name>.npz`` without holding them all in memory."""

    def __init__(self, folder: str | Path, name: str, num_joints: int) -> None:
        self.folder, self.name, self.num_joints = Path(folder), name, num_joints
        self.folder.mkdir(parents=True, exist_ok=True)
        self._f = open(self.folder / f"{name}.npy", "wb")  # noqa: SIM115 - closed in close()/__exit__
        self._f.write(_npy_header((0, num_joints, 3)))
        self.ids: list[str] = []
        self.offsets = [0]
        self.meta: dict[str, list] = {}

    def add(self, clip_id: str, joints: np.ndarray, **meta: Any) -> None:
        x = np.ascontiguousarray(joints, dtype="<f4")
        if x.ndim != 3 or x.shape[1:] != (self.num_joints, 3):
            raise ValueError(f"clip {clip_id}: expected (T, {self.num_joints}, 3), got {x.shape}")
        self._f.write(x.tobytes())
        self.ids.append(clip_id)
        self.offsets.append(self.offsets[-1] + len(x))
        for k, v in meta.items():
            self.meta.setdefault(k, []).append(v)

    def close(self) -> None:
        self._f.seek(0)
        self._f.write(_npy_header((self.offsets[-1], self.num_joints, 3)))
        self._f.close()
        arrays = {k: np.asarray(v) for k, v in self.meta.items()}
        np.savez(self.folder / f"{self.name}.npz", ids=np.asarray(self.ids, dtype=str),
                 offsets=np.asarray(self.offsets, dtype=np.int64), **arrays)

    def __enter__(self) -> ClipStoreWriter:  # noqa: PYI034
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self._f.close()


def _npy_header(shape: tuple[int, ...]) -> bytes:
    """A .npy v1.0 header for little-endian float32, padded to a fixed size (so it can be rewritten)."""
    dims = tuple(int(s) for s in shape)
    text = f"{{'descr': '<f4', 'fortran_order': False, 'shape': {dims}, }}"
    body = _HEADER_BYTES - 10
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", body) + (text.ljust(body - 1) + "\n").encode("latin1")


# ---------------------------------------------------------------------------- manifest
def fingerprint(files: Iterable[Path], root: Path) -> str:
    """Hash of (relative path, size, mtime) of the source files: a changed source invalidates a cache."""
    h = hashlib.sha1()
    for p in sorted(files):
        try:
            st = p.stat()
        except OSError as e:  # a symlink loop or a file gone meanwhile: its loader reports it as a bad file
            h.update(f"{p.relative_to(root).as_posix()}|unreadable:{e.errno}\n".encode())
            continue
        h.update(f"{p.relative_to(root).as_posix()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def write_manifest(folder: Path, manifest: dict) -> None:
    data = {"format": CACHE_FORMAT, **manifest}
    with open(folder / MANIFEST, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)


def read_manifest(folder: str | Path | None) -> dict | None:
    """The cache's manifest, or None when the folder is no (current-format) coamd cache."""
    if folder is None:
        return None
    path = Path(folder) / MANIFEST
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if data.get("format") == CACHE_FORMAT else None


def can_write(folder: Path) -> bool:
    """Whether a cache can be created at ``folder``: its nearest existing ancestor is writable.

    A folder without any write permission bit (e.g. a read-only data share, mode 555) counts as
    read-only even for root, who would otherwise pass ``os.access``.
    """
    probe = Path(folder).expanduser().absolute()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return os.access(probe, os.W_OK | os.X_OK) and bool(probe.stat().st_mode & 0o222)


def is_inside(path: Path, folder: Path) -> bool:
    """True when ``path`` is ``folder`` or lies below it (both resolved)."""
    path, folder = path.resolve(), folder.resolve()
    return path == folder or folder in path.parents


# ---------------------------------------------------------------------------- parallel map
def parallel_map(fn: Callable[[Any], Any], items: Sequence[Any], workers: int = 1, desc: str = "") -> Iterator[Any]:
    """``map(fn, items)`` in order with a tqdm bar; ``workers > 1`` uses processes (fn must be picklable)."""
    workers = max(1, min(int(workers), os.cpu_count() or 1, len(items) or 1))
    bar = tqdm(total=len(items), desc=desc, unit="file", disable=None, leave=False)
    try:
        if workers == 1:
            for item in items:
                yield fn(item)
                bar.update()
        else:
            chunk = max(1, min(64, len(items) // (workers * 8)))
            with ProcessPoolExecutor(workers) as pool:
                for result in pool.map(fn, items, chunksize=chunk):
                    yield result
                    bar.update()
    finally:
        bar.close()
