"""``samples.npz``: the batch artifact of ``coamd generate`` -- its one writer and its one reader.

Arrays: ``motions`` (N, T_max, J, 3) float32 metres, zero-padded; ``lengths`` (N,) frames;
``texts`` (N,) str; ``fps`` scalar; ``skeleton`` scalar str (``smpl22``, ``kit21``, ...);
optional ``seeds`` (N,) int64, ``segments`` (N, S) int64 (frame where each chained segment's new
content begins, -1 padded), ``cleanup`` scalar bool, ``config`` scalar str (YAML of the settings).
``coamd eval --samples``, ``coamd render`` and ``coamd export`` (through `coamd.io.load_motions`)
read it with `read_samples`; `coamd.tasks.outputs` writes it with `write_samples`.
"""

from __future__ import annotations

import math
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..atomic import save_npz
from ..errors import MotionFormatError
from ..skeleton import SKELETONS

SAMPLES_FILE = "samples.npz"
REQUIRED = ("motions", "lengths", "texts")
FPS_RANGE = (1.0, 1000.0)


@dataclass
class Samples:
    """A read ``samples.npz``: motions trimmed to their lengths, (T_i, J, 3) float32."""

    motions: list[np.ndarray]
    texts: list[str]
    fps: float
    skeleton: str
    seeds: list[int] | None = None
    segments: list[list[int]] = field(default_factory=list)
    cleanup: bool | None = None
    config: str = ""

    def __len__(self) -> int:
        return len(self.motions)


def write_samples(path: str | os.PathLike, motions: Sequence[np.ndarray], texts: Sequence[str], *, fps: float,
                  skeleton: str, seeds: Sequence[int] | None = None, segments: Sequence[Sequence[int]] | None = None,
                  cleanup: bool | None = None, config: str = "") -> Path:
    """Write ``motions`` (each (T_i, J, 3)) and their texts as a ``samples.npz`` (atomic, finite values only)."""
    if skeleton not in SKELETONS:
        raise ValueError(f"samples: unknown skeleton {skeleton!r}; known: {', '.join(SKELETONS)}")
    if len(motions) != len(texts) or not motions:
        raise ValueError(f"samples: {len(motions)} motions and {len(texts)} texts (need the same, at least one)")
    J = SKELETONS[skeleton].num_joints
    arrays = [np.asarray(m, np.float32) for m in motions]
    for i, m in enumerate(arrays):
        if m.ndim != 3 or m.shape[1:] != (J, 3):
            raise ValueError(f"samples: motion {i} has shape {m.shape}, expected (T, {J}, 3) for {skeleton}")
    lengths = np.array([len(m) for m in arrays], np.int64)
    padded = np.zeros((len(arrays), int(lengths.max()), J, 3), np.float32)
    for i, m in enumerate(arrays):
        padded[i, : len(m)] = m
    out = {"motions": padded, "lengths": lengths, "texts": np.array([str(t) for t in texts], dtype=str),
           "fps": np.array(float(fps), np.float32), "skeleton": np.array(skeleton)}
    if seeds is not None:
        out["seeds"] = np.array(list(seeds), np.int64)
    if segments is not None:
        S = max((len(s) for s in segments), default=1) or 1
        seg = np.full((len(arrays), S), -1, np.int64)
        for i, s in enumerate(segments):
            seg[i, : len(s)] = s
        out["segments"] = seg
    if cleanup is not None:
        out["cleanup"] = np.array(bool(cleanup))
    if config:
        out["config"] = np.array(config)
    save_npz(path, **out)
    return Path(path)


def is_samples(path: str | os.PathLike) -> bool:
    """Whether a file is a ``samples.npz`` (a zip holding motions, lengths and texts)."""
    try:
        with zipfile.ZipFile(path) as z:
            names = {n.removesuffix(".npy") for n in z.namelist()}
    except (OSError, zipfile.BadZipFile):
        return False
    return set(REQUIRED) <= names


def _scalar(z, key: str, where: str):
    try:
        return np.asarray(z[key]).reshape(-1)[0].item()
    except (IndexError, ValueError, TypeError):
        raise MotionFormatError(f"{where}: '{key}' is not a scalar") from None


def read_samples(path: str | os.PathLike, what: str | None = None) -> Samples:
    """Read and check a ``samples.npz``; every problem is one `MotionFormatError` line naming ``what``/the path."""
    path = Path(path)
    where = f"{what} {path}" if what else str(path)
    if not path.is_file():
        raise MotionFormatError(f"{where}: no such file" if not path.exists() else f"{where}: is not a file")
    try:
        z = np.load(path, allow_pickle=False)
    except Exception as e:  # noqa: BLE001 - zip/header errors of a damaged file
        raise MotionFormatError(f"{where}: not a readable .npz ({type(e).__name__}: {' '.join(str(e).split())})") \
            from None
    if not isinstance(z, np.lib.npyio.NpzFile):
        raise MotionFormatError(f"{where}: not a samples.npz (a plain .npy array)")
    with z:
        missing = [k for k in REQUIRED if k not in z.files]
        if missing:
            raise MotionFormatError(f"{where}: not a samples.npz (no {', '.join(missing)} array)")
        try:
            motions, lengths = z["motions"], np.asarray(z["lengths"]).reshape(-1)
            texts = [str(t) for t in np.asarray(z["texts"]).reshape(-1)]
        except ValueError as e:
            raise MotionFormatError(f"{where}: cannot read its arrays ({e})") from None
        skeleton = str(_scalar(z, "skeleton", where)) if "skeleton" in z.files else "smpl22"
        if skeleton not in SKELETONS:
            raise MotionFormatError(f"{where}: unknown skeleton {skeleton!r}; known: {', '.join(SKELETONS)}")
        fps = float(_scalar(z, "fps", where)) if "fps" in z.files else 20.0
        if not (math.isfinite(fps) and FPS_RANGE[0] <= fps <= FPS_RANGE[1]):
            raise MotionFormatError(f"{where}: 'fps' {fps:g} is outside {FPS_RANGE[0]:g}-{FPS_RANGE[1]:g}")
        seeds = [int(s) for s in np.asarray(z["seeds"]).reshape(-1)] if "seeds" in z.files else None
        segments = []
        if "segments" in z.files:
            seg = np.asarray(z["segments"])
            segments = [[int(v) for v in row if v >= 0] for row in seg.reshape(len(seg), -1)] if seg.size else []
        cleanup = bool(_scalar(z, "cleanup", where)) if "cleanup" in z.files else None
        config = str(_scalar(z, "config", where)) if "config" in z.files else ""
    J = SKELETONS[skeleton].num_joints
    if motions.dtype.kind not in "fiu" or motions.ndim != 4 or motions.shape[2:] != (J, 3):
        raise MotionFormatError(f"{where}: expected 'motions' (N, T, {J}, 3) numbers for {skeleton}, "
                                f"got {motions.shape} {motions.dtype}")
    if not len(lengths) == len(motions) == len(texts) or not len(motions):
        raise MotionFormatError(f"{where}: {len(motions)} motions, {len(lengths)} lengths and {len(texts)} texts "
                                "(need the same number, at least one)")
    if lengths.dtype.kind not in "iu" or (lengths < 2).any() or (lengths > motions.shape[1]).any():
        raise MotionFormatError(f"{where}: 'lengths' must be whole frame counts within 2..{motions.shape[1]}, "
                                f"got {lengths[:8].tolist()}")
    out = [np.asarray(motions[i, : int(n)], np.float32) for i, n in enumerate(lengths)]
    for i, m in enumerate(out):
        if not np.isfinite(m).all():
            raise MotionFormatError(f"{where}: motion {i} holds NaN or infinite values")
    if seeds is not None and len(seeds) != len(out):
        raise MotionFormatError(f"{where}: {len(seeds)} seeds for {len(out)} motions")
    return Samples(out, texts, fps, skeleton, seeds, segments, cleanup, config)


__all__ = ["SAMPLES_FILE", "Samples", "is_samples", "read_samples", "write_samples"]
